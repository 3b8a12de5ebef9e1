// delete (client-spec §6.7, registry-api.md §1.4): a signed DELETE of one container. The confirmation prompt
// lives in the command; the local catalogue is not touched.
import type { DeleteResult, ImageName, JsonResponse } from '@sregistry/core';
import { CLOCK_HINT, detailOf, unauthorized, unexpected } from './answers';
import type { RegistryLocation } from './config';
import { sameVersion, serverVersion } from './digest';
import { containerPath, plainUri } from './endpoints';
import { authorizationHeader } from './hmac';
import { notFound, readManifest } from './manifest';
import { serverName } from './names';
import type { Runtime } from './runtime';

function isFrozen(answer: JsonResponse): boolean {
  return answer.status === 403 && /frozen/i.test(detailOf(answer) ?? '');
}

export async function deleteImage(rt: Runtime, requested: ImageName): Promise<DeleteResult> {
  const { UserError } = rt.host;
  const location = rt.location(requested);
  const named = serverName(rt, requested);
  const name = await withServerVersion(rt, named, location);
  const url = `${location.api}${containerPath(name, true)}`;
  const uri = plainUri(name);
  const credentials = rt.credentials();
  // the server signs with the found container's collection, name and tag: the ones in the URL
  const answer = await rt.http.signed(
    (date) => authorizationHeader('delete', { ...credentials, collection: name.collection, name: name.image, tag: name.tag, date }),
    (authorization) => rt.http.json({ method: 'DELETE', url, headers: { Authorization: authorization } }),
    (a) => (a.status === 403 || a.status === 401) && !isFrozen(a),
  );
  if (answer.status === 204 || answer.status === 200 || answer.status === 202) {
    // the caller prints the name (`[delete] <uri> Deleted`): once is enough
    return { status: answer.status, message: 'Deleted', uri: named.uri };
  }
  if (answer.status === 404) throw notFound(rt, uri, location);
  if (isFrozen(answer)) {
    throw new UserError(`${uri} is frozen on the registry: it cannot be deleted`, {
      fix: "unfreeze it in the registry's web interface first (an owner or administrator can)",
      code: 'EFROZEN',
    });
  }
  if (answer.status === 401 || answer.status === 403) {
    throw unauthorized(rt.host, answer, `the registry refused to delete ${uri}`, CLOCK_HINT);
  }
  throw unexpected(rt.host, answer, url);
}

/**
 * DELETE matches the version exactly, in the server's spelling. A version given in another form (the bare sha256
 * the catalogue records, or `sha256.<hex>` while the server still says md5) is looked up first: the tag's current
 * version is deleted only when it is the one asked for.
 */
async function withServerVersion(rt: Runtime, name: ImageName, location: RegistryLocation): Promise<ImageName> {
  if (!name.version) return name;
  const held = (await readManifest(rt, name, location)).data.version;
  if (typeof held === 'string' && sameVersion(name.version, held) === false) {
    throw new rt.host.UserError(
      `the registry holds ${plainUri({ ...name, version: undefined })} at version ${rt.host.printable(held)}, not ${name.version}`,
      {
        fix: 'nothing was deleted; give the current version, or none',
        code: 'EVERSION',
      },
    );
  }
  const version = typeof held === 'string' && sameVersion(name.version, held) ? held : serverVersion(name.version);
  return { ...name, version };
}
