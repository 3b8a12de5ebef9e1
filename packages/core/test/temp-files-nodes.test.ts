// Two nodes on one storage folder: a node never removes another node's partial file by pid, even when both have
// the same host name (containers, which count their own pids), and removes it once nobody wrote it for the age
// limit. The other node is real: a process in its own pid (and host name) namespace, made with unshare.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createStorage } from '../src/storage/index';
import { HOST_TAG, parseTempName, tempBeside } from '../src/storage/temp-files';

const run = promisify(execFile);
const TEMP_FILES = path.resolve(__dirname, '../src/storage/temp-files.ts');
const canUnshare = spawnSync('unshare', ['--pid', '--uts', '--fork', '--mount-proc', 'true']).status === 0;
const skip = canUnshare ? false : 'needs unshare with pid and uts namespaces (root)';

/**
 * Runs `script` (CommonJS, temp-files loaded as `t`) as another node: its own pid namespace, and its own host
 * name when `hostname` is given. Resolves to what it prints.
 */
async function onOtherNode(script: string, hostname?: string): Promise<string> {
  const node = [process.execPath, '--import', 'tsx', '-e', `const t = require(${JSON.stringify(TEMP_FILES)}); ${script}`];
  const inner = hostname ? `hostname ${hostname} && exec "$@"` : 'exec "$@"';
  const flags = ['--pid', '--fork', '--mount-proc', ...(hostname ? ['--uts'] : [])];
  const { stdout } = await run('unshare', [...flags, 'sh', '-c', inner, 'sh', ...node], {
    env: { ...process.env, TSX_TSCONFIG_PATH: path.resolve(__dirname, '../../../tsconfig.base.json') },
  });
  return stdout.trim();
}

function tempStorage() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-nodes-'));
  return { root, storage: createStorage(root), done: () => fs.rmSync(root, { recursive: true, force: true }) };
}

test('another node, even of the same host name, has another tag: its pids are not ours', { skip }, async () => {
  const sameName = await onOtherNode('console.log(t.HOST_TAG)');
  const otherName = await onOtherNode('console.log(t.HOST_TAG)', 'node-b');
  assert.match(sameName, /^[0-9a-f]{8}$/);
  assert.notEqual(sameName, HOST_TAG, 'a container with our host name counts its own pids');
  assert.notEqual(otherName, HOST_TAG);
  // a process of this node (a CLI run) has ours
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', `console.log(require(${JSON.stringify(TEMP_FILES)}).HOST_TAG)`]);
  assert.equal(stdout.trim(), HOST_TAG);
});

test("a sweep keeps another node's young partial files whatever their pid, and removes them once old", { skip }, async () => {
  const { root, storage, done } = tempStorage();
  try {
    const image = path.join(root, 'c', 'i', 'tacos@v1.sif');
    fs.mkdirSync(path.dirname(image), { recursive: true });
    // node B writes a download into .tmp and a copy beside an image (with its note), as its own process, then is
    // gone; its pids mean nothing here (the last one, above pid_max, cannot run on this node)
    const script = `
      const fs = require('node:fs'), path = require('node:path');
      const files = [
        t.tempIn(${JSON.stringify(storage.tempDir)}, 'download'),
        t.tempBeside(${JSON.stringify(image)}),
        t.tempBeside(${JSON.stringify(image)}, { pid: 4194305 }),
      ];
      fs.mkdirSync(${JSON.stringify(storage.tempDir)}, { recursive: true });
      (async () => {
        for (const f of files) { fs.writeFileSync(f, 'partial'); await t.noteTemp(${JSON.stringify(storage.tempDir)}, f); }
        console.log(JSON.stringify(files));
      })();`;
    for (const hostname of [undefined, 'node-b']) {
      const theirs = JSON.parse(await onOtherNode(script, hostname)) as string[];
      for (const f of theirs) assert.notEqual(parseTempName(path.basename(f))?.host, HOST_TAG);
      // a temp of a dead process of this node, beside the same image, goes at once
      const mine = tempBeside(image, { pid: 4194305, token: 'dead0001' });
      fs.writeFileSync(mine, 'partial');
      assert.equal(await storage.cleanTemp(), 0, "the sweep of .tmp removes none of node B's files");
      assert.equal(await storage.cleanTemp(undefined, { fullSweep: true }), 1, "the walk of storage removes this node's dead temp only");
      assert.equal(fs.existsSync(mine), false);
      for (const f of theirs) assert.equal(fs.existsSync(f), true, `${path.basename(f)} kept (${hostname ?? 'same host name'})`);
      // nobody wrote them for a day: stale whoever wrote them
      const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000);
      for (const name of fs.readdirSync(storage.tempDir)) fs.utimesSync(path.join(storage.tempDir, name), twoDaysAgo, twoDaysAgo);
      for (const f of theirs) fs.utimesSync(f, twoDaysAgo, twoDaysAgo);
      await storage.cleanTemp();
      for (const f of theirs) assert.equal(fs.existsSync(f), false, `${path.basename(f)} removed once old`);
    }
  } finally {
    done();
  }
});
