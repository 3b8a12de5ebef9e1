import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUserError } from '../src/errors';
import { parseImageName, splitScheme, withVersion } from '../src/uri/index';

// client-spec §4.3, with the two documented mis-parses fixed (host:port is a registry).
const GOLDEN: Array<
  [string, Partial<Record<'registry' | 'collection' | 'image' | 'tag' | 'version' | 'uri' | 'storage', string | undefined>>]
> = [
  [
    'ubuntu',
    {
      registry: undefined,
      collection: 'library',
      image: 'ubuntu',
      tag: 'latest',
      version: undefined,
      uri: 'library/ubuntu:latest',
      storage: 'library/ubuntu:latest.sif',
    },
  ],
  [
    'ubuntu:18.04',
    { collection: 'library', image: 'ubuntu', tag: '18.04', uri: 'library/ubuntu:18.04', storage: 'library/ubuntu:18.04.sif' },
  ],
  [
    'vsoch/hello-world',
    { collection: 'vsoch', image: 'hello-world', tag: 'latest', uri: 'vsoch/hello-world:latest', storage: 'vsoch/hello-world:latest.sif' },
  ],
  ['Vsoch/Hello-World:V1', { collection: 'vsoch', image: 'hello-world', tag: 'v1', uri: 'vsoch/hello-world:v1' }],
  [
    'vsoch/hello-world:latest@ABC',
    {
      collection: 'vsoch',
      image: 'hello-world',
      tag: 'latest',
      version: 'abc',
      uri: 'vsoch/hello-world:latest@abc',
      storage: 'vsoch/hello-world:latest@abc.sif',
    },
  ],
  ['vsoch/hello-world@abc', { tag: 'latest', version: 'abc', uri: 'vsoch/hello-world:latest@abc' }],
  ['library/ubuntu.sif', { collection: 'library', image: 'ubuntu', tag: 'latest', uri: 'library/ubuntu:latest' }],
  ['file.simg', { collection: 'library', image: 'file', uri: 'library/file:latest', storage: 'library/file:latest.sif' }],
  ['a/b/c', { registry: 'a', collection: 'b', image: 'c', tag: 'latest', uri: 'a/b/c:latest', storage: 'a/b/c:latest.sif' }],
  ['a/b/c/d:tag@v', { registry: 'a', collection: 'b/c', image: 'd', tag: 'tag', version: 'v', uri: 'a/b/c/d:tag@v' }],
  [
    'registry.example.com/coll/name:tag',
    { registry: 'registry.example.com', collection: 'coll', image: 'name', tag: 'tag', uri: 'registry.example.com/coll/name:tag' },
  ],
  [
    'registry.example.com/name',
    { registry: 'registry.example.com', collection: 'library', image: 'name', uri: 'registry.example.com/library/name:latest' },
  ],
  ['localhost/coll/name', { registry: 'localhost', collection: 'coll', image: 'name', uri: 'localhost/coll/name:latest' }],
  // fixed defects: the original gave collection library, image host, tag 5000/coll/name
  ['host:5000/coll/name', { registry: 'host:5000', collection: 'coll', image: 'name', tag: 'latest', uri: 'host:5000/coll/name:latest' }],
  [
    '127.0.0.1:18765/vanessa/tacos',
    { registry: '127.0.0.1:18765', collection: 'vanessa', image: 'tacos', uri: '127.0.0.1:18765/vanessa/tacos:latest' },
  ],
  // the suffix is removed only at the end: the original turned my.img.server into my.server
  ['my.img.server/coll/name', { registry: 'my.img.server', collection: 'coll', image: 'name' }],
  ['registry://vanessa/tacos:latest', { collection: 'vanessa', image: 'tacos', tag: 'latest', uri: 'vanessa/tacos:latest' }],
  // a first segment no host can be (an underscore) is a collection (registry-api.md §1.3's Bob_Coll.X)
  ['Mine_Coll.X/Name:Tag', { registry: undefined, collection: 'mine_coll.x', image: 'name', tag: 'tag', uri: 'mine_coll.x/name:tag' }],
  ['Bob_Coll/sub/name', { registry: undefined, collection: 'bob_coll/sub', image: 'name', uri: 'bob_coll/sub/name:latest' }],
  ['my_host.org/coll/name:v1', { registry: undefined, collection: 'my_host.org/coll', image: 'name', tag: 'v1' }],
  // what can be one stays a host: names, IPv4, [IPv6], localhost, each with a port
  ['my-host.example.org/c/n', { registry: 'my-host.example.org', collection: 'c', image: 'n' }],
  ['[::1]:5000/c/n', { registry: '[::1]:5000', collection: 'c', image: 'n' }],
  ['localhost:5000/n', { registry: 'localhost:5000', collection: 'library', image: 'n' }],
  ['10.0.0.1/n:t', { registry: '10.0.0.1', collection: 'library', image: 'n', tag: 't' }],
];

for (const [input, expected] of GOLDEN) {
  test(`parses ${input}`, () => {
    const parsed = parseImageName(input);
    for (const [key, value] of Object.entries(expected)) {
      assert.equal(parsed[key as keyof typeof parsed], value, `${input}: ${key}`);
    }
    assert.equal(parsed.original, input);
  });
}

test('explicit tag and version override the parsed ones', () => {
  assert.equal(parseImageName('vsoch/x:one', { tag: 'two' }).uri, 'vsoch/x:two');
  const v = parseImageName('vsoch/x', { version: 'VV' });
  assert.equal(v.uri, 'vsoch/x:latest@vv');
  assert.equal(v.storage, 'vsoch/x:latest@vv.sif');
});

