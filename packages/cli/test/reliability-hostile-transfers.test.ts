// Transfers that never end and answers that are not what they claim, from the testkit registry's hostile modes:
// a download dripping one byte a second (with and without Content-Length), an endless body, an HTML login page
// or an empty body where the registry gives no digest, a server that never answers, retries that would go on
// for long, and a search whose `next` link is malformed or leads to another host. Each ends in bounded time with
// one line, and nothing half-done is stored. The speed window is shortened to 2 s through the environment.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { CliResult } from '@sregistry/testkit';
import { type RegistryFaults, type RegistryServerHandle, sampleSif, startRegistryServer } from '@sregistry/testkit';
import { layout, linkedPluginData, oneErrorLine, readRows, type Sandbox, sandbox, snapshot, TOKEN, USER } from './reliability-helpers';

const FAST_FLOOR = { SREGISTRY_SPEED_TIME: '2', SREGISTRY_RETRY_MAX_TIME: '1' };
let server: RegistryServerHandle;
let other: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
let sif: Buffer;
let refused = 0;
let survived = 0;
const lines: string[] = [];

before(async () => {
  const file = path.join(await fs.promises.mkdtemp(path.join((await import('node:os')).tmpdir(), 'sregistry-sif-')), 'x.sif');
  await sampleSif(file);
  sif = fs.readFileSync(file);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    pageSize: 1,
    seed: [
      {
        name: 'vanessa',
        owners: [USER],
        containers: Array.from({ length: 12 }, (_, i) => ({
          name: 'img',
          tag: `t${i}`,
          file: i < 6 ? Buffer.from(`not an image ${i}\n`) : sif,
        })),
      },
      { name: 'other', containers: [{ name: 'x', file: Buffer.from('x\n') }] },
      // a SIF cut short by 100 bytes: its header's data area ends past the file's end
      {
        name: 'cut',
        containers: [
          { name: 'sif', file: sif.subarray(0, sif.length - 100) },
          { name: 'whole', file: sif },
        ],
      },
    ],
  });
  other = await startRegistryServer({ seed: [{ name: 'elsewhere', containers: [{ name: 'y', file: Buffer.from('y\n') }] }] });
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_CLIENT: 'registry', SREGISTRY_REGISTRY_BASE: server.url } });
  fs.writeFileSync(path.join(sb.home, 'push.sif'), sif);
});
after(async () => {
  console.log(`# hostile transfers: ${refused} refused with one line in bounded time, ${survived} succeeded as they should`);
  for (const line of lines) console.log(`#   ${line}`);
  sb.cleanup();
  plugins.cleanup();
  await Promise.all([server.close(), other.close()]);
});

async function run(args: string[], faults: RegistryFaults = {}, env: Record<string, string> = {}): Promise<{ r: CliResult; ms: number }> {
  server.setFaults(faults);
  const started = Date.now();
  try {
    const r = await sb.run(args, { env });
    return { r, ms: Date.now() - started };
  } finally {
    server.setFaults({});
  }
}

/** Exit 1, one `ERROR …; fix` line matching `pattern`, nothing stored and no partial file left. */
function assertRefused(r: CliResult, before: string, pattern: RegExp, exit = 1): void {
  assert.equal(r.code, exit, `${r.stdout}\n${r.stderr}`);
  assert.equal(oneErrorLine(r), undefined);
  assert.match(r.stderr, pattern);
  assert.equal(snapshot(sb), before, 'nothing changed');
  assert.deepEqual(layout(sb).temps, [], 'no partial download left');
  lines.push(r.stderr.trim());
  refused++;
}

test('a download dripping 1 byte/s, with Content-Length: abandoned after the speed window, one line', async () => {
  const before = snapshot(sb);
  const { r, ms } = await run(['pull', 'vanessa/img:t0'], { drip: { bytesPerSecond: 1 } }, FAST_FLOOR);
  assertRefused(r, before, /stayed slower than 1024 bytes\/s for 2 s \(\d+ of \d+ bytes in [\d.]+ s, 1 attempt\).*SREGISTRY_SPEED_TIME/);
  assert.ok(ms < 30_000, `it ended in ${ms} ms`);
});

