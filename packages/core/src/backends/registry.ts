import type { Backend, BackendContext, BackendModule } from '../contracts/backend';
import { isUserError, UserError } from '../errors';
import { printable } from '../output/untrusted';
import { compareLikeLocale } from '../text/order';
import { mismatchLine } from './compat';
import type { BackendEntry, RefusedDeclaration } from './discover';
import { backendContext } from './host';
import { installHint } from './packages';
import { brokenPluginFix, pluginErrorText, unfitPluginFix } from './plugin-fixes';

/**
 * The backends this process can use: discovered from plugins, or registered in code (a plain script, a test).
 * Modules are loaded only when a backend is used, so listing and start-up stay cheap.
 */
export class BackendRegistry {
  private readonly entries = new Map<
    string,
    BackendEntry | { name: string; schemes: string[]; module: BackendModule; plugin: string; source: string; description?: string }
  >();
  private readonly loaded = new Map<string, BackendModule>();

  constructor(
    entries: BackendEntry[] = [],
    /** declarations of plugins that were not taken (discoverBackends), shown by `backend ls` */
    readonly refused: readonly RefusedDeclaration[] = [],
  ) {
    for (const e of entries) this.entries.set(e.name, e);
  }

  /** Adds a backend from a module object (for scripts and tests that run without oclif). */
  register(name: string, module: BackendModule, plugin = 'inline'): this {
    const key = name.toLowerCase();
    this.entries.set(key, { name: key, schemes: module.schemes ?? [], module, plugin, source: 'inline', description: module.description });
    this.loaded.set(key, module);
    return this;
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  has(name: string): boolean {
    return this.entries.has(name.toLowerCase());
  }

  entry(name: string) {
    return this.entries.get(name.toLowerCase());
  }

  list() {
    return [...this.entries.values()].sort((a, b) => compareLikeLocale(a.name, b.name));
  }

  /** The backend a URI scheme selects: its own name or a declared alias (`shub` → hub). */
  byScheme(scheme: string): string | undefined {
    const s = scheme.toLowerCase();
    if (this.entries.has(s)) return s;
    for (const e of this.entries.values()) if (e.schemes.includes(s)) return e.name;
    return undefined;
  }

  module(name: string): BackendModule {
    const key = name.toLowerCase();
    const cached = this.loaded.get(key);
    if (cached) return cached;
    const entry = this.entries.get(key);
    if (!entry) {
      throw new UserError(`The backend "${name}" is not installed`, { fix: installHint(key), code: 'ENOBACKEND' });
    }
    if (!('modulePath' in entry)) return entry.module;
    if (entry.mismatch) {
      // never loaded: a plugin built for another core fails in ways its author cannot foresee
      throw new UserError(`The backend "${name}" cannot be used: ${mismatchLine(entry.plugin, entry.pluginVersion, entry.mismatch)}`, {
        fix: unfitPluginFix({ name: entry.plugin, source: entry.source, root: entry.root }),
        code: 'EINCOMPATIBLE',
      });
    }
    let mod: BackendModule;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(entry.modulePath) as BackendModule;
    } catch (error) {
      // the first line only: a missing module's message goes on with Node's "Require stack" (--debug shows it)
      throw new UserError(`The backend "${name}" from ${entry.plugin} could not be loaded (${printable(pluginErrorText(error))})`, {
        fix: brokenPluginFix({ name: entry.plugin, source: entry.source, root: entry.root }),
        code: 'EPLUGIN',
        cause: error,
      });
    }
    if (typeof mod?.createBackend !== 'function') {
      // the plugin's author fixes the module (the contract is docs/writing-a-backend.md §1); the user can only
      // fix a linked folder or stop using the plugin, as for any module that cannot be loaded
      throw new UserError(`The backend "${name}" from ${entry.plugin} does not export createBackend()`, {
        fix: brokenPluginFix({ name: entry.plugin, source: entry.source, root: entry.root }),
        code: 'EPLUGIN',
      });
    }
    this.loaded.set(key, mod);
    return mod;
  }

  /** Creates a backend with its context (backendContext), so every backend sees the same host API. */
  async create(name: string, context: Pick<BackendContext, 'settings' | 'log'>): Promise<Backend> {
    const mod = this.module(name);
    let backend: Backend;
    try {
      backend = await mod.createBackend(backendContext(name, context));
    } catch (error) {
      const entry = this.entries.get(name.toLowerCase());
      // a plugin's refusal (a UserError) stands; anything else is the plugin's bug, not sregistry's (EINTERNAL)
      if (isUserError(error) || !entry || !('modulePath' in entry) || entry.source === 'core') throw error;
      throw new UserError(`The backend "${name}" from ${entry.plugin} failed to start (${printable(pluginErrorText(error))})`, {
        fix: brokenPluginFix({ name: entry.plugin, source: entry.source, root: entry.root }),
        code: 'EPLUGIN',
        cause: error,
      });
    }
    // what it returned is used as a Backend at once: anything else would fail later as sregistry's own bug
    // ("x.resolve is not a function") or as a misleading "pull is not implemented"
    const problem = backendProblem(backend);
    if (problem)
      throw this.unusableAnswer(
        name,
        `gave no usable backend (createBackend ${problem})`,
        'createBackend must return an object whose operations are functions (docs/writing-a-backend.md §1)',
      );
    return backend;
  }

  /**
   * The error for an answer of a backend's that core cannot use (`what` says which and why): the plugin's fault
   * (EPLUGIN), never reported as sregistry's own bug, with the fix for where the plugin came from.
   */
  unusableAnswer(name: string, what: string, inlineFix = 'the backend must answer as docs/writing-a-backend.md says'): UserError {
    const entry = this.entries.get(name.toLowerCase());
    const origin = entry && 'modulePath' in entry ? entry : undefined;
    return new UserError(`The backend "${name}" from ${entry?.plugin ?? 'inline'} ${what}`, {
      fix: origin ? brokenPluginFix({ name: origin.plugin, source: origin.source, root: origin.root }) : inlineFix,
      code: 'EPLUGIN',
    });
  }
}

/** The members of a Backend that, when present, are called. */
const OPERATIONS = ['resolve', 'push', 'search', 'labels', 'delete', 'describe'] as const;

/** Why what createBackend returned is not a Backend, or undefined when it is one. */
function backendProblem(backend: unknown): string | undefined {
  if (backend === null) return 'returned null';
  if (typeof backend !== 'object') return `returned ${backend === undefined ? 'nothing' : `a ${typeof backend}`} instead of an object`;
  for (const member of OPERATIONS) {
    const value = (backend as Record<string, unknown>)[member];
    if (value !== undefined && typeof value !== 'function')
      return `returned an object whose ${member} is a ${value === null ? 'null' : typeof value}, not a function`;
  }
  const capabilities = (backend as { capabilities?: unknown }).capabilities;
  if (capabilities !== undefined && !(Array.isArray(capabilities) && capabilities.every((c) => typeof c === 'string'))) {
    return 'returned an object whose capabilities is not a list of names';
  }
  return undefined;
}
