// A hostile registry (the testkit's hostile modes): terminal escape sequences, bidi overrides and forged lines in
// every text it writes, the request's Authorization echoed in its error text, a 5 MB detail, a manifest with a
// pushSecret and one nested thousands of levels deep. Whatever it sends, the terminal receives no control
// character, every failure is one capped line, and no credential is printed (--json and --debug included) or
// stored in the catalogue.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { CliResult } from '@sregistry/testkit';
import { type RegistryFaults, type RegistryServerHandle, sampleSif, startRegistryServer } from '@sregistry/testkit';
import { linkedPluginData, oneErrorLine, type Sandbox, sandbox, TOKEN, USER } from './reliability-helpers';

/** OSC 8 link, clear screen, window title, C1 CSI, DEL, a bidi override and isolate, and a forged error line. */
const HOSTILE =
  '\u001b]8;;http://evil.example/\u0007click\u001b]8;;\u0007\u001b[2J\u001b]0;pwned\u0007\u009b31m\u007f\u202eevil\u2066x\u2069\nERROR forged line';
/** Anything that would reach the terminal as a command, or reorder or split what is shown. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const PUSH_SECRET = '5ecre7c0ffee0000111122223333444455556666';

let server: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
let tried = 0;
let held = 0;

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [
      {
        name: 'vanessa',
        owners: [USER],
        containers: [
          { name: 'tacos', tag: 'latest', file: Buffer.from('tacos image\n'), metadata: { pushSecret: PUSH_SECRET, arch: 'amd64' } },
          { name: 'deep', tag: 'latest', file: Buffer.from('deep image\n') },
        ],
      },
      { name: USER, private: true, owners: [USER], containers: [{ name: 'secret', tag: 'latest', file: Buffer.from('secret\n') }] },
    ],
    labels: [{ key: 'maintainer', value: 'dinosaur', containers: ['vanessa/tacos:latest'] }],
  });
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_CLIENT: 'registry' } });
  fs.writeFileSync(sb.secretsFile, JSON.stringify({ registry: { username: USER, token: TOKEN, base: server.url } }), { mode: 0o600 });
  await sampleSif(path.join(sb.home, 'push.sif'));
});
after(async () => {
  console.log(`# hostile server: ${tried} runs, ${held} held (no control character, one line per message, no credential)`);
  sb.cleanup();
  plugins.cleanup();
  await server.close();
});

async function run(args: string[], faults: RegistryFaults = {}): Promise<CliResult> {
  server.setFaults(faults);
  try {
    return await sb.run(args);
  } finally {
    server.setFaults({});
  }
}

/** Every credential the server has seen: the token, each Authorization value and its hex parts. */
function credentialsSeen(): string[] {
  const found = new Set<string>([TOKEN, PUSH_SECRET]);
  for (const q of server.requests) {
    const value = q.headers.authorization;
    if (typeof value !== 'string') continue;
    found.add(value);
    for (const part of value.match(/[0-9a-f]{16,}/gi) ?? []) found.add(part);
  }
  return [...found];
}

/** What every run must hold, whatever the server sent. */
function assertSafe(r: CliResult, label: string): void {
  tried++;
  const text = `${r.stdout}\n${r.stderr}`;
  const bad = RAW_CONTROL.exec(text);
  assert.equal(bad, null, `${label}: a raw control character U+${bad?.[0].charCodeAt(0).toString(16)} reached the terminal:\n${text}`);
  for (const secret of credentialsSeen()) assert.ok(!text.includes(secret), `${label}: printed ${secret.slice(0, 12)}…`);
  assert.doesNotMatch(text, /SREGISTRY-HMAC-SHA256 [^*\s]|Signature=[0-9a-f]/, `${label}: printed an Authorization value`);
  for (const line of r.stderr.split('\n')) assert.ok(line.length < 5000, `${label}: a ${line.length}-character line`);
  assert.doesNotMatch(r.stderr, /^ERROR forged/m, `${label}: the server forged an error line`);
  // --debug too: a newline in server text is escaped, never the start of a line (one that merely carries the prefix)
  assert.doesNotMatch(r.stderr, /^(DEBUG |WARNING )?ERROR forged/m, `${label}: the server's newline started a line`);
  held++;
}

test('escape sequences in collection, container and label names and details: escaped in every table', async () => {
  for (const args of [['search'], ['search', 'vanessa/'], ['search', 'vanessa/tacos'], ['labels'], ['labels', '-k', 'maintainer']]) {
    const r = await run(args, { hostileText: HOSTILE });
    assert.equal(r.code, 0, r.stderr);
    assertSafe(r, args.join(' '));
    // escaped as text, or percent-encoded where it is part of a URL
    assert.match(r.stdout, /(\\u001b|%1B)\]8;;http:\/\/evil/, `${args.join(' ')}: the sequence is shown, escaped`);
    assert.match(r.stdout, /(\\u202e|%E2%80%AE)evil/);
  }
});

