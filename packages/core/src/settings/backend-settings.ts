import type { BackendSettings } from '../contracts/backend';
import { UserError } from '../errors';
import { rememberSecret } from '../transfer/redact';
import { type Env, numberSetting, yesOrNoSetting } from './env';
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
      // `maybe` or `ture` silently read as false turned TLS back on (or verification) with no word of why
      return yesOrNoSetting(name, get(name), backend);
    },
    positiveInteger(name) {
      return numberSetting(name, get(name), { whole: true, backend });
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
          // backend add takes the short name (`base` for SREGISTRY_FOLDER_BASE), as every backend's docs give it
          fix: hint ?? `export ${name}=..., or run: sregistry backend add ${backend} ${shortSettingName(backend, name)} <value>`,
          code: 'ESETTING',
        });
      }
      return value;
    },
  };
}

/** The name `backend add <backend>` takes for a variable: without its SREGISTRY_<BACKEND>_ prefix, lower case. */
function shortSettingName(backend: string, variable: string): string {
  const prefix = settingName(backend, '');
  const upper = variable.toUpperCase();
  return upper.startsWith(prefix) && upper.length > prefix.length ? upper.slice(prefix.length).toLowerCase() : variable;
}

/** The original's variable naming: prefixed with SREGISTRY_<BACKEND>_ unless already, upper-cased. */
export function settingName(backend: string, variable: string): string {
  const prefix = `SREGISTRY_${backend.toUpperCase().replace(/-/g, '_')}_`;
  const upper = variable.toUpperCase();
  return upper.startsWith(prefix) ? upper : `${prefix}${upper}`;
}
