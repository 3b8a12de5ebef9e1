// Number and yes/no settings with values outside their range, through the CLI: each is refused in one line naming
// the variable before anything is asked of a server or written, and the values the README allows keep working.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type HubServer, startHubServer } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

let hub: HubServer;
let dir: string;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-settings-values-'));
  const file = path.join(dir, 'hello.sif');
  fs.writeFileSync(file, Buffer.from('settings values image\n'.repeat(100)));
  hub = await startHubServer({ images: [{ user: 'vsoch', repo: 'hello', tag: 'latest', file }] });
});
after(async () => {
  await hub.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const REFUSED: [string, string, RegExp][] = [
  ['SREGISTRY_HTTP_TIMEOUT_MS', 'abc', /not a number of milliseconds \(above 0\)/],
  ['SREGISTRY_HTTP_TIMEOUT_MS', '-5', /not a number of milliseconds/],
  ['SREGISTRY_HTTP_TIMEOUT_MS', '0', /not a number of milliseconds/],
  ['SREGISTRY_HTTP_TIMEOUT_MS', '1.5', /not a number of milliseconds/],
  // Number() took these: 0x10 ran as 16 ms, 1e2 as 100
  ['SREGISTRY_HTTP_TIMEOUT_MS', '0x10', /not a number of milliseconds/],
  ['SREGISTRY_HTTP_TIMEOUT_MS', '1e2', /not a number of milliseconds/],
  ['SREGISTRY_HTTP_TIMEOUT_MS', '+300', /not a number of milliseconds/],
  ['SREGISTRY_SPEED_TIME', '1e1', /not a number of seconds/],
  ['SREGISTRY_SPEED_TIME', '.5', /not a number of seconds/],
  ['SREGISTRY_RETRY_MAX_TIME', '0x10', /not a number of seconds/],
  ['SREGISTRY_SPEED_LIMIT', '0b1', /not a number of bytes per second/],
  ['SREGISTRY_SPEED_LIMIT', 'abc', /not a number of bytes per second \(0 or more\)/],
  ['SREGISTRY_SPEED_LIMIT', '-1', /not a number of bytes per second/],
  ['SREGISTRY_SPEED_LIMIT', '1.5', /not a number of bytes per second/],
  ['SREGISTRY_SPEED_TIME', 'abc', /not a number of seconds \(above 0\)/],
  ['SREGISTRY_SPEED_TIME', '0', /not a number of seconds/],
  ['SREGISTRY_SPEED_TIME', '-3', /not a number of seconds/],
  ['SREGISTRY_RETRY_MAX_TIME', 'abc', /not a number of seconds/],
  ['SREGISTRY_HUB_NOHTTPS', 'maybe', /not yes or no/],
  ['SREGISTRY_PULL_VERIFY', 'maybe', /not yes or no/],
];

test('a number or yes/no setting outside its range is refused in one line naming it, before any request', async () => {
  const cli = cliInTempHome({ SREGISTRY_HUB_BASE: hub.origin });
  try {
    for (const [name, value, expected] of REFUSED) {
      const asked = hub.requests.length;
      const r = await cli.run(['pull', 'shub://vsoch/hello:latest'], { env: { [name]: value } });
      const what = `${name}=${value}`;
      assert.equal(r.code, 1, what);
      assert.match(r.stderr, new RegExp(`^ERROR ${name} is "${value.replace(/[.+]/g, '\\$&')}", [^\\n]*; [^\\n]*${name}\\n$`), what);
      assert.match(r.stderr, expected, what);
      assert.equal(hub.requests.length, asked, `${what}: nothing asked of the server`);
      const json = await cli.run(['pull', 'shub://vsoch/hello:latest', '--json'], { env: { [name]: value } });
      assert.equal(JSON.parse(json.stdout).error.code, 'ESETTING', what);
    }
    assert.ok(!fs.existsSync(path.join(cli.home, '.singularity', 'shub', 'vsoch')), 'nothing stored');
  } finally {
    cli.cleanup();
  }
});

test('the values the README allows work: SREGISTRY_SPEED_LIMIT=0 (no check), fractions of seconds, yes/no words', async () => {
  const cli = cliInTempHome({ SREGISTRY_HUB_BASE: hub.origin });
  try {
    const env = {
      SREGISTRY_SPEED_LIMIT: '0',
      SREGISTRY_SPEED_TIME: '0.5',
      SREGISTRY_RETRY_MAX_TIME: '2.5',
      SREGISTRY_HTTP_TIMEOUT_MS: ' 5000 ',
      SREGISTRY_HUB_NOHTTPS: 'No',
      SREGISTRY_PULL_VERIFY: '0',
      SREGISTRY_DATABASE_WAL: 'n',
    };
    const r = await cli.run(['pull', 'shub://vsoch/hello:latest'], { env });
    assert.equal(r.code, 0, r.stderr);
  } finally {
    cli.cleanup();
  }
});

test('a SREGISTRY_DATABASE_WAL that is no yes/no word is refused, not taken for "off"', async () => {
  const cli = cliInTempHome();
  try {
    const r = await cli.run(['images'], { env: { SREGISTRY_DATABASE_WAL: 'maybe' } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ERROR SREGISTRY_DATABASE_WAL is "maybe", not yes or no; [^\n]*\n$/);
    assert.ok(!fs.existsSync(path.join(cli.home, '.singularity', 'sregistry.db')), 'no database created');
  } finally {
    cli.cleanup();
  }
});

test('SREGISTRY_DATABASE_TIMEOUT takes the same plain numbers only: 0x10 and 1e1 are refused', async () => {
  const cli = cliInTempHome();
  try {
    for (const value of ['0x10', '1e1', '-1']) {
      const r = await cli.run(['images'], { env: { SREGISTRY_DATABASE_TIMEOUT: value } });
      assert.equal(r.code, 1, value);
      assert.match(r.stderr, new RegExp(`^ERROR SREGISTRY_DATABASE_TIMEOUT is "${value}", not a number of seconds; [^\\n]*\\n$`), value);
    }
    const ok = await cli.run(['images'], { env: { SREGISTRY_DATABASE_TIMEOUT: ' 2.5 ' } });
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    cli.cleanup();
  }
});

test('a sub-second SREGISTRY_HTTP_TIMEOUT_MS is shown in ms, and the fix names the setting', async () => {
  // a server that takes the connection and never answers
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as net.AddressInfo;
  const cli = cliInTempHome({ SREGISTRY_HUB_BASE: `http://127.0.0.1:${port}` });
  try {
    const env = { SREGISTRY_HTTP_TIMEOUT_MS: '16', SREGISTRY_RETRY_MAX_TIME: '0.3' };
    const r = await cli.run(['pull', 'shub://vsoch/hello:latest'], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no answer from http:\/\/127\.0\.0\.1:\d+ within 16 ms \(gave up after \d+(\.\d)? (ms|s)/);
    assert.doesNotMatch(r.stderr, / 0 s/);
    assert.match(r.stderr, /raise SREGISTRY_HTTP_TIMEOUT_MS \(now 16 ms/);
  } finally {
    cli.cleanup();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});
