// End to end through the CLI, against the testkit Library API server (its object store on a second port, which
// refuses any Authorization header): pulls public, private, pinned and of the wrong architecture; pushes in one
// PUT and in several multipart parts (a failing part aborts, the next push succeeds), into a new collection, onto
// a frozen tag; search and its absence; the token never reaches the object host nor the output (--debug too).
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type LibraryServerHandle, sampleSif, startLibraryServer, writeSif } from '../../testkit/src/index';
import { assertOneLineError, fileSha256, type LibraryHome, libraryHome, TOKEN, USER } from './helpers';

const MIB = 1024 * 1024;

describe('library:// end to end', () => {
  let server: LibraryServerHandle;
  let home: LibraryHome;
  let anon: LibraryHome;
  let small: string;
  let other: string;
  let big: string;
  let big2: string;

  before(async () => {
    server = await startLibraryServer({ tokens: [{ token: TOKEN, owner: USER }], entities: [{ name: USER }], partSize: MIB });
    home = await libraryHome(server);
    anon = await libraryHome(server, { token: false });
    small = path.join(home.home, 'small.sif');
    other = path.join(home.home, 'other.sif');
    big = path.join(home.home, 'big.sif');
    big2 = path.join(home.home, 'big2.sif');
    await writeSif(big2, { partition: { data: randomBytes(2 * MIB + 99), arch: 'amd64' } });
    await sampleSif(small);
    await sampleSif(other, { uuid: '11111111-2222-3333-4444-555555555555' });
    // random bytes: parts put together in the wrong order would not hash right
    await writeSif(big, { partition: { data: randomBytes(3 * MIB + 12345), arch: 'amd64' } });
    await server.addImage({ ref: `${USER}/public/hello:latest`, file: small });
    await server.addImage({ ref: `${USER}/secret/hello:latest`, file: small, private: true });
    await server.addImage({ ref: `${USER}/public/armonly:latest`, file: other, arch: 'arm64' });
    await server.addImage({ ref: `${USER}/public/frozen:v1`, file: small, frozen: true });
  });
  after(async () => {
    home?.cleanup();
    anon?.cleanup();
    await server?.stop();
  });

  const noTokenAnywhere = (...texts: string[]) => {
    for (const t of texts) assert.ok(!t.includes(TOKEN), 'the token is never printed');
    assert.deepEqual(server.objectAuthRejections, [], 'the object host never got an Authorization header');
    assert.ok(server.requests.filter((r) => r.host === 'object').every((r) => !r.authorization));
  };

  test('public pull without a token, through the 303 to the object host, in ranged parts', async () => {
    const r = await anon.run(['pull', `library://${USER}/public/hello:latest`]);
    assert.equal(r.code, 0, r.stderr);
    const hash = fileSha256(small);
    const stored = path.join(anon.storage, USER, 'public', 'hello', `latest@sha256.${hash}.sif`);
    assert.equal(fileSha256(stored), hash);
    assert.match(r.stdout, new RegExp(`Success! ${stored.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.ok(
      server.requests.some((r) => r.host === 'object' && r.method === 'GET'),
      'the bytes came from the object host',
    );
    noTokenAnywhere(r.stdout, r.stderr);
  });

  test('private pull: refused in one line without a token, pulled with it; --debug never shows the token', async () => {
    const refused = await anon.run(['pull', `library://${USER}/secret/hello:latest`]);
    assertOneLineError(refused, /secret\/hello:latest/);
    assert.match(refused.stderr, /library login/);
    const r = await home.run(['pull', '--debug', `library://${USER}/secret/hello:latest`]);
    assert.equal(r.code, 0, r.stderr);
    noTokenAnywhere(r.stdout, r.stderr);
  });

  test('pinned hash, with :sha256. and @sha256.; a wrong pin is one line', async () => {
    const hash = fileSha256(small);
    const a = await home.run(['pull', '--force', `library://${USER}/public/hello:sha256.${hash}`]);
    assert.equal(a.code, 0, a.stderr);
    // catalogued under the pin, not under a latest the pinned image may not be
    assert.match(a.stdout, new RegExp(`\\[container\\]\\[\\w+\\] ${USER}/public/hello:sha256\\.${hash}@sha256\\.${hash}\\n`));
    assert.equal((await home.run(['get', `${USER}/public/hello:sha256.${hash}`])).code, 0);
    const b = await home.run(['pull', '--json', `library://${USER}/public/hello@sha256.${hash}`]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(JSON.parse(b.stdout).version, `sha256.${hash}`);
    const wrong = await home.run(['pull', `library://${USER}/public/hello:sha256.${'0'.repeat(64)}`]);
    assertOneLineError(wrong, /not in the library/);
  });

  test('wrong architecture: one line naming the one there; --arch pulls it', async () => {
    const r = await home.run(['pull', `library://${USER}/public/armonly:latest`]);
    assertOneLineError(r, /no image for amd64, only for arm64/);
    const ok = await home.run(['pull', '--arch', 'arm64', `library://${USER}/public/armonly:latest`]);
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('a download link refused by object storage (expired) is asked for again once; twice is one line, not about credentials', async () => {
    const imagefileGets = (since: number) =>
      server.requests.slice(since).filter((q) => q.host === 'api' && q.method === 'GET' && q.path.startsWith('/v1/imagefile/')).length;
    server.setFaults({ failRequests: { host: 'object', pathPrefix: '/', status: 403, times: 1 } });
    let before = server.requests.length;
    const once = await anon.run(['pull', '--no-cache', '--name', 'renewed.sif', `library://${USER}/public/hello:latest`]);
    server.setFaults({});
    assert.equal(once.code, 0, once.stderr);
    assert.equal(imagefileGets(before), 2, 'the image file URL was asked for again');
    assert.equal(fileSha256(path.join(anon.work, 'renewed.sif')), fileSha256(small));
    server.configure({ presignExpiryMs: 0 });
    try {
      before = server.requests.length;
      const r = await anon.run(['pull', '--no-cache', '--name', 'expired.sif', `library://${USER}/public/hello:latest`]);
      assertOneLineError(r, /download link to http:\/\/127\.0\.0\.1:\d+ expired or was refused by object storage \(HTTP 403\)/);
      assert.doesNotMatch(r.stderr, /check your credentials|X-Amz/);
      assert.equal(imagefileGets(before), 2, 'asked for once more, not more');
    } finally {
      server.configure({ presignExpiryMs: 5 * 60_000 });
    }
  });

  test('a download link that stops working between ranged parts is renewed and the pull completes', async () => {
    await server.addImage({ ref: `${USER}/public/bigpull:latest`, file: big });
    // the probe and the next part use a link up; renewing it uses one more, so each link serves two parts at most
    server.configure({ presignMaxUses: 3 });
    try {
      const r = await anon.run(['pull', '--no-cache', '--debug', '--name', 'bigpull.sif', `library://${USER}/public/bigpull:latest`], {
        env: { SREGISTRY_LIBRARY_PART_SIZE: String(MIB), SREGISTRY_LIBRARY_CONCURRENCY: '2' },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /parts: 4 parts/);
      assert.match(r.stderr, /refused the download link \(HTTP 403\): asking .* for a fresh one/);
      assert.equal(fileSha256(path.join(anon.work, 'bigpull.sif')), fileSha256(big));
    } finally {
      server.configure({ presignMaxUses: undefined });
    }
  });

  test("an error answer's own words are in the error line, escaped, and its body in --debug; library login's check too", async () => {
    const ref = `library://${USER}/public/hello:latest`;
    for (const body of [
      { error: { code: 400, message: 'bad arch \u001b[31mx' } },
      { error: 'bad arch \u001b[31mx' },
      { detail: 'bad arch \u001b[31mx' },
    ]) {
      server.setFaults({ failRequests: { host: 'api', pathPrefix: '/v1/images/', status: 400, body, times: 2 } });
      const r = await anon.run(['pull', ref]);
      assertOneLineError(r, /answered 400 to the image .*: bad arch \\u001b\[31mx/);
      const debug = await anon.run(['pull', '--debug', ref]);
      server.setFaults({});
      assert.match(debug.stderr, /<- 400 Bad Request \(\d+ bytes\) body: \{.*bad arch \\u001b\[31mx/);
      assert.ok(!debug.stderr.includes('\u001b'), 'no raw escape reaches the terminal');
    }
    const fresh = await libraryHome(server, { token: false });
    try {
      server.setFaults({
        failRequests: { host: 'api', pathPrefix: '/v1/token-status', status: 400, body: { error: 'token format unknown' }, times: 2 },
      });
      const login = await fresh.run(['library', 'login'], { input: `${TOKEN}\n` });
      assertOneLineError(login, /token check .* with HTTP 400: token format unknown/);
      const debug = await fresh.run(['library', 'login', '--debug'], { input: `${TOKEN}\n` });
      assert.match(debug.stderr, /<- 400 Bad Request \(\d+ bytes\) body: \{"error":"token format unknown"\}/);
      noTokenAnywhere(login.stdout, login.stderr, debug.stdout, debug.stderr);
    } finally {
      server.setFaults({});
      fresh.cleanup();
    }
  });

  test('push in one PUT into a collection that does not exist yet, then pull it back', async () => {
    const r = await home.run(['push', small, '--name', `library://${USER}/fresh/tool:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /new collection alice\/fresh/);
    assert.ok(server.requests.some((q) => q.host === 'api' && q.method === 'POST' && q.path === '/v1/collections'));
    const puts = server.requests.filter((q) => q.host === 'object' && q.method === 'PUT');
    assert.equal(puts.length, 1, 'one presigned PUT');
    const back = await anon.run(['pull', '--no-cache', '--name', 'back.sif', `library://${USER}/fresh/tool:v1`]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(fileSha256(path.join(anon.work, 'back.sif')), fileSha256(small));
    noTokenAnywhere(r.stdout, r.stderr);
  });

  test('push --tag tags the image with the tag given instead of the one in --name', async () => {
    const r = await home.run(['push', small, '--name', `library://${USER}/fresh/tagged:t1`, '--tag', 't2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).uri, `${USER}/fresh/tagged:t2`);
    assert.match(JSON.parse(r.stdout).message, /tagged:t2/);
    assert.equal((await anon.run(['pull', '--no-cache', '--name', 't2.sif', `library://${USER}/fresh/tagged:t2`])).code, 0);
    assertOneLineError(
      await anon.run(['pull', '--no-cache', '--name', 't1.sif', `library://${USER}/fresh/tagged:t1`]),
      /not in the library/,
    );
  });

  test('multipart push: a failing part aborts the upload in one line, the next push succeeds in several parts', async () => {
    const env = { SREGISTRY_LIBRARY_MULTIPART_THRESHOLD: String(MIB) };
    server.setFaults({ failPart: { part: 2, mode: 500, times: 1 } });
    const failed = await home.run(['push', big, '--name', `library://${USER}/tools/big:v1`], { env });
    assertOneLineError(failed, /part 2 of 4.*aborted/);
    assert.ok(
      server.requests.some((q) => q.path.endsWith('/_multipart_abort')),
      '_multipart_abort was sent',
    );
    server.setFaults({});
    const before = server.requests.length;
    const r = await home.run(['push', '--debug', big, '--name', `library://${USER}/tools/big:v1`], { env });
    assert.equal(r.code, 0, r.stderr);
    const parts = server.requests.slice(before).filter((q) => q.host === 'object' && q.method === 'PUT');
    assert.equal(parts.length, 4, 'four parts of 1 MiB');
    assert.ok(parts.every((q) => typeof q.headers['x-amz-content-sha256'] === 'string'));
    assert.ok(server.requests.slice(before).some((q) => q.path.endsWith('/_multipart_complete')));
    const back = await anon.run(['pull', '--no-cache', '--name', 'big.sif', `library://${USER}/tools/big:v1`]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(fileSha256(path.join(anon.work, 'big.sif')), fileSha256(big));
    noTokenAnywhere(failed.stderr, r.stdout, r.stderr, back.stdout);
  });

  test('multipart push with a part size that is no whole MiB: part 1 is hashed on its own, the server accepts every part', async () => {
    const odd = path.join(home.home, 'odd.sif');
    await writeSif(odd, { partition: { data: randomBytes(2 * MIB + 777), arch: 'amd64' } });
    server.configure({ partSize: MIB + 1 });
    try {
      const before = server.requests.length;
      const r = await home.run(['push', '--json', odd, '--name', `library://${USER}/tools/odd:v1`], {
        env: { SREGISTRY_LIBRARY_MULTIPART_THRESHOLD: String(MIB) },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(JSON.parse(r.stdout).details.upload, /^multipart \(3 parts of 1048577 bytes\)/);
      const parts = server.requests.slice(before).filter((q) => q.host === 'object' && q.method === 'PUT');
      assert.deepEqual(
        parts.map((q) => q.status),
        [200, 200, 200],
        'each part matched its x-amz-content-sha256',
      );
    } finally {
      server.configure({ partSize: MIB });
    }
    const back = await anon.run(['pull', '--no-cache', '--name', 'odd.sif', `library://${USER}/tools/odd:v1`]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(fileSha256(path.join(anon.work, 'odd.sif')), fileSha256(odd));
  });

  test('a server without multipart gets the single PUT', async () => {
    server.configure({ multipart: false });
    try {
      // another file: the server knows big.sif's hash as uploaded, and the push would skip the upload
      const r = await home.run(['push', '--json', big2, '--name', `library://${USER}/tools/big:v2`], {
        env: { SREGISTRY_LIBRARY_MULTIPART_THRESHOLD: String(MIB) },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(JSON.parse(r.stdout).details.upload, /^single/);
    } finally {
      server.configure({ multipart: true });
    }
  });

  test("a push registers the SIF's own architecture", async () => {
    const arm = path.join(home.home, 'arm.sif');
    await writeSif(arm, { partition: { data: randomBytes(8192), arch: 'arm64' } });
    const r = await home.run(['push', '--json', arm, '--name', `library://${USER}/tools/armtool:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).details.arch, 'arm64');
    assertOneLineError(await anon.run(['pull', `library://${USER}/tools/armtool:v1`]), /no image for amd64, only for arm64/);
    const ok = await anon.run(['pull', '--arch', 'arm64', `library://${USER}/tools/armtool:v1`]);
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('an upload cut by the object store (as one refusing an expired URL before the body is in) gets one fresh URL', async () => {
    const file = path.join(home.home, 'cut.sif');
    await writeSif(file, { partition: { data: randomBytes(2 * MIB), arch: 'amd64' } });
    server.setFaults({ failRequests: { host: 'object', pathPrefix: '/', status: 'drop', times: 1 } });
    const before = server.requests.length;
    const r = await home.run(['push', file, '--name', `library://${USER}/tools/cut:v1`, '--debug']);
    server.setFaults({});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /was cut .*asking for a fresh upload URL/);
    const asks = server.requests
      .slice(before)
      .filter((q) => q.host === 'api' && q.method === 'POST' && q.path.startsWith('/v2/imagefile/'));
    assert.equal(asks.length, 2, 'a second upload URL was asked for');
    const back = await anon.run(['pull', '--no-cache', '--name', 'cut-back.sif', `library://${USER}/tools/cut:v1`]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(fileSha256(path.join(anon.work, 'cut-back.sif')), fileSha256(file));
  });

  test('an upload URL refused with 403 (expired) is asked for again once; twice is one line', async () => {
    const file = path.join(home.home, 'expiry.sif');
    await writeSif(file, { partition: { data: randomBytes(4096), arch: 'amd64' } });
    server.setFaults({ failRequests: { host: 'object', pathPrefix: '/', status: 403, times: 1 } });
    const before = server.requests.length;
    const r = await home.run(['push', file, '--name', `library://${USER}/tools/expiry:v1`]);
    server.setFaults({});
    assert.equal(r.code, 0, r.stderr);
    const asks = server.requests
      .slice(before)
      .filter((q) => q.host === 'api' && q.method === 'POST' && q.path.startsWith('/v2/imagefile/'));
    assert.equal(asks.length, 2, 'a second upload URL was asked for');
    const file2 = path.join(home.home, 'expiry2.sif');
    await writeSif(file2, { partition: { data: randomBytes(4096), arch: 'amd64' } });
    server.configure({ presignExpiryMs: 0 });
    try {
      assertOneLineError(await home.run(['push', file2, '--name', `library://${USER}/tools/expiry:v2`]), /refused the image \(HTTP 403/);
    } finally {
      server.configure({ presignExpiryMs: 5 * 60_000 });
    }
  });

  test('a frozen tag is one line', async () => {
    const r = await home.run(['push', other, '--name', `library://${USER}/public/frozen:v1`]);
    assertOneLineError(r, /tag v1 .* is frozen/);
  });

  test('push without a token, or to an entity that is not yours, is one line', async () => {
    assertOneLineError(await anon.run(['push', small, '--name', `library://${USER}/tools/x:v1`]), /needs a token/);
    assertOneLineError(await home.run(['push', small, '--name', 'library://bob/tools/x:v1']), /entity bob/);
  });

  test('search lists containers with their tags; a server without search says so in one line', async () => {
    const r = await home.run(['search', 'library://hello']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /library:\/\/alice\/public\/hello/);
    server.configure({ search: false });
    try {
      assertOneLineError(await home.run(['search', 'library://hello']), /has no search/);
    } finally {
      server.configure({ search: true });
    }
  });

  test('a pulled image is found by its library name locally: images, inspect, rmi', async () => {
    const h = await libraryHome(server, { token: false });
    try {
      assert.equal((await h.run(['pull', `library://${USER}/public/hello:latest`])).code, 0);
      const images = await h.run(['images']);
      assert.match(images.stdout, /alice\/public\/hello:latest@sha256\./);
      const inspect = await h.run(['inspect', `${USER}/public/hello:latest`]);
      assert.equal(inspect.code, 0, inspect.stderr);
      // signing re-catalogues the image: it keeps its <entity>/<collection>
      const keys = generateKeyPairSync('ed25519');
      const keyFile = path.join(h.home, 'key.pem');
      fs.writeFileSync(keyFile, keys.privateKey.export({ format: 'pem', type: 'pkcs8' }));
      const signed = await h.run(['sign', `${USER}/public/hello:latest`, '--key', keyFile]);
      assert.equal(signed.code, 0, signed.stderr);
      const listed = (await h.run(['images'])).stdout.split('\n').filter((l) => l.includes('public/hello'));
      assert.equal(listed.length, 1, `one record: ${listed.join(' | ')}`);
      assert.match(listed[0], /alice\/public\/hello:latest@/);
      const rmi = await h.run(['rmi', `${USER}/public/hello:latest`]);
      assert.equal(rmi.code, 0, rmi.stderr);
      assert.doesNotMatch((await h.run(['images'])).stdout, /alice\/public\/hello/);
    } finally {
      h.cleanup();
    }
  });

  test('local commands find a library:// URI under the name its pull catalogued, short forms and pins included', async () => {
    const h = await libraryHome(server, { token: false });
    const hash = fileSha256(small);
    try {
      await server.addImage({ ref: 'library/default/alpine:latest', file: small });
      assert.equal((await h.run(['pull', 'library://alpine'])).code, 0);
      assert.match((await h.run(['images'])).stdout, /library\/default\/alpine:latest@sha256\./);
      const got = await h.run(['get', 'library://alpine']);
      assert.equal(got.code, 0, got.stderr);
      assert.match(got.stdout, /library\/default\/alpine\/latest@sha256\.[0-9a-f]{64}\.sif\n$/);
      assert.equal((await h.run(['inspect', '--json', 'library://library/default/alpine:latest'])).code, 0);
      assert.equal((await h.run(['pull', `library://${USER}/public/hello@sha256.${hash}`])).code, 0);
      assert.equal((await h.run(['get', `library://${USER}/public/hello@sha256.${hash}`])).code, 0, 'the pin, as catalogued');
      const rmi = await h.run(['rmi', 'library://alpine']);
      assert.equal(rmi.code, 0, rmi.stderr);
      assert.doesNotMatch((await h.run(['images'])).stdout, /alpine/);
      assertOneLineError(await h.run(['get', 'library://Bad_/x']), /not a library name/);
    } finally {
      h.cleanup();
    }
  });

  test('a saved token goes only to the host it was saved for, not to a base set for one command', async () => {
    const elsewhere = await startLibraryServer({ tokens: [{ token: 'other-t0ken-77', owner: USER }], entities: [{ name: USER }] });
    const fresh = await libraryHome(server, { token: false });
    try {
      await elsewhere.addImage({ ref: `${USER}/secret/hello:latest`, file: small, private: true });
      const login = await fresh.run(['library', 'login', '--base', server.url], { input: `${TOKEN}\n` });
      assert.equal(login.code, 0, login.stderr);
      const saved = JSON.parse(fs.readFileSync(path.join(fresh.home, '.sregistry'), 'utf8')).library;
      assert.equal(saved.SREGISTRY_LIBRARY_LOGIN_HOST, new URL(server.url).host);
      assert.match(login.stdout, new RegExp(`for ${new URL(server.url).host.replace(/\./g, '\\.')}`));

      const away = { SREGISTRY_LIBRARY_BASE: elsewhere.url };
      const refused = await fresh.run(['pull', `library://${USER}/secret/hello:latest`], { env: away });
      assertOneLineError(refused, /needs a token/);
      assert.match(refused.stderr, /the saved token is for 127\.0\.0\.1:\d+, not this server/);
      assert.ok(elsewhere.requests.length > 0, 'the other server was asked');
      assert.ok(
        elsewhere.requests.every((r) => !r.authorization),
        'no Authorization reached the server the token is not for',
      );
      // the saved host itself still gets it
      const home1 = await fresh.run(['pull', `library://${USER}/secret/hello:latest`]);
      assert.equal(home1.code, 0, home1.stderr);
      // a token given for the command goes where the command says
      const told = await fresh.run(['pull', '--no-cache', '--name', 'x.sif', `library://${USER}/secret/hello:latest`], {
        env: { ...away, SREGISTRY_LIBRARY_TOKEN: 'other-t0ken-77' },
      });
      assert.equal(told.code, 0, told.stderr);
      noTokenAnywhere(login.stdout, login.stderr, refused.stdout, refused.stderr);
    } finally {
      fresh.cleanup();
      await elsewhere.stop();
    }
  });

  test('library login stores the token in the secrets file (0600) and the CLI uses it', async () => {
    const fresh = await libraryHome(server, { token: false });
    try {
      const login = await fresh.run(['library', 'login'], { input: `${TOKEN}\n` });
      assert.equal(login.code, 0, login.stderr);
      assert.equal(login.stderr, '', 'checked with the server: no warning');
      const secrets = path.join(fresh.home, '.sregistry');
      assert.equal(fs.statSync(secrets).mode & 0o777, 0o600);
      assert.equal(JSON.parse(fs.readFileSync(secrets, 'utf8')).library.SREGISTRY_LIBRARY_TOKEN, TOKEN);
      const r = await fresh.run(['pull', `library://${USER}/secret/hello:latest`]);
      assert.equal(r.code, 0, r.stderr);
      // a URI naming the host the login was saved for gets its token, without any base set
      const byHost = `library://${new URL(server.url).host}/${USER}/secret/hello:latest`;
      const before = server.requests.length;
      const named = await fresh.run(['pull', '--debug', '--force', byHost], {
        env: { SREGISTRY_LIBRARY_BASE: undefined, SREGISTRY_LIBRARY_NOHTTPS: 'true' },
      });
      assert.equal(named.code, 0, named.stderr);
      assert.ok(server.requests.slice(before).some((q) => q.host === 'api' && q.authorization));
      noTokenAnywhere(login.stdout, login.stderr, r.stdout, r.stderr, named.stdout, named.stderr);
    } finally {
      fresh.cleanup();
    }
  });

  test('a host in the URI at a plain-http server: the TLS error names SREGISTRY_LIBRARY_NOHTTPS', async () => {
    const uri = `library://${new URL(server.url).host}/${USER}/public/hello:latest`;
    const r = await anon.run(['pull', uri], { env: { SREGISTRY_LIBRARY_BASE: undefined } });
    assertOneLineError(r, /^ERROR the TLS handshake with https:\/\/127\.0\.0\.1:\d+ failed.*export SREGISTRY_LIBRARY_NOHTTPS=1/);
    // a base the user wrote with https:// keeps the generic hint
    const typed = await anon.run(['pull', `library://${USER}/public/hello:latest`], {
      env: { SREGISTRY_LIBRARY_BASE: server.url.replace(/^http:/, 'https:') },
    });
    assertOneLineError(typed, /TLS handshake/);
    assert.doesNotMatch(typed.stderr, /NOHTTPS/);
  });

  test('library login checks the token first: refused or unreachable saves nothing; no check endpoint warns and saves', async () => {
    const fresh = await libraryHome(server, { token: false });
    const rs = await startLibraryServer({ flavour: 'registry-server', tokens: [{ token: TOKEN, owner: USER }] });
    const secrets = path.join(fresh.home, '.sregistry');
    const wrong = 'wr0ng-t0ken-5150';
    try {
      const refused = await fresh.run(['library', 'login'], { input: `${wrong}\n` });
      assertOneLineError(refused, /refused the token \(HTTP 401[^)]*\); the token was not saved/);
      assert.ok(!fs.existsSync(secrets), 'nothing written');
      // the Registry Server answers an unknown token with a bare 404
      const rsRefused = await fresh.run(['library', 'login', '--base', rs.url], { input: `${wrong}\n` });
      assertOneLineError(rsRefused, /refused the token \(HTTP 404\)/);
      assert.ok(!fs.existsSync(secrets), 'nothing written');
      const unreachable = await fresh.run(['library', 'login', '--base', 'http://127.0.0.1:1'], { input: `${TOKEN}\n` });
      assertOneLineError(unreachable, /cannot reach .*; the token was not saved.*--no-check/);
      assert.ok(!fs.existsSync(secrets), 'nothing written');
      for (const r of [refused, rsRefused, unreachable]) assert.ok(!`${r.stdout}${r.stderr}`.includes(wrong) && !r.stderr.includes(TOKEN));

      const rsGood = await fresh.run(['library', 'login', '--base', rs.url], { input: `${TOKEN}\n` });
      assert.equal(rsGood.code, 0, rsGood.stderr);
      assert.equal(rsGood.stderr, '');
      fs.rmSync(secrets);
      const offline = await fresh.run(['library', 'login', '--no-check', '--base', 'http://127.0.0.1:1'], { input: `${TOKEN}\n` });
      assert.equal(offline.code, 0, offline.stderr);
      fs.rmSync(secrets);

      server.configure({ tokenStatus: false });
      const unchecked = await fresh.run(['library', 'login'], { input: `${wrong}\n` });
      assert.equal(unchecked.code, 0, unchecked.stderr);
      assert.match(
        unchecked.stderr,
        /^WARNING the token could not be checked: .* has no GET \/v1\/token-status \(HTTP 404\); it is saved unchecked\n$/,
      );
      assert.equal(JSON.parse(fs.readFileSync(secrets, 'utf8')).library.SREGISTRY_LIBRARY_TOKEN, wrong);
      assert.ok(!`${unchecked.stdout}${unchecked.stderr}`.includes(wrong));
    } finally {
      server.configure({ tokenStatus: true });
      fresh.cleanup();
      await rs.stop();
    }
  });

  test('library login --base refuses an address with control characters, or no http(s) URL, before writing anything', async () => {
    const fresh = await libraryHome(server, { token: false });
    const before = server.requests.length;
    try {
      for (const base of [`${server.url}/x\u001b[2J`, `${server.url}/\u202eevil`, 'http://', 'ftp://example.org', `${server.url}/a b`]) {
        const r = await fresh.run(['library', 'login', '--base', base], { input: `${TOKEN}\n` });
        assertOneLineError(r, /--base is not an http\(s\) address/, 2);
        assert.ok(!r.stderr.includes('\u001b') && !r.stderr.includes('\u202e'), 'the address is not echoed raw');
      }
      assert.ok(!fs.existsSync(path.join(fresh.home, '.sregistry')), 'nothing written');
      assert.equal(server.requests.length, before, 'the server was not even asked');
    } finally {
      fresh.cleanup();
    }
  });
});
