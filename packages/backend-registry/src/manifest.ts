// Reading one container's manifest (`GET /api/container/<c>/<n>:<t>`), for pull and for checking a push.
// Public containers answer without a signature; private ones answer 403 first and then need a `pull` signature.
import type { ImageName, JsonResponse } from '@sregistry/core';
import { bareNumber, CLOCK_HINT, credentialsFix, detailOf, isEmptyObject, isObject, unauthorized, unexpected } from './answers';
import type { RegistryLocation } from './config';
import { containerPath, plainUri } from './endpoints';
import { authorizationHeader } from './hmac';
import type { Runtime } from './runtime';

export interface Manifest {
  url: string;
  data: Record<string, unknown>;
}

type NameParts = Pick<ImageName, 'collection' | 'image' | 'tag' | 'version'>;

function needsSignature(answer: JsonResponse): boolean {
  return answer.status === 401 || answer.status === 403;
}

/** A refused signature: 401/403, or the server's HTTP 200 with body `400` (bad or expired signature). */
function refused(answer: JsonResponse): boolean {
  return needsSignature(answer) || bareNumber(answer) === 400;
}

export async function readManifest(
  rt: Runtime,
  name: NameParts,
  location: RegistryLocation,
  signal?: AbortSignal,
  options: { withVersion?: boolean } = {},
): Promise<Manifest> {
  const url = `${location.api}${containerPath(name, options.withVersion ?? false)}`;
  let answer = await rt.http.json({ url, signal });
  if (needsSignature(answer)) {
    rt.log.debug(`${answer.status} without a signature: the collection is private, signing a pull request`);
    const credentials = rt.credentials();
    answer = await rt.http.signed(
      (date) => authorizationHeader('pull', { ...credentials, collection: name.collection, name: name.image, tag: name.tag, date }),
      (authorization) => rt.http.json({ url, headers: { Authorization: authorization }, signal }),
      refused,
    );
  }
  return { url, data: interpret(rt, answer, name, location, url) };
}

function interpret(rt: Runtime, answer: JsonResponse, name: NameParts, location: RegistryLocation, url: string): Record<string, unknown> {
  const { UserError } = rt.host;
  const uri = plainUri({ ...name, version: undefined });
  if (answer.status === 401 || answer.status === 403) {
    throw unauthorized(rt.host, answer, `you have no access to ${uri}`, 'or ask the collection owner for access', CLOCK_HINT);
  }
  if (answer.status === 404 || (answer.status === 200 && isEmptyObject(answer.data))) throw notFound(rt, uri, location);
  const code = answer.status === 200 ? bareNumber(answer) : undefined;
  if (code === 400) {
    throw new UserError('the registry rejected the signature (400)', {
      fix: credentialsFix(CLOCK_HINT),
      code: 'EPERM',
    });
  }
  if (code === 429) {
    throw new UserError("the registry's download limit for this image is reached (429)", {
      fix: 'try again later (the download counters are reset daily)',
      code: 'ERATELIMIT',
    });
  }
  if (code !== undefined) {
    throw new UserError(`the registry answered ${code} for ${uri}`, { fix: 'run with --debug to see the exchange', code: 'EBADANSWER' });
  }
  if (answer.status === 200 && isObject(answer.data)) return answer.data;
  const detail = detailOf(answer);
  rt.log.debug(`unexpected answer ${answer.status}${detail ? ` (${detail})` : ''}`);
  throw unexpected(rt.host, answer, url);
}

export function notFound(rt: Runtime, uri: string, location: RegistryLocation): Error {
  const collection = uri.split('/').slice(0, -1).join('/');
  return new rt.host.UserError(`${uri} was not found on ${location.root}`, {
    fix: `check the name and tag; sregistry search ${collection}/ lists what the collection holds`,
    code: 'ENOTFOUND',
  });
}
