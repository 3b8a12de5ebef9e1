// library:// references: the full form, with a host, the short forms Apptainer accepts, pins, and bad names as one
// line each, before any request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as core from '../../core/src/index';
import { display, machineArch, parseReference, refPath, toReference } from '../src/reference';

const host = core.backendHost();
const HEX = 'a'.repeat(64);

test('the full form and its parts', () => {
  const ref = parseReference(host, 'library://alice/tools/tacos:v1');
  assert.deepEqual(ref, {
    host: undefined,
    entity: 'alice',
    collection: 'tools',
    container: 'tacos',
    tags: ['v1'],
    tagged: true,
    hash: undefined,
    path: 'alice/tools/tacos',
  });
  assert.equal(refPath(ref), 'alice/tools/tacos:v1');
  assert.equal(display(ref), 'library://alice/tools/tacos:v1');
});

test('a host (fourth part, or a first part with a port)', () => {
  assert.equal(parseReference(host, 'library://cloud.sylabs.io/library/default/alpine:3.11').host, 'cloud.sylabs.io');
  const ported = parseReference(host, 'library://127.0.0.1:8080/alice/tools/tacos');
  assert.equal(ported.host, '127.0.0.1:8080');
  assert.equal(ported.path, 'alice/tools/tacos');
  assert.deepEqual(ported.tags, ['latest']);
  assert.equal(ported.tagged, false);
  assert.equal(display(ported), 'library://127.0.0.1:8080/alice/tools/tacos:latest');
});

test('short forms: library://<container> is library/default/<container>:latest; two parts leave the entity to the server', () => {
  const one = parseReference(host, 'library://alpine');
  assert.equal(refPath(one), 'library/default/alpine:latest');
  const two = parseReference(host, 'library://tools/tacos:v2');
  assert.equal(two.entity, undefined);
  assert.equal(refPath(two), 'tools/tacos:v2');
  assert.equal(refPath(parseReference(host, 'alice/tools/tacos')), 'alice/tools/tacos:latest', 'without the scheme (active backend)');
});

test('pins: :sha256.<hex> and @sha256.<hex>; several tags for a push', () => {
  const colon = parseReference(host, `library://alice/tools/tacos:sha256.${HEX}`);
  assert.equal(colon.hash, `sha256.${HEX}`);
  assert.equal(refPath(colon), `alice/tools/tacos:sha256.${HEX}`);
  assert.deepEqual(colon.tags, ['latest']);
  const at = parseReference(host, `library://alice/tools/tacos:v1@sha256.${HEX}`);
  assert.equal(at.hash, `sha256.${HEX}`);
  assert.deepEqual(at.tags, ['v1']);
  assert.deepEqual(parseReference(host, 'library://alice/tools/tacos:v1,stable').tags, ['v1', 'stable']);
});

test('bad names are one-line UserErrors with a fix', () => {
  for (const bad of [
    'library://Alice/tools/tacos',
    'library://a/b/c/d/e',
    'library://alice//tacos',
    `library://alice/tools/tacos@sha256.short`,
    'library://alice/tools/tacos:bad tag',
    'library://alice/tools/tacos:-x',
    'oras://alice/tools/tacos',
    'library://../x',
    'library://',
  ]) {
    assert.throws(
      () => parseReference(host, bad),
      (error: unknown) => core.isUserError(error) && error.code === 'EBADNAME' && Boolean(error.fix) && !error.message.includes('\n'),
      bad,
    );
  }
  assert.throws(() => parseReference(host, 'library://Alice/tools/tacos'), /lower case/);
});

test('a malformed pin is refused the same way after ":" as after "@", before any request', () => {
  const pinFix = /^pin an image as @sha256\.<64 lower-case hex digits>$/;
  for (const bad of ['@sha256.123', ':sha256.123', `:SHA256.${HEX}`, `:sha256.${'A'.repeat(64)}`, `:sha256.${HEX}0`]) {
    assert.throws(
      () => parseReference(host, `library://alice/tools/tacos${bad}`),
      (error: unknown) =>
        core.isUserError(error) &&
        error.code === 'EBADNAME' &&
        /pins something that is not an image hash/.test(error.message) &&
        pinFix.test(error.fix ?? ''),
      bad,
    );
  }
  // among several tags, or as push --tag, a tag the library would read as a pin is not a tag
  assert.throws(() => parseReference(host, 'library://alice/tools/tacos:v1,sha256.123'), /not a valid tag/);
  const name = core.parseImageName('library://alice/tools/tacos:v1');
  assert.throws(() => toReference(host, { ...name, tag: 'sha256.123' }), /not a valid tag/);
});

test('the machine architecture in Go words', () => {
  assert.equal(machineArch('x64'), 'amd64');
  assert.equal(machineArch('arm64'), 'arm64');
  assert.equal(machineArch('ppc64'), 'ppc64le');
});
