// `sregistry pull` when the network or the server misbehaves: a connection dropped mid-download, 5xx answers,
// a lying Content-Length, an unreachable registry. Retried failures must end in the right bytes; final ones in
// one line, exit 1, and nothing left behind (no file in storage or its temp folder, no row, no partial file).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { type RegistryServerHandle, startRegistryServer } from '@sregistry/testkit';
import {
  assertNoTrace,
  assertOneLineError,
  catalogRows,
  type E2eHome,
  randomBytes,
  registryHome,
  serverContainer,
  sha256,
  snapshot,
  startE2eRegistry,
  useE2eRegistry,
} from './e2e-helpers';

const MiB = 1024 * 1024;
let server: RegistryServerHandle;
let e: E2eHome;
let bigSha: string;

useE2eRegistry(async (started, home) => {
  server = started;
  e = home;
  await server.addContainer({ collection: 'vanessa', name: 'big', tag: 'latest', file: randomBytes(3 * MiB, 7) });
  const big = serverContainer(server, 'vanessa/big:latest');
  assert.ok(big?.path);
  bigSha = sha256(big.path);
});

const downloads = (from: number) => server.requests.slice(from).filter((q) => q.method === 'GET' && q.path.startsWith('/containers/'));

test('a connection dropped mid-download is retried (from the start: no Range support) and the file is right', async () => {
  server.setFaults({ dropAfterBytes: MiB, dropTimes: 2 });
  const mark = server.requests.length;
  const r = await e.run(['pull', 'vanessa/big:latest']);
  server.setFaults({});
  assert.equal(r.code, 0, r.stderr);
  assert.equal(downloads(mark).length, 3, 'two dropped attempts, then a whole one');
  const stored = path.join(e.storage, 'vanessa', 'big', `latest@${bigSha}.sif`);
  assert.equal(sha256(stored), bigSha);
  assert.match(r.stdout, new RegExp(`\\[container\\]\\[new\\] vanessa/big:latest@${bigSha}\\n`));
});

test('with Range support a dropped download resumes where it stopped', async () => {
  const ranged = await startE2eRegistry({ rangeSupport: true });
  const home = await registryHome(ranged);
  try {
    await ranged.addContainer({ collection: 'vanessa', name: 'big', tag: 'latest', file: randomBytes(3 * MiB, 7) });
    ranged.setFaults({ dropAfterBytes: MiB });
    const r = await home.run(['pull', '--no-cache', 'vanessa/big:latest']);
    assert.equal(r.code, 0, r.stderr);
    const gets = ranged.requests.filter((q) => q.method === 'GET' && q.path.startsWith('/containers/'));
    assert.equal(gets.length, 2);
    assert.match(String(gets[1].headers.range), /^bytes=[1-9]\d*-$/, 'the second request asks for the rest only');
    assert.equal(sha256(path.join(home.work, 'vanessa-big:latest.sif')), bigSha);
  } finally {
    home.cleanup();
    await ranged.close();
  }
});

test('5xx twice on the download, then success: retried, file correct', async () => {
  server.setFaults({ failTimes: { status: 503, times: 2, pathPrefix: '/containers/' } });
  const mark = server.requests.length;
  const r = await e.run(['pull', '--no-cache', 'vanessa/big:latest']);
  server.setFaults({});
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    downloads(mark).map((q) => q.status),
    [503, 503, 200],
  );
  assert.equal(sha256(path.join(e.work, 'vanessa-big:latest.sif')), bigSha);
});

test('a 502 from the API (proxy) is retried too', async () => {
  server.setFaults({ failTimes: { status: 502, times: 1, pathPrefix: '/api/container/' } });
  const r = await e.run(['pull', '--no-cache', '--force', 'vanessa/big:latest']);
  server.setFaults({});
  assert.equal(r.code, 0, r.stderr);
});

test('5xx on every attempt: one line, exit 1, nothing left in storage, its .tmp, the catalogue or the cwd', async () => {
  const before = snapshot(e);
  server.setFaults({ failTimes: { status: 503, times: 100, pathPrefix: '/containers/' } });
  const r = await e.run(['pull', 'vanessa/tacos:latest']);
  server.setFaults({});
  assertOneLineError(r, /503/);
  assertNoTrace(e, before);
});

test('a Content-Length the body never reaches: exit 1, no file, no row', async () => {
  const before = snapshot(e);
  server.setFaults({ wrongContentLength: true });
  const r = await e.run(['pull', 'vanessa/tacolicious:gobacktosleep']);
  server.setFaults({});
  assertOneLineError(r, /cut short|bytes/);
  assertNoTrace(e, before);
  assert.ok(!catalogRows(e).some((row) => row.uri.startsWith('vanessa/tacolicious')));
});

test('an unreachable registry (closed port): one line naming it, exit 1, no trace', async () => {
  const gone = await startRegistryServer();
  const url = gone.url;
  await gone.close();
  const before = snapshot(e);
  for (const args of [
    ['pull', 'vanessa/tacos:latest'],
    ['pull', '--no-cache', 'vanessa/tacos:latest'],
  ]) {
    const r = await e.run(args, { env: { SREGISTRY_REGISTRY_BASE: url } });
    assertOneLineError(r, new RegExp(`cannot reach ${url.replace(/[.]/g, '\\.')}`));
    assertNoTrace(e, before);
  }
});