test('the hub keeps case when asked', () => {
  const p = parseImageName('Vsoch/Hello:V1', { lowercase: false });
  assert.deepEqual([p.collection, p.image, p.tag, p.uri], ['Vsoch', 'Hello', 'V1', 'Vsoch/Hello:V1']);
});

test('without defaults, missing collection and tag stay missing', () => {
  const p = parseImageName('tacos', { defaults: false });
  assert.equal(p.collection, undefined);
  assert.equal(p.tag, undefined);
  assert.equal(p.image, 'tacos');
});

test('schemes are split at the last ://, lower-cased, _ becomes -', () => {
  assert.deepEqual(splitScheme('docker://ubuntu'), { scheme: 'docker', rest: 'ubuntu' });
  assert.deepEqual(splitScheme('SHUB://a/b'), { scheme: 'shub', rest: 'a/b' });
  assert.deepEqual(splitScheme('google_storage://x'), { scheme: 'google-storage', rest: 'x' });
  assert.deepEqual(splitScheme('x/y'), { rest: 'x/y' });
});

test('withVersion rebuilds uri and storage', () => {
  const n = withVersion(parseImageName('vanessa/tacos'), 'ABC123');
  assert.equal(n.uri, 'vanessa/tacos:latest@abc123');
  assert.equal(n.storage, 'vanessa/tacos:latest@abc123.sif');
});

const HOSTILE = [
  '',
  '   ',
  'a b/c',
  'vanessa/tacos\u0000',
  '../../etc/passwd',
  'coll/../name',
  '/etc/passwd',
  'coll/name:../../x',
  'coll/name@../x',
  'coll/name:tag/../../x',
  'coll\\name',
  `coll/${'x'.repeat(251)}`,
  'coll/name:a@b@c',
  'coll/-rf',
  'coll/./name',
];
for (const input of HOSTILE) {
  test(`refuses ${JSON.stringify(input)} with one clear line`, () => {
    assert.throws(
      () => parseImageName(input),
      (error: unknown) =>
        isUserError(error) &&
        // an empty value is a usage error (docs/errors.md), exit 2; a bad one is EBADNAME
        error.code === (input.trim() === '' ? 'EUSAGE' : 'EBADNAME') &&
        error.exitCode === (input.trim() === '' ? 2 : 1) &&
        !error.line.includes('\n') &&
        /Invalid image name/.test(error.message),
    );
  });
}

test('digestVersions: a content digest is a version only when the backend asks for it', () => {
  const hex = 'a'.repeat(64);
  const n = parseImageName(`oras://127.0.0.1:5000/org/sif@sha256:${hex}`, { lowercase: false, digestVersions: true });
  assert.equal(n.registry, '127.0.0.1:5000');
  assert.equal(n.collection, 'org');
  assert.equal(n.image, 'sif');
  assert.equal(n.version, `sha256:${hex}`);
  assert.throws(
    () => parseImageName(`org/sif@sha256:${hex}`),
    (e: unknown) => isUserError(e) && e.line.endsWith(`with a dot; use org/sif@sha256.${hex}`),
  );
  for (const bad of ['sha256:short', `md5:${hex.slice(0, 32)}`, `sha256:${hex}/x`]) {
    assert.throws(
      () => parseImageName(`org/sif@${bad}`, { digestVersions: true }),
      (e: unknown) => isUserError(e) && e.code === 'EBADNAME',
    );
  }
});

test('user:password@ before the host is one line about credentials, never echoing them; the backend names its login', () => {
  for (const input of [
    'oras://bob:hunter2-secret@127.0.0.1:5000/demo/lolcow:1.0',
    'oras://bob:p@ss-hunter2@ghcr.io/org/x',
    'oras://bob@ghcr.io/org/x',
  ]) {
    assert.throws(
      () => parseImageName(input, { lowercase: false, digestVersions: true, loginCommand: 'sregistry oras login <host>' }),
      (e: unknown) =>
        isUserError(e) &&
        e.code === 'EBADNAME' &&
        !e.line.includes('\n') &&
        /credentials do not go in the URI; remove them and log in instead: sregistry oras login (127\.0\.0\.1:5000|ghcr\.io)$/.test(
          e.line,
        ) &&
        !/bob|hunter2|p@ss/.test(e.line),
      input,
    );
  }
  // a backend without a login command gets the general advice
  assert.throws(
    () => parseImageName('library://bob:pw@host.example/a/b/c'),
    (e: unknown) => isUserError(e) && /credentials do not go in the URI; .*login command or settings$/.test(e.line),
  );
  // an @version without a host before it is still a version
  assert.equal(parseImageName('library://tacos:v1@abc').version, 'abc');
  assert.equal(parseImageName('oras://ghcr.io/org/x@sha256:'.concat('b'.repeat(64)), { digestVersions: true }).registry, 'ghcr.io');
});

test('a digest version spelt sha256:<hex> (OCI style) is answered with the name spelt sha256.<hex>, whole', () => {
  const hex = 'ab'.repeat(32);
  assert.throws(
    () => parseImageName(`registry://vanessa/tacos:latest@sha256:${hex}`),
    (e: unknown) =>
      isUserError(e) &&
      e.code === 'EBADNAME' &&
      e.line ===
        `Invalid image name: a digest version is written sha256.<hex>, with a dot; use registry://vanessa/tacos:latest@sha256.${hex}`,
  );
  assert.equal(parseImageName(`vanessa/tacos@sha256.${hex}`).version, `sha256.${hex}`);
});
