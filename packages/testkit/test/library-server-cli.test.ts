// `sregistry-testkit serve-library` as a real process: demo seed, --image, --json, switches, and a clean exit.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { bytes, call, sha256 } from './library-server-helpers';

const ROOT = resolve(__dirname, '../../..');
const MAIN = resolve(__dirname, '../src/cli/main.ts');

function startCli(args: string[]): { child: ChildProcessWithoutNullStreams; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve-library', ...args], {
    cwd: ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.base.json') },
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const lines = createInterface({ input: child.stdout });
  const firstLine = new Promise<string>((ok, fail) => {
    lines.once('line', ok);
    child.once('exit', (code) => fail(new Error(`serve-library exited ${code}: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  return { child, firstLine };
}

async function stop(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}

describe('sregistry-testkit serve-library', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'testkit-library-cli-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it('serves the demo seed and an --image, prints JSON and exits 0 on SIGTERM', async () => {
    const file = join(work, 'mine.sif');
    const data = bytes(70_000, 'mine');
    await writeFile(file, data);
    const { child, firstLine } = startCli(['--json', '--token', 'tok-123', '--image', `${file}=me/stuff/app:1.0`, '--download', '302']);
    try {
      const info = JSON.parse(await firstLine) as { url: string; objectUrl: string; user: string; token: string; images: string[] };
      assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(info.objectUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(info.url, info.objectUrl);
      assert.deepEqual({ user: info.user, token: info.token }, { user: 'demo', token: 'tok-123' });
      assert.ok(info.images.includes('demo/demo/hello:latest (arm64)'));
      const hello = await call(info.url, '/v1/images/demo/demo/hello:v1.0');
      assert.equal(hello.status, 200);
      const redirect = await call(info.url, '/v1/imagefile/demo/demo/hello:latest?arch=arm64');
      assert.equal(redirect.status, 302);
      const sif = Buffer.from(await (await fetch(redirect.headers.get('location') ?? '')).arrayBuffer());
      assert.ok(sif.includes('SIF_MAGIC'), 'demo images are SIF files');
      assert.equal((await call(info.url, '/v1/images/demo/secret/thing:latest')).status, 404);
      assert.equal((await call(info.url, '/v1/images/demo/secret/thing:latest', { token: 'tok-123' })).status, 200);
      const mine = await call(info.url, '/v1/images/me/stuff/app:1.0');
      assert.equal(mine.json.data.hash, `sha256.${sha256(data)}`);
      // the --user owns the --image entities
      const coll = await call(info.url, '/v1/collections', { token: 'tok-123', body: { entity: mine.json.data.entity, name: 'more' } });
      assert.equal(coll.status, 200);
    } finally {
      assert.equal(await stop(child, 'SIGTERM'), 0);
    }
  });

  it('prints the listening line, honours the switches, and exits 0 on SIGINT', async () => {
    const { child, firstLine } = startCli(['--seed', 'none', '--api-version', '2.0.0-alpha.1', '--no-search']);
    try {
      const m = /^library listening on (http:\/\/127\.0\.0\.1:\d+) \(objects on http:\/\/127\.0\.0\.1:\d+\)$/.exec(await firstLine);
      assert.ok(m);
      const url = m[1] as string;
      assert.equal((await call(url, '/version')).json.data.apiVersion, '2.0.0-alpha.1');
      assert.equal((await call(url, '/v1/search?value=hello')).status, 404);
      assert.equal((await call(url, '/v1/entities/demo')).status, 404);
    } finally {
      assert.equal(await stop(child, 'SIGINT'), 0);
    }
  });

  it('exits 2 on a bad option', async () => {
    for (const args of [
      ['--download', '301'],
      ['--image', 'nofile'],
      ['--part-size', 'x'],
    ]) {
      const { child } = startCli(args);
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 2, args.join(' '));
    }
  });
});
