import { mismatchLine } from '../backends/compat';
import { shadowLine } from '../backends/discover';
import { installHint, KNOWN_BACKEND_PACKAGES } from '../backends/packages';
import { removalCommand } from '../backends/plugin-fixes';
import type { BackendSettings } from '../contracts/backend';
import { capabilitiesOf } from '../contracts/backend';
import { isUserError, UserError } from '../errors';
import { nearest } from '../output/suggest';
import { printable } from '../output/untrusted';
import { backendSettings, settingName } from '../settings/backend-settings';
import { BOOLEAN_WORDS, badSetting, plainNumber, yesOrNo } from '../settings/env';
import type { Session } from './session';

const emptySettings: BackendSettings = { get: () => undefined, getBoolean: () => false, require: () => '' };

const SECRET_KEY = /token|secret|password|key|credential/i;

/** A setting's value as it may be shown: masked whole for a secret-looking key, else its credentials (a URL's password) masked. */
function shownValue(key: string, value: unknown): unknown {
  // the mask every other output uses (README: credential-shaped parts masked as ***), --json included
  if (SECRET_KEY.test(key) && value) return '***';
  return typeof value === 'string' ? printable(value, { max: 0 }) : value;
}

/** Settings as they may be shown: values of secret-looking keys are masked, and credentials inside the others. */
export function redactSection(section: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(section).map(([k, v]) => [k, shownValue(k, v)]));
}

