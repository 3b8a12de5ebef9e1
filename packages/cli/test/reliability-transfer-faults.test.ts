// Transfer faults through the CLI against the fake registry (real HTTP on 127.0.0.1): dropped connections at
// several offsets, 5xx N times, a server slower than the timeout, a wrong Content-Length, a truncated body, HTML
// instead of JSON, 429 with Retry-After. Every pull ends with the right file catalogued, or with one clear error
// line (exit 1) and the catalogue exactly as before: never a wrong file, never a row without its file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { CliResult } from '@sregistry/testkit';
import { type RegistryFaults, type RegistryServerHandle, startRegistryServer } from '@sregistry/testkit';
import {
  type FaultProxy,
  invariantProblems,
  layout,
  linkedPluginData,
  oneErrorLine,
  readRows,
  type Sandbox,
  sandbox,
  sha256,
  snapshot,
  startFaultProxy,
  TOKEN,
  USER,
} from './reliability-helpers';

const SIZE = 256 * 1024;
let server: RegistryServerHandle;
let ranged: RegistryServerHandle;
let proxy: FaultProxy;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
let survived = 0;
let refused = 0;
const errorLines: string[] = [];

before(async () => {
  const options = {
    users: [{ username: USER, token: TOKEN }],
    seed: [
      { name: 'vanessa', owners: [USER], containers: Array.from({ length: 16 }, (_, i) => ({ name: 'img', tag: `t${i}`, file: SIZE })) },
    ],
  };
  server = await startRegistryServer(options);
  ranged = await startRegistryServer({ ...options, rangeSupport: true });
  proxy = await startFaultProxy();
  proxy.target = server.url;
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_CLIENT: 'registry', SREGISTRY_REGISTRY_BASE: server.url } });
});
after(async () => {
  console.log(`# transfer faults: ${survived} survived with the right file, ${refused} refused with one error line`);
  for (const line of errorLines) console.log(`#   ${line}`);
  sb.cleanup();
  plugins.cleanup();
  await Promise.all([server.close(), ranged.close(), proxy.close()]);
});

let tag = 0;
/** A pull of a tag not catalogued yet (each case gets its own, so a success is never an older row). */
async function pull(
  faults: RegistryFaults,
  env: Record<string, string> = {},
  on = server,
): Promise<{ r: CliResult; uri: string; before: string }> {
  const uri = `vanessa/img:t${tag++}`;
  const before = snapshot(sb);
  on.setFaults(faults);
  const r = await sb.run(['pull', uri], { env });
  on.setFaults({});
  return { r, uri, before };
}

/** The pull worked and the stored file is byte for byte the server's. */
function assertPulled({ r, uri }: { r: CliResult; uri: string }, on = server): void {
  assert.equal(r.code, 0, r.stderr);
  const row = readRows(sb.dbFile).find((x) => x.uri?.startsWith(`${uri}@`));
  assert.ok(row?.image, `${uri} is catalogued`);
  const original = on.containers().find((c) => `${c.collection}/${c.name}:${c.tag}` === uri)!;
  assert.equal(sha256(row.image), sha256(original.path!), 'the stored file is the server file');
  assert.deepEqual(invariantProblems(sb), []);
  survived++;
}

/** One error line naming the problem, exit 1, and nothing changed: no row, no file, no temp left. */
function assertRefused({ r, before }: { r: CliResult; before: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.equal(oneErrorLine(r), undefined);
  assert.match(r.stderr, pattern);
  errorLines.push(r.stderr.trim());
  assert.equal(snapshot(sb), before, 'the catalogue and storage are as before');
  assert.deepEqual(layout(sb).temps, [], 'the partial download was removed');
  refused++;
}

test('a connection dropped once at the start, in the middle, one byte before the end: retried, right file', async () => {
  for (const dropAfterBytes of [0, SIZE / 2, SIZE - 1]) assertPulled(await pull({ dropAfterBytes }));
});

test('a connection dropped in the middle of a server with Range support: resumed, right file', async () => {
  const before = ranged.requests.length;
  const result = await pull({ dropAfterBytes: SIZE / 2 }, { SREGISTRY_REGISTRY_BASE: ranged.url }, ranged);
  assertPulled(result, ranged);
  assert.ok(
    ranged.requests.slice(before).some((q) => q.headers.range === `bytes=${SIZE / 2}-`),
    'the second attempt asked only for the missing bytes',
  );
});

test('a body always cut short (truncated): one error line, nothing stored', async () => {
  assertRefused(await pull({ dropAfterBytes: (SIZE * 3) / 4, dropTimes: 99 }), /cut short|got \d+ of \d+ bytes/);
});

test('5xx: twice on the download and once on the API are retried; ten times is an error', async () => {
  assertPulled(await pull({ failTimes: { status: 503, times: 2, pathPrefix: '/containers/' } }));
  assertPulled(await pull({ failTimes: { status: 502, times: 1, pathPrefix: '/api/' } }));
  assertRefused(await pull({ failTimes: { status: 500, times: 10, pathPrefix: '/containers/' } }), /HTTP 500/);
});

test('a server slower than SREGISTRY_HTTP_TIMEOUT_MS: one error line naming the timeout', async () => {
  assertRefused(
    await pull({ delayMs: 1500 }, { SREGISTRY_HTTP_TIMEOUT_MS: '300' }),
    /no answer from http:\/\/127\.0\.0\.1:\d+ within 300 ms/,
  );
});

test('a Content-Length larger than the body: never a short file', async () => {
  assertRefused(await pull({ wrongContentLength: true }), /cut short|got \d+ of \d+ bytes/);
});

test('a Content-Length smaller than the file (truncated body): the digest check refuses it', async () => {
  assertRefused(await pull({ wrongContentLength: SIZE - 100 }), /md5|does not match|bytes/);
});

test('an HTML page instead of JSON: one error line', async () => {
  assertRefused(await pull({ htmlInsteadOfJson: true }), /HTML|web page|not JSON|not an? .*API/i);
});

test('429 with a short Retry-After is waited out; with a day-long one it is an error', async () => {
  proxy.tooMany = { times: 1, retryAfter: '1' };
  const started = Date.now();
  assertPulled(await pull({}, { SREGISTRY_REGISTRY_BASE: proxy.url }));
  assert.ok(Date.now() - started >= 1000, 'it waited as asked');
  assert.equal(proxy.tooMany.times, 0);
  assertRefused(await pull({ throttleAfter: 0 }), /429|rate limit|throttl/i);
});

test('after all the faults the catalogue holds only whole, verified images', () => {
  const rows = readRows(sb.dbFile);
  assert.equal(rows.length, survived);
  for (const row of rows) assert.equal(sha256(row.image!), row.version);
  assert.deepEqual(invariantProblems(sb), []);
  // the journal and the sweep marker (storage/names.ts) stay by design
  assert.deepEqual(
    fs.readdirSync(path.join(sb.storage, '.tmp')).filter((f) => f !== 'journal' && f !== 'last-sweep'),
    [],
  );
});
