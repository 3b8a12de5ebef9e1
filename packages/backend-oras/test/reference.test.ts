// oras:// names → OCI references, and the auth challenge parser: the refusals a user sees before any request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUserError, parseImageName, UserError } from '@sregistry/core';
import { parseOptions } from '../src/backend';
import { parseChallenge } from '../src/client';
import type { Host } from '../src/host';
import { toReference } from '../src/reference';

const host = { UserError, isUserError } as unknown as Host;
const ref = (uri: string) => toReference(host, parseImageName(uri, parseOptions));
const HEX = 'b'.repeat(64);

test('host, repository path, tag or digest; the tag keeps its case; one-part paths stay one part', () => {
  assert.deepEqual(ref('oras://ghcr.io/org/team/image:V1.2'), {
    host: 'ghcr.io',
    repository: 'org/team/image',
    tag: 'V1.2',
    tagged: true,
    digest: undefined,
    display: 'ghcr.io/org/team/image:V1.2',
  });
  assert.equal(ref('oras://127.0.0.1:5000/hello').repository, 'hello');
  assert.equal(ref('oras://127.0.0.1:5000/hello').tag, 'latest');
  const pinned = ref(`oras://localhost:5000/a/b@sha256:${HEX}`);
  assert.equal(pinned.digest, `sha256:${HEX}`);
  assert.equal(pinned.tagged, false);
  assert.equal(ref(`oras://localhost:5000/a/b:v1@sha256:${HEX}`).tagged, true);
  assert.equal(pinned.display, `localhost:5000/a/b@sha256:${HEX}`);
});

test('a registry without a repository, and a digest that is not one, are named as such, with the oras:// form as the fix', () => {
  assert.throws(
    () => ref('oras://127.0.0.1:5000'),
    (e: unknown) =>
      isUserError(e) &&
      /names the registry 127\.0\.0\.1:5000 but no repository/.test(e.message) &&
      /search oras:\/\/127\.0\.0\.1:5000\//.test(e.fix ?? ''),
  );
  assert.throws(
    () => ref('oras://127.0.0.1:5000/a/b@sha256:abc'),
    (e: unknown) => isUserError(e) && /"@sha256:abc" is not a digest/.test(e.message) && /^use oras:\/\//.test(e.fix ?? ''),
  );
});

test('refusals: upper-case repositories (with the lower-case name), no registry host, bad separators', () => {
  assert.throws(
    () => ref('oras://ghcr.io/Org/Image:v1'),
    (e: unknown) => isUserError(e) && /OCI names are lower case/.test(e.message) && /org\/image/.test(e.fix ?? ''),
  );
  assert.throws(
    () => ref('oras://org/image:v1'),
    (e: unknown) => isUserError(e) && /does not name a registry host/.test(e.message),
  );
  assert.throws(
    () => ref('oras://ghcr.io/org/.image:v1'),
    (e: unknown) => isUserError(e) && e.code === 'EBADNAME',
  );
  assert.throws(
    () => ref('oras://ghcr.io/org/image_:v1'),
    (e: unknown) => isUserError(e) && e.code === 'EBADNAME',
  );
});

test('WWW-Authenticate challenges', () => {
  assert.deepEqual(
    parseChallenge(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull",error="invalid_token"',
    ),
    {
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull', error: 'invalid_token' },
    },
  );
  assert.deepEqual(parseChallenge('Basic realm="x"'), { scheme: 'basic', params: { realm: 'x' } });
  assert.equal(parseChallenge(undefined), undefined);
});