test('a download dripping 1 byte/s without Content-Length: abandoned too, nothing catalogued', async () => {
  const before = snapshot(sb);
  const { r } = await run(['pull', 'vanessa/img:t1'], { drip: { bytesPerSecond: 1, withoutLength: true } }, FAST_FLOOR);
  assertRefused(r, before, /stayed slower than 1024 bytes\/s for 2 s \(\d+ bytes in/);
});

test('an API answer dripping 1 byte/s (search, and the manifest of a pull): abandoned after the window too', async () => {
  for (const args of [['search'], ['pull', 'vanessa/img:t9']]) {
    const before = snapshot(sb);
    const { r, ms } = await run(args, { dripAnswers: 1 }, FAST_FLOOR);
    assertRefused(r, before, /the answer from http:\/\/127\.0\.0\.1:\d+ stayed slower than 1024 bytes\/s for 2 s/);
    assert.ok(ms < 30_000, `${args.join(' ')} ended in ${ms} ms`);
  }
});

test('SREGISTRY_SPEED_LIMIT=0 turns the floor off (a slow but steady download finishes)', async () => {
  const { r } = await run(['pull', 'vanessa/img:t2'], { drip: { bytesPerSecond: 50 } }, { ...FAST_FLOOR, SREGISTRY_SPEED_LIMIT: '0' });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readRows(sb.dbFile).some((row) => row.tag === 't2'));
  survived++;
});

test('an endless body without Content-Length and no digest: refused at its first bytes, in seconds', async () => {
  const before = snapshot(sb);
  const { r, ms } = await run(['pull', 'vanessa/img:t3'], { endlessBody: true, noDigest: true });
  assertRefused(r, before, /is not an image, and the service gave no digest/);
  assert.ok(ms < 30_000, `it ended in ${ms} ms`);
});

test('an HTML login page or an empty body where the registry gives no digest: refused', async () => {
  const page = '<!doctype html><html><head><title>Sign in</title></head><body>Please sign in</body></html>\n';
  let before = snapshot(sb);
  assertRefused((await run(['pull', 'vanessa/img:t4'], { downloadBody: page, noDigest: true })).r, before, /is a web page, not an image/);
  before = snapshot(sb);
  assertRefused(
    (await run(['pull', 'vanessa/img:t5'], { downloadBody: '', noDigest: true })).r,
    before,
    /is empty, and the service gave no digest/,
  );
});

test('a real image without Content-Length and without digest: stored, with one warning saying nothing could check it', async () => {
  const { r } = await run(['pull', 'vanessa/img:t6'], { noDigest: true, noContentLength: true });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^WARNING .*did not say how large the image is and gave no digest/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.ok(readRows(sb.dbFile).some((row) => row.tag === 't6'));
  survived++;
});

test('a SIF cut short, with or without a digest: refused in one line, nothing kept', async () => {
  // without a digest (version null, as a junk version) nothing else could tell; with one, the server's digest is of
  // the damaged bytes it holds, so it matches
  for (const faults of [{ noDigest: true }, {}] satisfies RegistryFaults[]) {
    const before = snapshot(sb);
    const { r } = await run(['pull', 'cut/sif'], faults);
    assertRefused(
      r,
      before,
      /^ERROR the image cut\/sif:latest from http:\/\/127\.0\.0\.1:\d+ is not a whole SIF \(the data area ends at byte \d+ but the file has only \d+ bytes \(truncated\?\)\); nothing was kept; pull it again/,
    );
    assert.doesNotMatch(r.stderr, /\.tmp|sregistry-/, 'the temp file is not named');
  }
  const json = await run(['pull', '--json', 'cut/sif'], { noDigest: true });
  assert.equal(JSON.parse(json.r.stdout).error.code, 'EBADSIF');
});

test('a real image with Content-Length but without digest: stored, with one warning that its content is unchecked', async () => {
  const { r } = await run(['pull', 'cut/whole'], { noDigest: true });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^WARNING http:\/\/127\.0\.0\.1:\d+ gave no digest for the image: its size and format are checked, its content cannot be\n$/,
  );
  assert.ok(readRows(sb.dbFile).some((row) => row.collection === 'cut' && row.name === 'whole'));
  survived++;
});

// A small disk without mounting one: the testkit's preload stands in for statfs inside the CLI (48 MiB free on a
// 400 MiB file system, so 20 MiB are kept free); the CLI itself reads none of these variables.
const SMALL_DISK = {
  NODE_OPTIONS: `--require ${require.resolve('@sregistry/testkit/bin/fake-disk.js')}`,
  SREGISTRY_TEST_DISK_FREE: String(48 * 1024 * 1024),
  SREGISTRY_TEST_DISK_SIZE: String(400 * 1024 * 1024),
};

test('an endless body without Content-Length (with a digest): abandoned before the disk’s reserve, one line', async () => {
  const before = snapshot(sb);
  const { r, ms } = await run(['pull', 'vanessa/img:t10'], { endlessBody: true }, SMALL_DISK);
  assertRefused(
    r,
    before,
    /^ERROR the download from http:\/\/127\.0\.0\.1:\d+ announced no size and has sent 2\d\.\d MiB so far: going on would leave less than 20\.0 MiB free on the disk of .*\.tmp; nothing was kept; .*another disk/,
  );
  assert.ok(ms < 30_000, `it ended in ${ms} ms`);
});

