// The host API a backend sees: exactly the documented members, one frozen object, built in one place for every
// backend the registry creates; `ctx.core` is the same narrow object (kept for backends written for core 0.1).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as core from '../src/index';

const MEMBERS = [
  'UserError',
  'apiVersion',
  'coreVersion',
  'downloadToFile',
  'fileDigests',
  'imageArch',
  'isUserError',
  'parseImageName',
  'printable',
  'redactHeaders',
  'redactUrl',
  'requestJson',
  'retryPolicy',
  'settingName',
  'uploadFile',
  'uploadMultipart',
  'urlOrigin',
  'withFileLock',
  'writeFileAtomic',
];

const settings: core.BackendSettings = { get: () => undefined, getBoolean: () => false, require: () => '' };
const log: core.BackendLogger = { debug() {}, info() {}, warn() {} };

test('the host holds the documented members only, and is frozen', () => {
  const host = core.backendHost();
  assert.deepEqual(Object.keys(host).sort(), MEMBERS);
  assert.ok(Object.isFrozen(host));
  assert.equal(host.apiVersion, core.HOST_API_VERSION);
  assert.equal(host.coreVersion, core.CORE_VERSION);
  assert.equal(host.settingName('my-folder', 'base'), 'SREGISTRY_MY_FOLDER_BASE');
  assert.equal(host.redactUrl('https://u:p@example.org/x'), core.redactUrl('https://u:p@example.org/x'));
  const error = new host.UserError('x', { fix: 'y' });
  assert.ok(core.isUserError(error) && host.isUserError(error));
});

test("imageArch reads a SIF's architecture, and is undefined for anything else", async () => {
  const { sampleSif, writeSif } = await import('../../testkit/src/index');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-arch-'));
  try {
    const host = core.backendHost();
    await sampleSif(path.join(dir, 'a.sif'));
    assert.equal(await host.imageArch(path.join(dir, 'a.sif')), 'amd64');
    await writeSif(path.join(dir, 'b.sif'), { partition: { data: Buffer.alloc(4096), arch: 'arm64' } });
    assert.equal(await host.imageArch(path.join(dir, 'b.sif')), 'arm64');
    fs.writeFileSync(path.join(dir, 'c.txt'), 'not an image');
    assert.equal(await host.imageArch(path.join(dir, 'c.txt')), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every backend the registry creates gets the same host, as ctx.host and (deprecated) ctx.core', async () => {
  const seen: core.BackendContext[] = [];
  const module: core.BackendModule = {
    createBackend(ctx) {
      seen.push(ctx);
      return { name: ctx.name, resolve: async () => assert.fail('not called') };
    },
  };
  const registry = new core.BackendRegistry().register('one', module).register('two', module);
  await registry.create('one', { settings, log });
  await registry.create('TWO', { settings, log });
  assert.deepEqual(
    seen.map((c) => c.name),
    ['one', 'two'],
  );
  for (const ctx of seen) {
    assert.equal(ctx.host, core.backendHost());
    assert.equal(ctx.core, ctx.host, 'ctx.core is the narrow host, not the whole of core');
    assert.equal((ctx.core as unknown as Record<string, unknown>).Session, undefined);
    assert.deepEqual(Object.keys(ctx).sort(), ['core', 'host', 'log', 'name', 'settings']);
  }
});

test('a Session hands its backend the host API, not the core module', async () => {
  let received: core.BackendContext | undefined;
  const backends = new core.BackendRegistry().register('probe', {
    createBackend(ctx) {
      received = ctx;
      return { name: ctx.name };
    },
  });
  const session = new core.Session({ env: { HOME: '/nonexistent-home', SREGISTRY_CLIENT: 'probe' }, backends });
  try {
    await session.backend();
  } finally {
    await session.close();
  }
  assert.equal(received?.host, core.backendHost());
  assert.equal(received?.name, 'probe');
});
