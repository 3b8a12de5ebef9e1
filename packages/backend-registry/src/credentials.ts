// Username and token, read only when a request has to be signed: public pulls and searches work without them.
// Nothing is ever written back to the secrets file (the original persisted tokens found in the environment).
import type { BackendContext } from '@sregistry/core';

export interface Credentials {
  username: string;
  token: string;
}

const TOKEN_JSON_HINT = 'or put the JSON from the registry\'s token page ({"registry": {"username", "token", "base"}}) in ~/.sregistry';

/** The token is checked first: it is the part users forget (the username usually comes with it). */
export function readCredentials(ctx: Pick<BackendContext, 'settings' | 'host'>): Credentials {
  const { settings, host } = ctx;
  const username = settings.get('SREGISTRY_REGISTRY_USERNAME') ?? settings.get('username');
  const token = settings.get('SREGISTRY_REGISTRY_TOKEN') ?? settings.get('token');
  if (!token) {
    throw new host.UserError('Failed to authorize: SREGISTRY_REGISTRY_TOKEN is not set', {
      fix: `export SREGISTRY_REGISTRY_TOKEN=<your token>, ${TOKEN_JSON_HINT}`,
      code: 'ENOAUTH',
    });
  }
  if (!username) {
    throw new host.UserError('Failed to authorize: SREGISTRY_REGISTRY_USERNAME is not set', {
      fix: `export SREGISTRY_REGISTRY_USERNAME=<your user name>, ${TOKEN_JSON_HINT}`,
      code: 'ENOAUTH',
    });
  }
  return { username, token };
}
