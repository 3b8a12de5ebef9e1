// `sregistry-testkit serve-hub` as a real process, and the built `sregistry` CLI pulling its demo archive:
// the demo a person would run by hand (one SIF, one .simg, one .img.gz), checked end to end.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { runCli } from '@sregistry/testkit';
import { cliInTempHome } from '../../cli/test/helpers';

const TESTKIT = path.resolve(__dirname, '..', '..', 'testkit', 'bin', 'sregistry-testkit.js');

/** Starts serve-hub and resolves with its first stdout line (or rejects with stderr if it exits first). */
function start(args: string[]): { child: ChildProcessWithoutNullStreams; firstLine: Promise<string> } {
  const child = spawn(process.execPath, [TESTKIT, 'serve-hub', ...args]);
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const firstLine = new Promise<string>((ok, fail) => {
    createInterface({ input: child.stdout }).once('line', ok);
    child.once('exit', (code) => fail(new Error(`serve-hub exited ${code}: ${stderr}`)));
  });
  return { child, firstLine };
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  return ((await exited) as [number | null])[0];
}

describe('sregistry-testkit serve-hub', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  const cli = cliInTempHome();
  after(async () => {
    for (const child of children) await stop(child);
    cli.cleanup();
  });

  test('the demo archive pulls as SIF, squashfs and (with --gunzip) ext3; SIGTERM exits 0', async () => {
    const server = start(['--json']);
    children.push(server.child);
    const info = JSON.parse(await server.firstLine) as { url: string; images: string[] };
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(info.images, ['vsoch/hello-world:latest', 'singularityhub/busybox:latest', 'vsoch/singularity-hello-world:latest']);

    const env = { SREGISTRY_HUB_BASE: info.url };
    const pulls: [string, string[], string][] = [
      ['shub://vsoch/hello-world:latest', [], 'sif'],
      ['singularityhub/busybox', [], 'squashfs'],
      ['vsoch/singularity-hello-world', ['--gunzip'], 'ext3'],
    ];
    for (const [uri, flags, format] of pulls) {
      const r = await cli.run(['pull', uri, ...flags, '--json'], { env });
      assert.equal(r.code, 0, `${uri}: ${r.stderr}`);
      const json = JSON.parse(r.stdout);
      assert.equal(json.format, format, uri);
      assert.match(json.version, /^[0-9a-f]{32}$/, 'the archive version (md5)');
    }
    const images = await cli.run(['images'], { env });
    assert.equal(images.stdout.trimEnd().split('\n').length, 1 + pulls.length, images.stdout);

    assert.equal(await stop(server.child), 0);
  });

  test('--corrupt serves bytes the client rejects; the plain line names the URL', async () => {
    const server = start(['--corrupt']);
    children.push(server.child);
    const line = await server.firstLine;
    const url = /^hub listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
    assert.ok(url, line);
    const r = await cli.run(['pull', 'vsoch/hello-world:latest', '--no-cache'], { env: { SREGISTRY_HUB_BASE: url } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ERROR the downloaded image's md5 /);
    assert.equal(await stop(server.child), 0);
  });

  test('usage: --help exits 0, a bad option exits 2 with one line', async () => {
    const help = await runCli(TESTKIT, ['serve-hub', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: sregistry-testkit serve-hub/);
    const top = await runCli(TESTKIT, ['--help']);
    assert.match(top.stdout, /serve-hub\s+run a fake Singularity Hub archive/);
    const bad = await runCli(TESTKIT, ['serve-hub', '--seed', 'everything']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'sregistry-testkit: --seed must be demo or none, got everything\n');
  });
});
