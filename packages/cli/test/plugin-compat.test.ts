// A plugin states the cores it fits (peerDependencies on @sregistry/core). One made for another core is listed by
// `backend ls` as unusable, in one line naming the plugin, its range and the installed core, and is never loaded:
// using its backend or its command is a one-line refusal, and its code leaves no marker.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliInTempHome } from './helpers';

const FIXTURE = path.resolve(__dirname, '..', '..', 'testkit', 'fixtures', 'backend-future');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const CORE_VERSION: string = require('../../core/package.json').version;
const LINE = new RegExp(
  `sregistry-backend-future@2\\.0\\.0 needs @sregistry/core >=99\\.0\\.0 <100, but the installed core is ${CORE_VERSION.replace(/\./g, '\\.')}`,
);

describe('a plugin whose core range excludes the installed core', { timeout: 300_000 }, () => {
  const cli = cliInTempHome();
  const marker = path.join(cli.home, 'future-loaded');
  const env = { FUTURE_LOADED_MARKER: marker };

  before(async () => {
    // a copy outside the checkout: nothing above it resolves @sregistry/core but the CLI
    const plugin = path.join(cli.home, 'backend-future');
    fs.cpSync(FIXTURE, plugin, { recursive: true });
    const link = await cli.run(['plugins', 'link', plugin, '--no-install'], { env });
    assert.equal(link.code, 0, link.stdout + link.stderr);
  });
  after(() => cli.cleanup());

  test('backend ls lists it as unusable in one line, without loading it', async () => {
    const ls = await cli.run(['backend', 'ls'], { env });
    assert.equal(ls.code, 0, ls.stderr);
    const line = ls.stdout.split('\n').find((l) => l.startsWith('future '));
    assert.ok(line, ls.stdout);
    assert.match(line, /^future\s+unusable: /);
    assert.match(line, LINE);
    assert.ok(!fs.existsSync(marker), 'the backend module was not loaded');
    const json = await cli.run(['backend', 'ls', '--json'], { env });
    const row = (JSON.parse(json.stdout) as { name: string; usable: boolean; problem: string }[]).find((r) => r.name === 'future');
    assert.equal(row?.usable, false);
    assert.match(row?.problem ?? '', LINE);
  });

  test('pulling through it is a one-line refusal naming the range and the core', async () => {
    const pull = await cli.run(['pull', 'future://someone/thing:1'], { env });
    assert.equal(pull.code, 1, pull.stdout + pull.stderr);
    assert.equal(pull.stderr.trim().split('\n').length, 1, pull.stderr);
    assert.match(pull.stderr, /The backend "future" cannot be used: /);
    assert.match(pull.stderr, LINE);
    assert.doesNotMatch(pull.stderr, /TypeError|resolveWithTheFutureApi/);
    // it is linked, and a linked plugin wins over an installed one: installing another version would change nothing
    assert.match(
      pull.stderr,
      /; make the folder .*backend-future fit this core, or run: sregistry plugins unlink sregistry-backend-future\n$/,
    );
    assert.ok(!fs.existsSync(marker), 'the backend module was not loaded');
  });

  test('its command does not run', async () => {
    const hello = await cli.run(['future', 'hello'], { env });
    assert.equal(hello.code, 1, hello.stdout + hello.stderr);
    assert.match(hello.stderr, /The command "future hello" cannot be used: /);
    assert.match(hello.stderr, LINE);
    assert.match(hello.stderr, /or run: sregistry plugins unlink sregistry-backend-future\n$/);
    assert.doesNotMatch(hello.stdout, /hello from the future/);
    assert.equal(hello.stderr.trim().split('\n').length, 1, hello.stderr);
    assert.ok(!fs.existsSync(marker), 'the command file was not even loaded');
    const json = await cli.run(['future', 'hello', '--json'], { env });
    assert.equal(json.code, 1);
    const body = JSON.parse(json.stdout) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'EINCOMPATIBLE');
    assert.match(body.error.message, LINE);
    assert.ok(!fs.existsSync(marker), 'nor with --json');
  });

  test('its command given arguments is the same refusal, not "no command"', async () => {
    for (const args of [
      ['future', 'hello', 'someone'],
      ['future', 'hello', 'a', 'b', '--json'],
    ]) {
      const r = await cli.run(args, { env });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      const text = args.includes('--json') ? (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error : undefined;
      if (text) {
        assert.equal(text.code, 'EINCOMPATIBLE');
        assert.match(text.message, LINE);
      } else {
        assert.match(r.stderr, /^ERROR The command "future hello" cannot be used: /);
        assert.match(r.stderr, LINE);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
    }
    assert.ok(!fs.existsSync(marker), 'the command file was not loaded');
  });

  test('control: the same plugin made for this core runs its command (the marker shows the file loads)', async () => {
    const fits = path.join(cli.home, 'backend-fits');
    fs.cpSync(FIXTURE, fits, { recursive: true });
    const pjson = JSON.parse(fs.readFileSync(path.join(fits, 'package.json'), 'utf8'));
    fs.writeFileSync(
      path.join(fits, 'package.json'),
      JSON.stringify({
        ...pjson,
        name: 'sregistry-backend-fits',
        sregistry: { backends: { fits: './backend.js' } },
        peerDependencies: { '@sregistry/core': '>=0.1.0 <1' },
      }),
    );
    fs.renameSync(path.join(fits, 'commands', 'future'), path.join(fits, 'commands', 'fits'));
    const other = cliInTempHome();
    try {
      const fitsMarker = path.join(other.home, 'fits-loaded');
      const link = await other.run(['plugins', 'link', fits, '--no-install'], { env: { FUTURE_LOADED_MARKER: fitsMarker } });
      assert.equal(link.code, 0, link.stdout + link.stderr);
      const hello = await other.run(['fits', 'hello'], { env: { FUTURE_LOADED_MARKER: fitsMarker } });
      assert.equal(hello.code, 0, hello.stdout + hello.stderr);
      assert.match(hello.stdout, /hello from the future/);
      assert.ok(fs.existsSync(fitsMarker), 'the command file was loaded and ran');
    } finally {
      other.cleanup();
    }
  });
});
