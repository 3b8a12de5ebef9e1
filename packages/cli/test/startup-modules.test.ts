import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../../testkit/src/cli-runner';
import { cliInTempHome } from './helpers';

// What a command loads is most of what it costs (docs/performance.md, "Startup"). These tests hold each command to
// loading only its parts, through the module recorder the fast-path test uses, and the oclif bundle to printing
// what oclif itself prints.

const cli = cliInTempHome();
const OCLIF_ONLY = path.join(__dirname, 'fixtures', 'oclif-only.js');
const RECORDER = path.join(__dirname, 'fixtures', 'record-modules.cjs');
after(() => cli.cleanup());

/** Runs bin/run.js and returns the modules it loaded (require's cache at exit). */
async function loaded(args: string[], env: Record<string, string> = {}) {
  const out = path.join(cli.home, `modules-${process.hrtime.bigint()}.json`);
  const result = await cli.run(args, { env: { NODE_OPTIONS: `--require ${RECORDER}`, RECORD_MODULES_TO: out, ...env } });
  const modules = JSON.parse(fs.readFileSync(out, 'utf8')) as string[];
  fs.rmSync(out);
  return { result, modules };
}

const OCLIF_LIB = `${path.sep}@oclif${path.sep}core${path.sep}lib${path.sep}`;

test('oclif commands load @oclif/core as the one bundled file', async () => {
  for (const args of [['backend', 'status'], ['--help'], ['help', 'pull'], ['rmi', 'nothere/at-all']]) {
    const { modules } = await loaded(args);
    assert.ok(
      modules.some((m) => m.endsWith(path.join('dist', 'oclif-bundle.js'))),
      `${args.join(' ')}: the bundle was loaded`,
    );
    const files = modules.filter((m) => m.includes(OCLIF_LIB));
    // its entry is in require's cache (the bundle stands in for it); no other file of oclif's is
    assert.deepEqual(
      files.map((m) => path.basename(m)),
      ['index.js'],
      `${args.join(' ')} loaded oclif's own files: ${files.join(', ')}`,
    );
  }
});

test('the bundled oclif prints what @oclif/core itself prints: help, typos, usage errors, plugins', async () => {
  for (const args of [['--help'], ['help', 'pull'], ['backend', '--help'], ['backend', 'status'], ['pul'], ['get'], ['plugins']]) {
    const [bundled, plain] = await Promise.all([cli.run(args), runCli(OCLIF_ONLY, args, { env: cli.env, cwd: cli.home })]);
    assert.deepEqual(bundled, plain, args.join(' '));
  }
});
