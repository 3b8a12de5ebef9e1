// `sregistry-testkit serve` as a real process: demo seed, secrets file, --json, and a clean exit on signals.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '../src/registry-server/hmac';

const ROOT = resolve(__dirname, '../../..');
const MAIN = resolve(__dirname, '../src/cli/main.ts');

function startCli(args: string[]): { child: ChildProcessWithoutNullStreams; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args], {
    cwd: ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.base.json') },
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const lines = createInterface({ input: child.stdout });
  const firstLine = new Promise<string>((ok, fail) => {
    lines.once('line', ok);
    child.once('exit', (code) => fail(new Error(`serve exited ${code}: ${stderr}`)));
  });
  firstLine.catch(() => undefined); // a test that expects the exit does not await the line
  return { child, firstLine };
}

async function stop(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}

describe('sregistry-testkit serve', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'testkit-cli-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('serves the demo seed, writes a 0600 secrets file, prints JSON and exits 0 on SIGTERM', async () => {
    const secrets = join(work, 'secrets.json');
    const data = join(work, 'data');
    const { child, firstLine } = startCli(['--json', '--token', 'testtoken123', '--print-secrets', secrets, '--data', data]);
    try {
      const info = JSON.parse(await firstLine) as { url: string; username: string; token: string };
      assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual({ username: info.username, token: info.token }, { username: 'dinosaur', token: 'testtoken123' });
      assert.deepEqual(JSON.parse(await readFile(secrets, 'utf8')), {
        registry: { token: 'testtoken123', username: 'dinosaur', base: info.url },
      });
      assert.equal((await stat(secrets)).mode & 0o777, 0o600);

      const page = (await (await fetch(`${info.url}/api/collections/`)).json()) as {
        results: { containers: { uri: string; detail: string }[] }[];
      };
      assert.deepEqual(
        page.results.flatMap((r) => r.containers.map((c) => [c.uri, c.detail])),
        [
          ['vanessa/tacos:latest', `${info.url}/containers/1`],
          ['vanessa/tacolicious:gobacktosleep', `${info.url}/containers/3`],
        ],
      );
      const url = `${info.url}/api/container/dinosaur/secret:latest`;
      assert.equal((await fetch(url)).status, 403);
      const auth = signRequest('pull', { username: 'dinosaur', token: 'testtoken123', collection: 'dinosaur', name: 'secret' });
      const detail = (await (await fetch(url, { headers: { Authorization: auth } })).json()) as { image: string };
      const sif = Buffer.from(await (await fetch(detail.image)).arrayBuffer());
      assert.ok(sif.includes('SIF_MAGIC'), 'demo images are SIF files');
    } finally {
      assert.equal(await stop(child, 'SIGTERM'), 0);
    }
    // A data dir given with --data is left in place.
    assert.deepEqual((await readdir(data)).filter((d) => !d.startsWith('_')).sort(), ['dinosaur', 'vanessa']);
  });

  it('prints the listening line, seeds nothing with --seed none, and exits 0 on SIGINT', async () => {
    const { child, firstLine } = startCli(['--seed', 'none', '--user', 'Bob', '--port', '0']);
    try {
      const line = await firstLine;
      const m = /^registry listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      assert.ok(m, line);
      assert.deepEqual(await (await fetch(`${m[1]}/api/collections/`)).json(), { count: 0, next: null, previous: null, results: [] });
    } finally {
      assert.equal(await stop(child, 'SIGINT'), 0);
    }
  });

  it('exits 2 on a bad option', async () => {
    const { child } = startCli(['--seed', 'bogus']);
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 2);
  });
});
