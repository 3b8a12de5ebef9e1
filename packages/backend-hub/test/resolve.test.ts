import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type HubServer, startHubServer } from '@sregistry/testkit';
import { notFound } from '../src/errors';
import { core, type Harness, harness, userError } from './helpers';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const COMMIT_DEV = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const OTHER_COMMIT = '0123456789abcdef0123456789abcdef01234567';
const FAKE_DIGEST = 'f'.repeat(32);

describe('hub backend resolve against the archive service', () => {
  let dir: string;
  let hub: HubServer;
  let h: Harness;
  const files: Record<string, Buffer> = {};

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-hub-resolve-'));
    for (const name of ['a.sif', 'b.sif', 'c.simg', 'e.sif', 'legacy.img']) {
      files[name] = randomBytes(4096 + Object.keys(files).length);
      fs.writeFileSync(path.join(dir, name), files[name]!);
    }
    const f = (name: string) => path.join(dir, name);
    hub = await startHubServer({
      images: [
        { user: 'vsoch', repo: 'hello', tag: 'latest', file: f('a.sif') },
        { user: 'vsoch', repo: 'hello', tag: 'dev', file: f('b.sif'), commit: COMMIT_DEV },
        { user: 'Other', repo: 'Mixed-Case', tag: 'one', file: f('c.simg') },
        // A tag that looks like an md5 but is not this build's version: the fallback must not accept it.
        { user: 'vsoch', repo: 'tricky', tag: FAKE_DIGEST, file: f('e.sif') },
        { user: 'legacy', repo: 'v1', tag: 'master', file: f('legacy.img'), format: 'img.gz' },
        { user: 'never', repo: 'built', tag: 'latest', file: f('a.sif'), imageNull: true },
      ],
    });
  });
  after(async () => {
    await hub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    h?.cleanup();
    h = harness({ SREGISTRY_HUB_BASE: hub.origin });
    hub.clearRequests();
  });

  const resolve = (uri: string) => h.backend.resolve!(h.parse(uri));
  const paths = () => hub.requests.map((r) => r.url);
  const debug = () => h.lines.filter((l) => l.level === 'debug').map((l) => l.message);
  const warnings = () => h.lines.filter((l) => l.level === 'warn').map((l) => l.message);

  test(':tag resolves with one request and maps the manifest onto the RemoteImage', async () => {
    const remote = await resolve('shub://vsoch/hello:dev');
    const manifest = hub.lookup('vsoch', 'hello', ':dev')!;
    assert.deepEqual(paths(), ['/api/container/vsoch/hello:dev']);
    assert.equal(remote.name.collection, 'vsoch');
    assert.equal(remote.name.image, 'hello');
    assert.equal(remote.name.tag, 'dev');
    assert.equal(remote.name.version, md5(files['b.sif']!));
    assert.equal(remote.name.original, 'shub://vsoch/hello:dev');
    assert.equal(remote.version, md5(files['b.sif']!));
    assert.equal(remote.md5, md5(files['b.sif']!));
    assert.equal(remote.url, manifest.image);
    assert.equal(remote.sourceUrl, `${hub.origin}/api/container/vsoch/hello:dev`);
    assert.deepEqual(remote.manifest, manifest);
    assert.ok(debug().some((l) => l.includes('through the exact manifest route')));
  });

  test('names keep their case for the lookup (a lower-cased name is another, missing, collection); the catalogue name is lower-cased', async () => {
    const remote = await resolve('shub://Other/Mixed-Case:one');
    assert.deepEqual(paths(), ['/api/container/Other/Mixed-Case:one']);
    assert.equal(remote.name.collection, 'other');
    assert.equal(remote.name.image, 'mixed-case');
    await userError(() => resolve('shub://other/mixed-case:one'));
  });

  test('no tag asks for :latest; the archive answers the newest build and the name gets its real tag', async () => {
    const remote = await resolve('shub://Other/Mixed-Case');
    assert.deepEqual(paths(), ['/api/container/Other/Mixed-Case:latest']);
    assert.equal(remote.name.tag, 'one');
  });

  test('@md5: the exact route is 404 on the archive, the retry with :md5 is accepted after the version check', async () => {
    const v = md5(files['b.sif']!);
    const remote = await resolve(`shub://vsoch/hello@${v}`);
    assert.deepEqual(paths(), [`/api/container/vsoch/hello@${v}`, `/api/container/vsoch/hello:${v}`]);
    assert.equal(remote.version, v);
    assert.equal(remote.name.tag, 'dev');
    assert.equal(remote.sourceUrl, `${hub.origin}/api/container/vsoch/hello:${v}`);
    assert.ok(debug().some((l) => l.includes(`a retry with the digest as the tag (:${v}), version checked`)));
    assert.deepEqual(warnings(), []);
  });

  test('@md5: a build found by the retry whose version differs is refused', async () => {
    const error = await userError(() => resolve(`shub://vsoch/tricky@${FAKE_DIGEST}`));
    assert.equal(error.code, 'EDIGEST');
    assert.match(error.message, new RegExp(`version is ${md5(files['e.sif']!)}, not ${FAKE_DIGEST}`));
    assert.ok(error.fix);
  });

  test(':tag@md5: exact first, then :md5; a tag that does not match is a warning', async () => {
    const v = md5(files['b.sif']!);
    const remote = await resolve(`shub://vsoch/hello:dev@${v}`);
    assert.deepEqual(paths(), [`/api/container/vsoch/hello:dev@${v}`, `/api/container/vsoch/hello:${v}`]);
    assert.equal(remote.name.tag, 'dev');
    assert.deepEqual(warnings(), []);

    const other = await resolve(`shub://vsoch/hello:latest@${v}`);
    assert.equal(other.version, v);
    assert.deepEqual(warnings(), [`vsoch/hello:latest@${v}: the build with this digest is tagged "dev", not "latest"`]);
  });

  test(':tag@commit: the archive has no commit lookup, so the tag is fetched and its commit checked', async () => {
    const remote = await resolve(`shub://vsoch/hello:dev@${COMMIT_DEV}`);
    assert.deepEqual(paths(), [
      `/api/container/vsoch/hello:dev@${COMMIT_DEV}`,
      `/api/container/vsoch/hello:${COMMIT_DEV}`,
      '/api/container/vsoch/hello:dev',
    ]);
    assert.equal(remote.version, md5(files['b.sif']!));
    assert.ok(debug().some((l) => l.includes('a retry by tag (:dev), commit checked')));

    const error = await userError(() => resolve(`shub://vsoch/hello:dev@${OTHER_COMMIT}`));
    assert.equal(error.code, 'EDIGEST');
    assert.match(error.message, new RegExp(`commit is ${COMMIT_DEV}, not ${OTHER_COMMIT}`));
  });

  test('404: one line naming user/repo:tag, with a fix about latest and the archive browser', async () => {
    const error = await userError(() => resolve('shub://vsoch/nope'));
    assert.equal(error.message, `vsoch/nope:latest was not found on Singularity Hub at ${hub.origin}`);
    assert.match(error.fix ?? '', /`latest` only exists when the collection had a plain "Singularity" recipe/);
    assert.match(error.fix ?? '', /https:\/\/datasets\.datalad\.org\/\?dir=\/shub/);
    assert.equal(error.exitCode, 1);
    assert.equal(notFound({ host: core.backendHost() }, 'u/r:t', 'Singularity Hub').message, 'u/r:t was not found on Singularity Hub');
  });

  test('426 with a bare integer body is a rate-limit error', async () => {
    hub.behaviour.rateLimit426 = 50;
    try {
      const error = await userError(() => resolve('shub://vsoch/hello:dev'));
      assert.equal(error.code, 'ERATELIMIT');
      assert.equal(error.message, 'Singularity Hub refused vsoch/hello:dev: rate limit reached (HTTP 426, the server said 50)');
      assert.match(error.fix ?? '', /try again/);
    } finally {
      hub.behaviour.rateLimit426 = undefined;
    }
  });

  test('500 says the Hub failed, with the server detail', async () => {
    hub.behaviour.status500 = ['/api/container/vsoch/hello:dev'];
    try {
      const error = await userError(() => resolve('shub://vsoch/hello:dev'));
      assert.match(error.message, /^The Hub failed while resolving vsoch\/hello:dev \(HTTP 500: Exception injected/);
      assert.ok(error.fix);
    } finally {
      hub.behaviour.status500 = [];
    }
  });

  test('image null: the build was never finished', async () => {
    const error = await userError(() => resolve('shub://never/built'));
    assert.match(error.message, /^never\/built:latest is on Singularity Hub but the build was never finished/);
  });

  test('img.gz: no md5 for the gzip; the decompressed md5 is flagged in the manifest for --gunzip', async () => {
    const remote = await resolve('shub://legacy/v1:master');
    assert.match(remote.url, /\.img\.gz$/);
    assert.equal(remote.md5, undefined);
    assert.equal(remote.version, md5(files['legacy.img']!));
    assert.equal(remote.manifest.expectGunzippedMd5, md5(files['legacy.img']!));
  });

  test('search and labels are clear errors and touch no network', async () => {
    const s = await userError(() => h.backend.search!(undefined));
    assert.equal(s.message, 'Singularity Hub is a read-only archive and has no search API');
    assert.equal(s.fix, "browse https://datasets.datalad.org/?dir=/shub or the archive's site, then pull with shub://user/repo:tag");
    assert.equal(s.exitCode, 1);
    const l = await userError(() => h.backend.labels!({}));
    assert.match(l.message, /read-only archive and has no labels API/);
    assert.deepEqual(paths(), []);
  });

  test('a host in the URI is used instead of the base (http only with SREGISTRY_HUB_NOHTTPS)', async () => {
    const host = `127.0.0.1:${hub.port}`;
    const local = harness({ SREGISTRY_HUB_BASE: 'http://127.0.0.1:1', SREGISTRY_HUB_NOHTTPS: 'true' });
    try {
      const remote = await local.backend.resolve!(local.parse(`shub://${host}/vsoch/hello:dev`));
      assert.equal(remote.sourceUrl, `http://${host}/api/container/vsoch/hello:dev`);
      assert.equal(remote.name.collection, 'vsoch');
      assert.equal(remote.name.registry, undefined);
    } finally {
      local.cleanup();
    }
    const tls = harness({ SREGISTRY_HUB_BASE: hub.origin });
    try {
      await userError(() => tls.backend.resolve!(tls.parse(`shub://${host}/vsoch/hello:dev`)));
      assert.ok(tls.lines.some((l) => l.message === `hub: GET https://${host}/api/container/vsoch/hello:dev`));
    } finally {
      tls.cleanup();
    }
  });

  test('the legacy secrets base with /api reaches the same routes', async () => {
    const legacy = harness({}, { hub: { base: `${hub.origin}/api` } });
    try {
      const remote = await legacy.backend.resolve!(legacy.parse('shub://vsoch/hello'));
      assert.equal(remote.sourceUrl, `${hub.origin}/api/container/vsoch/hello:latest`);
      assert.equal(remote.version, md5(files['a.sif']!));
    } finally {
      legacy.cleanup();
    }
  });
});
