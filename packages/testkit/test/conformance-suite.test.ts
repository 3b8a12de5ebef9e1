// The conformance suite must fail for backends that break the contract: checkBackendConformance runs it on broken
// copies of the folder example backend and its report names the failed checks, with no test runner involved (this
// file uses node:test only to hold the assertions). The suite module itself must not load node:test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Backend, BackendContext, BackendModule } from '@sregistry/core';
import { checkBackendConformance, conformanceSuite, serveFolder } from '../src/index';

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
  // a refusal that quotes the token it was given: the check fails, and the report never repeats the token
  'leaks-secret-in-error': {
    module: {
      async createBackend(ctx: BackendContext): Promise<Backend> {
        const inner = await folder.createBackend(ctx);
        return {
          ...inner,
          async resolve(name, options) {
            if (name.tag === 'nope') throw new Error(`token ${ctx.settings.get('SREGISTRY_FOLDER_TOKEN')} rejected at /library/tacos`);
            return inner.resolve!(name, options);
          },
        };
      },
    },
    fails: 'a missing image fails with one line',
  },
  // core reports it as a broken plugin (EPLUGIN, a UserError): that is no refusal of a missing image
  'returns-42': {
    module: { createBackend: async () => 42 as unknown as Backend },
    fails: 'a missing image fails with one line',
  },
  // a name that could never be typed again is refused by core before anything is stored
  'resolve-bad-name': {
    module: {
      async createBackend(ctx: BackendContext): Promise<Backend> {
        const inner = await folder.createBackend(ctx);
        return {
          ...inner,
          async resolve(name, options) {
            const remote = await inner.resolve!(name, options);
            return { ...remote, name: { ...remote.name, tag: 'latest\nforged' } };
          },
        };
      },
    },
    fails: 'a pull stores the bytes',
  },
};

/** The suite on one broken backend, against a folder holding library/tacos/latest.sif. */
function check(module: BackendModule) {
  const image = Buffer.from('broken backend image\n');
  return checkBackendConformance({
    name: 'folder',
    module,
    timeoutMs: 20_000,
    async start() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-broken-'));
      fs.mkdirSync(path.join(dir, 'library', 'tacos'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'library', 'tacos', 'latest.sif'), image);
      // not a SIF: the published digest is what lets the core accept these bytes
      fs.writeFileSync(path.join(dir, 'library', 'tacos', 'latest.sif.sha256'), createHash('sha256').update(image).digest('hex'));
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
}

for (const [name, { module, fails }] of Object.entries(VARIANTS)) {
  test(`the suite fails a backend that breaks the contract: ${name}`, async () => {
    const report = await check(module);
    assert.equal(report.ok, false, 'the report fails');
    assert.equal(report.results.length, 6, 'all six checks ran');
    const failed = report.failures.map((r) => r.name);
    assert.ok(
      failed.some((title) => title.startsWith(fails)),
      `"${fails}…" failed (failed: ${JSON.stringify(failed)})`,
    );
    assert.match(report.summary, new RegExp(`^not ok - ${fails}`, 'm'));
    for (const failure of report.failures) assert.ok(failure.error instanceof Error, `${failure.name} carries its error`);
    // what ends up in CI logs never holds the token the suite gave the backend
    assert.ok(!report.summary.includes(TOKEN), report.summary);
    for (const failure of report.failures) {
      assert.ok(!`${failure.error?.message}\n${failure.error?.stack}`.includes(TOKEN), `${failure.name}: ${failure.error?.message}`);
    }
    if (name === 'leaks-secret-in-error') assert.match(report.summary, /token \*\*\* rejected at/);
    // an assertion's values are in its line, not only its message
    if (name === 'claims-push') {
      assert.match(
        report.summary,
        /^not ok - the module exports .*push is claimed, so push\(\) exists \(got 'undefined', expected 'function'\)$/m,
      );
    }
    if (name === 'returns-42') assert.match(report.summary, /^not ok - a missing image .*got core's report of a broken plugin/m);
  });
}

test('control: the unbroken folder backend passes every check', async () => {
  const report = await check(folder);
  assert.deepEqual(
    report.failures.map((r) => `${r.name}: ${r.error?.message}`),
    [],
  );
  assert.equal(report.ok, true);
  assert.equal(report.summary.split('\n').length, 6);
});

test('a service that does not start fails every check with the reason, and nothing is left running', async () => {
  const report = await checkBackendConformance({
    name: 'folder',
    module: folder,
    async start() {
      throw new Error('port in use');
    },
  });
  assert.equal(report.ok, false);
  assert.equal(report.results.length, 6);
  for (const r of report.results) assert.match(String(r.error?.message), /not run: the set-up failed: port in use/);
});

test('the checks can be handed to any runner one by one', () => {
  const suite = conformanceSuite({ name: 'folder', module: folder, start: () => Promise.reject(new Error('not started here')) });
  assert.equal(suite.title, 'backend conformance: folder');
  assert.equal(suite.checks.length, 6);
  for (const c of suite.checks) assert.equal(typeof c.run, 'function');
});

test('loading the suite (the testkit entry) loads no node:test', () => {
  const entry = path.resolve(__dirname, '..', 'dist', 'index.js');
  assert.ok(fs.existsSync(entry), `${entry} is missing: build first`);
  // records every require of node:test while the entry loads; the control requires it on purpose
  const script = (control: boolean) =>
    `const m = require('node:module'); const seen = []; const load = m._load;
     m._load = function (request, ...rest) { if (request === 'node:test' || request === 'test') seen.push(request); return load.call(this, request, ...rest); };
     require(${JSON.stringify(entry)}); ${control ? "require('node:test');" : ''} process.stdout.write(JSON.stringify(seen));`;
  const seen = (control: boolean) => JSON.parse(execFileSync(process.execPath, ['-e', script(control)], { encoding: 'utf8' }));
  assert.deepEqual(seen(false), [], 'node:test is not required by the testkit entry');
  assert.deepEqual(seen(true), ['node:test'], 'control: the hook sees a require of node:test');
});
