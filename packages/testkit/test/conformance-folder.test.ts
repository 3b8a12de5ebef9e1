// The example third-party backend (fixtures/backend-folder, plain JS) against the conformance suite, the way a
// third party runs it: the module as published, @sregistry/core as the testkit resolves it (the built package).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { BackendModule } from '@sregistry/core';
import { type FolderServer, runBackendConformance, serveFolder } from '../src/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const folderModule = require('../fixtures/backend-folder/backend.js') as BackendModule;
const IMAGE = Buffer.from('folder conformance image bytes\n'.repeat(1000));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A web folder with library/tacos/latest.sif and its .sha256 file. */
async function folder(files: Record<string, Buffer | string>): Promise<{ dir: string; server: FolderServer; stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folder-backend-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  const server = await serveFolder(dir);
  return {
    dir,
    server,
    async stop() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

runBackendConformance({
  name: 'folder',
  module: folderModule,
  async start() {
    const f = await folder({ 'library/tacos/latest.sif': IMAGE, 'library/tacos/latest.sif.sha256': `${sha256(IMAGE)}  latest.sif\n` });
    return {
      image: { uri: 'folder://tacos:latest', sha256: sha256(IMAGE), size: IMAGE.length },
      missing: 'folder://tacos:nope',
      env: { SREGISTRY_FOLDER_BASE: f.server.url },
      stop: () => f.stop(),
    };
  },
});

test('folder: a file that does not match its .sha256 is refused and not catalogued', async () => {
  const core = await import('@sregistry/core');
  const f = await folder({ 'c/img/v1.sif': IMAGE, 'c/img/v1.sif.sha256': sha256(Buffer.from('other bytes')) });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'folder-home-'));
  const session = new core.Session({
    env: { HOME: home, SREGISTRY_FOLDER_BASE: f.server.url },
    output: new core.Output({ level: core.LEVELS.QUIET, json: false, quiet: true }),
    backends: new core.BackendRegistry().register('folder', folderModule),
  });
  try {
    await assert.rejects(core.pullImage(session, { uri: 'folder://c/img:v1' }), (e: Error & { code?: string }) => e.code === 'EDIGEST');
    assert.deepEqual(await (await session.catalog()).list(), []);
  } finally {
    await session.close();
    await f.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('folder: no SREGISTRY_FOLDER_BASE is a one-line error naming the setting', async () => {
  const core = await import('@sregistry/core');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'folder-home-'));
  const session = new core.Session({
    env: { HOME: home },
    output: new core.Output({ level: core.LEVELS.QUIET, json: false, quiet: true }),
    backends: new core.BackendRegistry().register('folder', folderModule),
  });
  try {
    await assert.rejects(core.pullImage(session, { uri: 'folder://c/img:v1' }), (e: Error & { fix?: string }) => {
      assert.match(e.message, /SREGISTRY_FOLDER_BASE is not set/);
      assert.match(String(e.fix), /sregistry backend add folder base/);
      return true;
    });
  } finally {
    await session.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
});
