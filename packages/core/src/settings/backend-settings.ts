import type { BackendSettings } from '../contracts/backend';
import { UserError } from '../errors';
import { printable } from '../output/untrusted';
import { rememberSecret } from '../transfer/redact';
import { BOOLEAN_WORDS, type Env, yesOrNo } from './env';
import type { SecretsFile } from './secrets';

const CREDENTIAL_SETTING = /token|secret|passw/i;

/** The original's lookup rule: the environment variable, else the backend's section of the secrets file. */
export function backendSettings(backend: string, secrets: SecretsFile, env: Env = process.env): BackendSettings {
  const lookup = (name: string): string | undefined => {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const value = secrets.section(backend)[name];
    return value === '' ? undefined : value;
  };
  const get = (name: string): string | undefined => {
    const value = lookup(name);
    // a credential a backend reads is masked in everything printed afterwards, should a server echo it
    if (CREDENTIAL_SETTING.test(name)) rememberSecret(value);
    return value;
  };
  return {
    get,
    getBoolean(name) {
      const raw = get(name);
      const value = yesOrNo(raw);
      if (value !== undefined) return value;
      // `maybe` or `ture` silently read as false turned TLS back on (or verification) with no word of why
      throw new UserError(`${name} is "${printable(raw?.trim(), { max: 40 })}", not yes or no`, {
        fix: `set it to ${BOOLEAN_WORDS}, or unset it for the default: unset ${name}, or sregistry backend rm ${backend} ${name}`,
        code: 'ESETTING',
      });
    },
    positiveInteger(name) {
      const raw = get(name)?.trim();
      if (raw === undefined || raw === '') return undefined;
      const n = Number(raw);
      if (Number.isSafeInteger(n) && n > 0) return n;
      throw new UserError(`${name} is "${printable(raw, { max: 40 })}", not a positive whole number`, {
        fix: `set it to a whole number above 0, or unset it for the default: unset ${name}, or sregistry backend rm ${backend} ${name}`,
        code: 'ESETTING',
      });
    },
    fromSecretsFile(name) {
      const value = secrets.section(backend)[name];
      if (CREDENTIAL_SETTING.test(name)) rememberSecret(value);
      return value === '' ? undefined : value;
    },
    require(name, hint) {
      const value = get(name);
      if (value === undefined) {
        throw new UserError(`${name} is not set`, {
          fix: hint ?? `export ${name}=..., or run: sregistry backend add ${backend} ${name} <value>`,
          code: 'ESETTING',
        });
      }
      return value;
    },
  };
}

/** The original's variable naming: prefixed with SREGISTRY_<BACKEND>_ unless already, upper-cased. */
export function settingName(backend: string, variable: string): string {
  const prefix = `SREGISTRY_${backend.toUpperCase().replace(/-/g, '_')}_`;
  const upper = variable.toUpperCase();
  return upper.startsWith(prefix) ? upper : `${prefix}${upper}`;
}