test('a size announced by Content-Length that does not fit beside the reserve: refused at the answer, one line', async () => {
  const before = snapshot(sb);
  // the image is a few KiB: a disk with 64 KiB free on a 1 MiB file system keeps 51 KiB of it
  const tiny = { ...SMALL_DISK, SREGISTRY_TEST_DISK_FREE: String(64 * 1024), SREGISTRY_TEST_DISK_SIZE: String(1024 * 1024) };
  const { r } = await run(['pull', 'vanessa/img:t11'], {}, tiny);
  assertRefused(
    r,
    before,
    /^ERROR the image from http:\/\/127\.0\.0\.1:\d+ is [\d.]+ KiB, and the disk of .*\.tmp has 64\.0 KiB free \(51\.2 KiB of which is kept free\); free some space there/,
  );
  // with room, the same pull goes through
  const ok = await run(['pull', 'vanessa/img:t11'], {}, { ...tiny, SREGISTRY_TEST_DISK_FREE: String(1024 * 1024) });
  assert.equal(ok.r.code, 0, ok.r.stderr);
  survived++;
});

test('a server that never answers: the message gives the real time waited', async () => {
  const before = snapshot(sb);
  const { r, ms } = await run(['pull', 'vanessa/img:t7'], { delayMs: 2500 }, { SREGISTRY_HTTP_TIMEOUT_MS: '300' });
  assertRefused(r, before, /no answer from http:\/\/127\.0\.0\.1:\d+ within 300 ms \(gave up after [\d.]+ s, 3 attempts\)/);
  const waited = Number(/gave up after ([\d.]+) s/.exec(r.stderr)![1]);
  assert.ok(waited >= 0.9 && waited * 1000 <= ms, `waited ${waited} s in a run of ${ms} ms`);
});

test('retries stop once SREGISTRY_RETRY_MAX_TIME has passed', async () => {
  const before = snapshot(sb);
  const first = server.requests.length;
  const { r } = await run(
    ['pull', 'vanessa/img:t8'],
    { failTimes: { status: 503, times: 10, pathPrefix: '/containers/' } },
    { SREGISTRY_RETRY_MAX_TIME: '1' },
  );
  assertRefused(r, before, /HTTP 503/);
  const downloads = server.requests.slice(first).filter((q) => q.path.startsWith('/containers/')).length;
  assert.ok(downloads < 5, `${downloads} download attempts (5 without the time bound)`);
});

test('search: a malformed `next` and a `next` to another host end the listing with one warning', async () => {
  const malformed = await run(['search'], { badNext: 'http://[::1' });
  assert.equal(malformed.r.code, 0, malformed.r.stderr);
  assert.match(
    malformed.r.stderr,
    /^WARNING the registry's link to the next page \("http:\/\/\[::1"\) is not a URL: stopped after 1 pages$/m,
  );
  assert.equal(malformed.r.stderr.trim().split('\n').length, 1);
  assert.match(malformed.r.stdout, /vanessa\/img/);
  const before = other.requests.length;
  const away = await run(['search'], { badNext: `${other.url}/api/collections/?offset=1` });
  assert.equal(away.r.code, 0, away.r.stderr);
  assert.match(
    away.r.stderr,
    /^WARNING the registry's link to the next page leads to another host \(http:\/\/127\.0\.0\.1:\d+\), not followed/m,
  );
  assert.equal(other.requests.length, before, 'the other host got no request');
  survived += 2;
});

test('bad input: push --tag "", push of a FIFO, /dev/zero or a folder, pull ./n', async () => {
  const fifo = path.join(sb.home, 'pipe.sif');
  execFileSync('mkfifo', [fifo]);
  fs.mkdirSync(path.join(sb.home, 'folder.sif'));
  const cases: [string[], RegExp, number?][] = [
    // an empty value is a usage error (docs/errors.md: EUSAGE)
    [['push', 'push.sif', '--name', `${USER}/x:v1`, '--tag', ''], /the tag given with --tag is empty/, 2],
    [['push', fifo, '--name', `${USER}/x:v1`], /pipe\.sif is a named pipe \(FIFO\), not an image file/],
    [['push', '/dev/zero', '--name', `${USER}/x:v1`], /\/dev\/zero is a device, not an image file/],
    [['push', 'folder.sif', '--name', `${USER}/x:v1`], /folder\.sif is a folder, not an image file/],
    [['pull', './n'], /the registry "\." is not a host/],
  ];
  const first = server.requests.length;
  for (const [args, pattern, exit] of cases) {
    const before = snapshot(sb);
    const { r } = await run(args);
    assertRefused(r, before, pattern, exit);
  }
  assert.equal(server.requests.length, first, 'none of them reached the registry');
  fs.rmSync(fifo);
  fs.rmdirSync(path.join(sb.home, 'folder.sif'));
});
