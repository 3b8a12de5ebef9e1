// The conformance suite must fail for backends that break the contract. This file runs itself as a child with
// CONFORMANCE_BROKEN=<variant>: the child runs the suite on a broken copy of the folder example backend, and the
// parent checks which of the suite's tests failed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Backend, BackendContext, BackendModule } from '@sregistry/core';
import { runBackendConformance, serveFolder } from '../src/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const folder = require('../fixtures/backend-folder/backend.js') as BackendModule;
const TOKEN = 'folder-secret-token-0123456789';

/** Each variant breaks one rule; the value is the suite test (title start) that must fail. */
const VARIANTS: Record<string, { module: BackendModule; fails: string }> = {
  'claims-push': {
    module: { createBackend: async (ctx) => ({ ...(await folder.createBackend(ctx)), capabilities: ['pull', 'push'] }) },
    fails: 'the module exports createBackend',
  },
  'plain-error': {
    module: {
      async createBackend(ctx: BackendContext): Promise<Backend> {
        const inner = await folder.createBackend(ctx);
        return {
          ...inner,
          async resolve(name, options) {
            if (name.tag === 'nope') throw new Error('HTTP 404');
            return inner.resolve!(name, options);
          },
        };
      },
    },
    fails: 'a missing image fails with one line',
  },
  'leaks-secret': {
    module: {
      createBackend: async (ctx) => ({
        ...(await folder.createBackend(ctx)),
        describe: () => `[folder|token ${ctx.settings.get('SREGISTRY_FOLDER_TOKEN')}]`,
      }),
    },
    fails: 'the module exports createBackend',
  },
};

const variant = process.env.CONFORMANCE_BROKEN;
if (variant) {
  const broken = VARIANTS[variant];
  if (!broken) throw new Error(`unknown variant ${variant}`);
  const image = Buffer.from('broken backend image\n');
  runBackendConformance({
    name: 'folder',
    module: broken.module,
    timeoutMs: 20_000,
    async start() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-broken-'));
      fs.mkdirSync(path.join(dir, 'library', 'tacos'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'library', 'tacos', 'latest.sif'), image);
      const server = await serveFolder(dir);
      return {
        image: { uri: 'folder://tacos:latest', sha256: createHash('sha256').update(image).digest('hex') },
        missing: 'folder://tacos:nope',
        env: { SREGISTRY_FOLDER_BASE: server.url, SREGISTRY_FOLDER_TOKEN: TOKEN },
        async stop() {
          await server.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  });
} else {
  const runVariant = (name: string) =>
    new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--test-reporter=tap', __filename],
        // NODE_TEST_CONTEXT would make the child report to this runner in its binary format instead of TAP
        { env: { ...process.env, NODE_TEST_CONTEXT: undefined, CONFORMANCE_BROKEN: name }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout) }),
      );
    });

  for (const [name, { fails }] of Object.entries(VARIANTS)) {
    test(`the suite fails a backend that breaks the contract: ${name}`, async () => {
      const { code, stdout } = await runVariant(name);
      assert.notEqual(code, 0, 'the run fails');
      const failed = [...stdout.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((m) => m[1]);
      assert.ok(
        failed.some((title) => title.startsWith(fails)),
        `"${fails}…" failed (failed: ${JSON.stringify(failed)})`,
      );
      assert.match(stdout, /^\s+1\.\.6$/m, 'all six tests of the suite ran');
    });
  }
}
