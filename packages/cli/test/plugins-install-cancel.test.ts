// Ctrl-C during `plugins install` of a plugin installed before: npm is stopped, the data folder is put back as it
// was and its backup removed, and the cancel is the usual one line (ECANCELLED, exit 130). A backup left by a
// process that died is removed by the next plugins command.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cleanEnv } from '@sregistry/testkit';
import { startVerdaccio, type VerdaccioHandle } from '../../testkit/src/verdaccio';
import { BIN, cliInTempHome } from './helpers';
import { folderState, publishDemo } from './plugin-install-helpers';

let storage: string;
let verdaccio: VerdaccioHandle;
let proxy: http.Server;
let proxyUrl: string;
// tarball requests the proxy holds (npm install is then under way, and stays so until it is stopped)
const held: http.ServerResponse[] = [];

before(async () => {
  storage = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-cancel-'));
  verdaccio = await startVerdaccio({ storage: path.join(storage, 'registry'), uplink: false });
  await publishDemo(verdaccio, storage, '0.1.0');
  await publishDemo(verdaccio, storage, '2.0.0');
  const upstream = new URL(verdaccio.url);
  // verdaccio behind a proxy that never answers for a tarball: the packument names the proxy (its Host header)
  proxy = http.createServer((req, res) => {
    if (/\.tgz$/.test(req.url ?? '')) {
      held.push(res);
      return;
    }
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((ready) => proxy.listen(0, '127.0.0.1', ready));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`;
});

after(async () => {
  for (const res of held) res.destroy();
  await new Promise((done) => proxy?.close(done));
  await verdaccio?.close();
  fs.rmSync(storage, { recursive: true, force: true });
});

const backups = (dataDir: string) => fs.readdirSync(dataDir).filter((name) => name.startsWith('.install-backup-'));

/** The install, interrupted (SIGINT to the CLI alone) once npm asks for the tarball. */
async function interruptedInstall(home: ReturnType<typeof cliInTempHome>, extra: string[]) {
  const asked = held.length;
  const child = spawn(process.execPath, [BIN, 'plugins', 'install', 'sregistry-backend-demo@2.0.0', ...extra], {
    cwd: home.home,
    env: cleanEnv({ ...home.env, npm_config_registry: verdaccio.url, SREGISTRY_NPM_REGISTRY: proxyUrl }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  while (held.length === asked && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  const reached = held.length > asked;
  const dataDir = path.join(home.home, '.local', 'share', 'sregistry');
  const backupDuring = backups(dataDir).length;
  child.kill('SIGINT');
  const end = await ended;
  clearTimeout(guard);
  return { reached, backupDuring, stdout, stderr, ...end };
}

test('Ctrl-C during an upgrade puts the installed plugin back, removes the backup and says it was cancelled', async () => {
  const cli = cliInTempHome({ npm_config_registry: verdaccio.url });
  try {
    const dataDir = path.join(cli.home, '.local', 'share', 'sregistry');
    const installed = await cli.run(['plugins', 'install', 'sregistry-backend-demo@0.1.0']);
    assert.equal(installed.code, 0, installed.stderr);
    const was = folderState(dataDir);
    for (const json of [false, true]) {
      const r = await interruptedInstall(cli, json ? ['--json'] : []);
      assert.ok(r.reached, `npm never asked for the tarball: ${r.stderr}`);
      assert.equal(r.backupDuring, 1, 'the backup was there while npm ran');
      assert.equal(r.signal, null, `the command ended its own way: ${r.stderr}`);
      assert.equal(r.code, 130, r.stderr);
      if (json) {
        assert.equal(JSON.parse(r.stdout).error.code, 'ECANCELLED');
      } else {
        assert.equal(
          r.stderr,
          'ERROR plugins install cancelled; the installed plugins are as they were; run the install again to install it\n',
        );
      }
      assert.deepEqual(backups(dataDir), [], 'no backup is left behind');
      assert.deepEqual(folderState(dataDir), was, 'package.json, lockfiles and node_modules as before');
    }
  } finally {
    cli.cleanup();
  }
});

test("a backup left by a process that is gone is removed by the next plugins command; a live process's stays", async () => {
  const cli = cliInTempHome({ npm_config_registry: verdaccio.url });
  try {
    const dataDir = path.join(cli.home, '.local', 'share', 'sregistry');
    fs.mkdirSync(dataDir, { recursive: true });
    const gone = spawn(process.execPath, ['-e', '']);
    const deadPid = await new Promise<number>((resolve) => gone.on('exit', () => resolve(gone.pid as number)));
    const stale = path.join(dataDir, `.install-backup-${deadPid}-AbCdEf`);
    const live = path.join(dataDir, `.install-backup-${process.pid}-GhIjKl`);
    for (const dir of [stale, live]) fs.mkdirSync(path.join(dir, 'node_modules', 'x'), { recursive: true });
    const ls = await cli.run(['plugins']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(backups(dataDir), [path.basename(live)]);
  } finally {
    cli.cleanup();
  }
});