/** `backend ls`: the backends installed plugins provide, with what they can do and where they come from. */
export async function listBackends(session: Session) {
  const configured = new Set(session.secrets.exists() ? safe(() => session.secrets.backends(), []) : []);
  const active = safe(() => session.selection().name, undefined);
  const rows = [];
  for (const entry of session.backends.list()) {
    let capabilities: string[] = [];
    let problem: string | undefined;
    const mismatch = 'mismatch' in entry ? entry.mismatch : undefined;
    const version = 'pluginVersion' in entry ? entry.pluginVersion : undefined;
    const row = (usable: boolean) => ({
      name: entry.name,
      capabilities,
      plugin: entry.plugin,
      version,
      source: entry.source,
      schemes: entry.schemes,
      configured: configured.has(entry.name),
      active: active === entry.name,
      usable,
      problem,
    });
    if (mismatch) {
      // listed, never loaded
      problem = mismatchLine(entry.plugin, version, mismatch);
      rows.push(row(false));
      continue;
    }
    let usable = true;
    try {
      // a broken secrets file must not hide what is installed: fall back to no settings
      const settings = safe(() => {
        session.secrets.read();
        return backendSettings(entry.name, session.secrets, session.env);
      }, emptySettings);
      const backend = await session.backends.create(entry.name, { settings, log: session.logger() });
      capabilities = capabilitiesOf(backend);
    } catch (error) {
      // the plugin's own words: a newline in them must not make a line of its own in the listing (or in --json)
      problem = printable((error as Error)?.message ?? error);
      // a refusal of the backend's own (a setting not set yet) leaves it usable once that is fixed; a module that
      // cannot be loaded, has no createBackend, or whose createBackend throws or returns no backend cannot start
      usable = isUserError(error) && error.code !== 'EPLUGIN';
    }
    rows.push(row(usable));
  }
  session.out.result('Backends Installed');
  for (const r of rows) {
    const marks = [r.active ? 'active' : '', r.configured ? 'configured' : ''].filter(Boolean).join(', ');
    if (!r.usable) {
      session.out.result(`${r.name.padEnd(12)} unusable: ${r.problem} (${r.source})${marks ? ` [${marks}]` : ''}`);
      continue;
    }
    session.out.result(
      `${r.name.padEnd(12)} ${(r.capabilities.join(',') || '-').padEnd(32)} ${r.plugin}${r.version ? `@${r.version}` : ''} (${r.source})${marks ? ` [${marks}]` : ''}${r.problem ? ` ! ${r.problem}` : ''}`,
    );
  }
  for (const name of configured) {
    if (!session.backends.has(name)) session.out.result(`${name.padEnd(12)} (configured in secrets, not installed: ${installHint(name)})`);
  }
  for (const entry of session.backends.list()) {
    const shadowed = 'modulePath' in entry ? shadowLine(entry) : undefined;
    if (shadowed) session.out.warn(printable(shadowed, { max: 0 }));
  }
  for (const r of session.backends.refused) {
    // the plugin's package.json is its author's to fix: the user can only stop using it
    session.out.warn(
      `the plugin ${printable(r.plugin)} (${r.source}) ${printable(r.problem)}, and that is ignored; its author must fix its package.json, or remove it: ${removalCommand({ name: r.plugin, source: r.source })}`,
    );
  }
  return rows;
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** The settings an installed backend declares (name → description); undefined when it declares none. */
function declaredSettings(session: Session, backend: string): Record<string, string> | undefined {
  if (!session.backends.has(backend)) return undefined;
  const declared = safe(() => session.backends.module(backend).settings, undefined);
  return declared && typeof declared === 'object' ? declared : undefined;
}

/** `backend ls <name>`: that backend's settings from the secrets file, secrets masked. */
export function showBackend(session: Session, name: string) {
  const section = session.secrets.read()[name];
  if ((!section || typeof section !== 'object') && session.backends.has(name)) {
    // installed but not configured yet: say so, and what it reads
    const declared = declaredSettings(session, name) ?? {};
    session.out.result(`${name} is installed and has no settings in ${session.secrets.file}`);
    for (const [variable, description] of Object.entries(declared)) {
      session.out.result(`  ${settingName(name, variable).padEnd(28)} ${description}`);
    }
    const example = Object.keys(declared)[0] ?? '<variable>';
    session.out.result(`add one with: sregistry backend add ${name} ${example} <value>`);
    return { name, settings: {}, declared };
  }
  if (!section || typeof section !== 'object') {
    throw new UserError(`${name} is not a known client`, {
      fix: `installed backends: ${session.backends.names().join(', ') || 'none'}; configured: sregistry backend status`,
    });
  }
  const shown = redactSection(section as Record<string, unknown>);
  session.out.result(name);
  session.out.result(JSON.stringify(shown, Object.keys(shown).sort(), 4));
  return { name, settings: shown };
}

/** `backend status`: how many backends are configured and which is active (never a value). */
export function backendStatus(session: Session) {
  const configured = session.secrets.backends();
  const fromEnv = session.env.SREGISTRY_CLIENT?.trim() || undefined;
  const fromFile = session.secrets.activeClient();
  session.out.result('[backend status]');
  session.out.result(`There are ${configured.length} clients found in secrets.`);
  const active = fromEnv ?? fromFile;
  if (active) session.out.result(`active: ${active}${fromEnv ? ' (from SREGISTRY_CLIENT)' : ''}`);
  else session.out.result('There is no active client.');
  return { configured, active: active ?? null, source: fromEnv ? 'env' : fromFile ? 'secrets' : null, secretsFile: session.secrets.file };
}

export async function activateBackend(session: Session, name: string, force = false) {
  const key = name.toLowerCase();
  if (!session.backends.has(key)) {
    // an active backend that is not there breaks every remote command: only on purpose
    const installed = `installed backends: ${session.backends.names().join(', ') || 'none'}`;
    const install = KNOWN_BACKEND_PACKAGES[key]
      ? installHint(key)
      : 'install the plugin that provides it (sregistry plugins install <package>)';
    if (!force) {
      // a misspelt name (`regsitry`) gets the backend meant, and how to have it
      const guess = KNOWN_BACKEND_PACKAGES[key]
        ? undefined
        : nearest(key, [...session.backends.names(), ...Object.keys(KNOWN_BACKEND_PACKAGES)]);
      const fix =
        guess === undefined
          ? `${installed}; ${install}, or activate it anyway with --force`
          : session.backends.has(guess)
            ? `did you mean ${guess}? run: sregistry backend activate ${guess} (or activate ${key} anyway with --force)`
            : `did you mean ${guess}? ${installed}; ${installHint(guess)}, then: sregistry backend activate ${guess} (or activate ${key} anyway with --force)`;
      throw new UserError(`${key} is not installed`, { fix, code: 'ENOBACKEND' });
    }
    session.out.warn(`${key} is not installed yet (${installHint(key)})`);
  }
  await session.secrets.update((data) => {
    data.SREGISTRY_CLIENT = key;
  });
  session.out.result(`[activate] ${key}`);
  return { active: key };
}

export async function deactivateBackend(session: Session) {
  if (!session.secrets.activeClient()) {
    session.out.result('There is no active client');
    return { active: null, changed: false };
  }
  await session.secrets.update((data) => {
    delete data.SREGISTRY_CLIENT;
  });
  session.out.result('[deactivated]');
  return { active: null, changed: true };
}

export async function addBackendSetting(session: Session, backend: string, variable: string, value: string, force: boolean) {
  const key = backend.toLowerCase();
  const name = settingName(key, variable);
  // an empty value reads as unset everywhere (README): stored, it would only block setting it later
  if (value.trim() === '') {
    throw new UserError(`the value for ${name} is empty`, {
      fix: `give a value, or remove the setting with: sregistry backend remove ${key} ${variable}`,
      code: 'EUSAGE',
    });
  }
  checkDeclared(session, key, name, force);
  checkKind(session, key, name, value);
  // the token page's JSON spells the same settings short (`"token"` for SREGISTRY_REGISTRY_TOKEN)
  const short = name.slice(settingName(key, '').length).toLowerCase();
  const spellings = [name, short].filter((k) => k in session.secrets.section(key));
  if (spellings.length > 0 && !force) {
    const as = spellings[0] === name ? '' : ` (as "${short}")`;
    throw new UserError(`${name} is already set${as} in ${session.secrets.file}`, { fix: 'use --force to override', code: 'EEXIST' });
  }
  await session.secrets.update((data) => {
    const section = (data[key] && typeof data[key] === 'object' ? data[key] : {}) as Record<string, unknown>;
    data[key] = replaceSetting(section, name, short, value);
  });
  session.out.result('[add]');
  session.out.result(`${name} ${shownValue(name, value)}`);
  return { backend: key, variable: name };
}

/**
 * The section with `name` set to `value`, in the place of the short spelling when only that was there, and without
 * the short spelling afterwards: two values for one setting leave the user guessing which one is used.
 */
function replaceSetting(section: Record<string, unknown>, name: string, short: string, value: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const hasLong = name in section;
  for (const [k, v] of Object.entries(section)) {
    if (k === name) out[name] = value;
    else if (k === short) {
      if (!hasLong) out[name] = value;
    } else out[k] = v;
  }
  if (!(name in out)) out[name] = value;
  return out;
}

/**
 * A value of another kind than the backend declares for the setting is refused, --force or not: stored, it made
 * every later command of that backend fail on it (`nohttps maybe`).
 */
function checkKind(session: Session, backend: string, name: string, value: string): void {
  if (!session.backends.has(backend)) return;
  const kinds = safe(() => session.backends.module(backend).settingKinds, undefined);
  if (!kinds || typeof kinds !== 'object') return;
  const entry = Object.entries(kinds).find(([short]) => settingName(backend, short) === name);
  const kind = entry?.[1];
  if (kind === 'yes/no' && yesOrNo(value) === undefined) {
    throw badSetting(name, value, 'yes or no', `give one of ${BOOLEAN_WORDS}; nothing was stored`);
  }
  if (kind === 'positive integer' && !(plainNumber(value.trim(), true) ?? 0)) {
    throw badSetting(name, value, 'a positive whole number', 'give a whole number above 0 (decimal digits); nothing was stored');
  }
}

/** A setting the backend does not read is refused (unless --force): a typo would be stored and never used. */
function checkDeclared(session: Session, backend: string, name: string, force: boolean): void {
  if (!session.backends.has(backend)) {
    session.out.warn(`${backend} is not installed, so ${name} cannot be checked against its settings (${installHint(backend)})`);
    return;
  }
  const declared = declaredSettings(session, backend);
  if (!declared) {
    session.out.warn(`${backend} does not declare its settings, so ${name} is stored unchecked`);
    return;
  }
  const known = Object.keys(declared);
  if (known.some((v) => settingName(backend, v) === name)) return;
  if (force) {
    session.out.warn(`${backend} does not read ${name}; stored because of --force`);
    return;
  }
  const typed = name.slice(settingName(backend, '').length).toLowerCase();
  const guess = nearest(typed, known);
  throw new UserError(`${backend} has no setting ${name}`, {
    fix: `${guess ? `did you mean ${guess}? ` : ''}its settings: ${known.join(', ')} (store it anyway with --force)`,
    code: 'ESETTING',
  });
}

export async function removeBackendSetting(session: Session, backend: string, variable: string) {
  const key = backend.toLowerCase();
  const section = session.secrets.section(key);
  // The original compared the prefixed name without upper-casing it, so lower-case names removed nothing.
  const candidates = [variable, variable.toUpperCase(), settingName(key, variable)];
  const found = candidates.find((c) => c in section);
  // a failure is its one line: no `[remove]` before it
  if (!found) throw new UserError(`${settingName(key, variable)} is not set for ${key}`, { fix: `see: sregistry backend ls ${key}` });
  await session.secrets.update((data) => {
    delete (data[key] as Record<string, unknown>)[found];
  });
  // the original's two lines, once the file is written: a write that fails is its one ERROR line alone
  session.out.result('[remove]');
  session.out.result(found);
  return { backend: key, variable: found };
}

export async function deleteBackendSection(session: Session, backend: string) {
  const key = backend.toLowerCase();
  if (!session.secrets.backends().includes(key)) {
    throw new UserError(`${key} is not a known client`, { fix: 'list configured backends with: sregistry backend status' });
  }
  await session.secrets.update((data) => {
    delete data[key];
    if (data.SREGISTRY_CLIENT === key) delete data.SREGISTRY_CLIENT;
  });
  session.out.result(`[delete] ${key}`);
  return { deleted: key };
}