test('escape sequences with --json: valid JSON, the text kept, nothing raw', async () => {
  const r = await run(['search', '--json'], { hostileText: HOSTILE });
  assert.equal(r.code, 0, r.stderr);
  assertSafe(r, 'search --json');
  const parsed = JSON.parse(r.stdout) as { items: { containers: { detail: string }[] }[] }[];
  // the data is kept (URLs in it normalised by the redaction), only escaped
  assert.match(parsed[0]!.items[0]!.containers[0]!.detail, /evil\.example.*ERROR forged line$/s);
});

test('a hostile reason phrase (C1 CSI, NEL) in the --debug exchange lines', async () => {
  const r = await run(['search', '--debug'], { reasonPhrase: 'OK \u009b2J\u0085' });
  assert.equal(r.code, 0, r.stderr);
  assertSafe(r, 'search --debug (reason phrase)');
});

test('the Authorization header echoed in error text: push, private pull, with --debug and --json', async () => {
  for (const extra of [[], ['--debug'], ['--json']]) {
    for (const args of [
      ['push', 'push.sif', '--name', `${USER}/pushed:v1`],
      ['pull', `${USER}/secret:latest`],
    ]) {
      const r = await run([...args, ...extra], { echoAuthorization: true, hostileText: HOSTILE });
      const label = [...args, ...extra].join(' ');
      assert.equal(r.code, 1, `${label}: ${r.stdout}${r.stderr}`);
      assertSafe(r, label);
      if (extra.length === 0) {
        assert.equal(oneErrorLine(r), undefined, label);
        assert.match(r.stderr, /echo Authorization: \*\*\*/, `${label}: the echo is shown, masked`);
      }
      if (extra[0] === '--json') assert.match(JSON.parse(r.stdout).error.message, /\*\*\*/);
    }
  }
  assert.ok(
    server.requests.some((q) => /SREGISTRY-HMAC-SHA256/.test(String(q.headers.authorization))),
    'signed requests were sent',
  );
});

test('a 5 MB detail with newlines: one capped error line', async () => {
  const r = await run(['push', 'push.sif', '--name', `${USER}/pushed:v2`], {
    echoAuthorization: true,
    hostileText: `${'\nERROR forged line '.repeat(10)}${'x'.repeat(5 * 1024 * 1024)}`,
  });
  assert.equal(r.code, 1);
  assertSafe(r, 'push (5 MB detail)');
  assert.equal(oneErrorLine(r), undefined);
  assert.ok(r.stderr.length < 1000, `the line is capped (${r.stderr.length} characters)`);
  assert.match(r.stderr, /more characters/);
});

test('a manifest with pushSecret: masked in the catalogue, inspect and images --json', async () => {
  const pulled = await run(['pull', 'vanessa/tacos:latest']);
  assert.equal(pulled.code, 0, pulled.stderr);
  assertSafe(pulled, 'pull');
  const stored = fs.readFileSync(sb.dbFile);
  assert.ok(!stored.includes(PUSH_SECRET), 'the database does not hold the pushSecret');
  for (const args of [
    ['inspect', 'vanessa/tacos:latest'],
    ['inspect', 'vanessa/tacos:latest', '--json'],
    ['images', '--json'],
  ]) {
    const r = await run(args);
    assert.equal(r.code, 0, r.stderr);
    assertSafe(r, args.join(' '));
  }
  const inspected = JSON.parse((await run(['inspect', 'vanessa/tacos:latest', '--json'])).stdout);
  assert.equal(inspected.metrics.manifest.metadata.pushSecret, '***');
  assert.equal(inspected.metrics.manifest.metadata.arch, 'amd64', 'other fields are kept');
});

test('a manifest nested 4,500 levels deep: pulled, the nesting cut, one warning line', async () => {
  const r = await run(['pull', 'vanessa/deep:latest'], { deepJson: 4500 });
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  assertSafe(r, 'pull (deep manifest)');
  assert.match(r.stderr, /^WARNING .*nested deeper than 64 levels/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const listed = await run(['images', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok((JSON.parse(listed.stdout) as unknown[]).length >= 1);
});

test("the user's own arguments echoed back are escaped too", async () => {
  for (const args of [
    ['push', `missing-\u001b]0;title\u0007.sif`, '--name', `${USER}/x:y`],
    ['get', 'vanessa/\u202etacos'],
    ['inspect', 'vanessa/\u009b2Jtacos'],
    ['no-such-command\u001b[2J'],
  ]) {
    const r = await run(args);
    assert.notEqual(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assertSafe(r, JSON.stringify(args));
  }
});
