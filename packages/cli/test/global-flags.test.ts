import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import { asksForVersion, globalFlagsLast, helpWithJsonAsFlag } from '../src/global-flags';
import { cliInTempHome } from './helpers';

// The original client takes its global options before the sub-command (`sregistry --quiet pull X`); so do we,
// with the same result as after it.

const cli = cliInTempHome();
after(() => cli.cleanup());
before(async () => {
  const sif = path.join(cli.home, 'tacos.sif');
  await sampleSif(sif);
  const r = await cli.run(['add', sif, '--name', 'vanessa/tacos:latest']);
  assert.equal(r.code, 0, r.stderr);
});

test('leading global flags move behind the command, before a --', () => {
  assert.deepEqual(globalFlagsLast(['--quiet', 'pull', 'x/y']), ['pull', 'x/y', '--quiet']);
  assert.deepEqual(globalFlagsLast(['--debug', '-q', 'backend', 'add', 'registry', 'base', 'b']), [
    'backend',
    'add',
    'registry',
    'base',
    'b',
    '--debug',
    '-q',
  ]);
  assert.deepEqual(globalFlagsLast(['--json', 'images', '--', '-x']), ['images', '--json', '--', '-x']);
  assert.deepEqual(globalFlagsLast(['images', '--json']), ['images', '--json']);
  assert.deepEqual(globalFlagsLast(['--name', 'pull']), ['--name', 'pull'], 'only the global flags move');
  assert.equal(asksForVersion(['--version', 'pull']), true);
  assert.equal(asksForVersion(['pull', '--version']), true);
  assert.equal(asksForVersion(['labels', '-v', 'x']), false, '-v is labels --value after a command');
  assert.equal(asksForVersion(['shell', '--', '--version']), false);
});

test('global flags before the command do what they do after it, through oclif and on the fast path', async () => {
  const pairs: [string[], string[]][] = [
    [
      ['--quiet', 'images'],
      ['images', '--quiet'],
    ],
    [
      ['-q', 'get', 'vanessa/tacos'],
      ['get', 'vanessa/tacos', '-q'],
    ],
    [
      ['--json', 'images'],
      ['images', '--json'],
    ],
    [
      ['--json', 'inspect', 'vanessa/tacos'],
      ['inspect', 'vanessa/tacos', '--json'],
    ],
    [
      ['--debug', 'images'],
      ['images', '--debug'],
    ],
    [
      ['--json', 'backend', 'status'],
      ['backend', 'status', '--json'],
    ],
    [
      ['--quiet', 'backend', 'status'],
      ['backend', 'status', '--quiet'],
    ],
    [['-h'], ['--help']],
    [
      ['-h', 'pull'],
      ['pull', '--help'],
    ],
    [
      ['--help', 'backend', 'add'],
      ['backend', 'add', '--help'],
    ],
    [
      ['--json', 'rmi', 'vsoch/nothere'],
      ['rmi', 'vsoch/nothere', '--json'],
    ],
  ];
  for (const [before, after] of pairs) {
    const [a, b] = await Promise.all([cli.run(before), cli.run(after)]);
    assert.deepEqual(a, b, before.join(' '));
    assert.doesNotMatch(a.stderr, /not found|not a sregistry command/, before.join(' '));
  }
  const help = await cli.run(['-h']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Singularity Registry Global Client v/);
});

test('--version before or after a command prints the bare version', async () => {
  const { version } = require('../package.json') as { version: string };
  for (const args of [['--version'], ['-v'], ['--version', 'pull'], ['images', '--version']]) {
    const r = await cli.run(args);
    assert.deepEqual(r, { code: 0, stdout: `${version}\n`, stderr: '' }, args.join(' '));
  }
});

test('help <command> --json is asked as <command> --help --json; other help calls are left alone', () => {
  assert.deepEqual(helpWithJsonAsFlag(['help', 'imgaes', '--json']), ['imgaes', '--help', '--json']);
  assert.deepEqual(helpWithJsonAsFlag(['help', 'backend', 'lss', '--json', '-q']), ['backend', 'lss', '--help', '--json', '-q']);
  assert.deepEqual(helpWithJsonAsFlag(['help', '--json']), ['--help', '--json']);
  assert.deepEqual(helpWithJsonAsFlag(['help', 'pull']), ['help', 'pull']);
  assert.deepEqual(helpWithJsonAsFlag(['help', '-n', '--json']), ['help', '-n', '--json']);
  assert.deepEqual(helpWithJsonAsFlag(['pull', 'help', '--json']), ['pull', 'help', '--json']);
});

test('an unknown MESSAGELEVEL is warned about once, on the fast path and through oclif; QUIET still prints errors', async () => {
  const warning =
    /^WARNING MESSAGELEVEL=bogus is not a message level, INFO is used; set one of ABORT, .*QUIET, INFO.*DEBUG, or a number from -5 to 5$/;
  for (const args of [['images'], ['images', '--json'], ['rm', 'no/such:image'], ['version']]) {
    const r = await cli.run(args, { env: { MESSAGELEVEL: 'bogus' } });
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('WARNING MESSAGELEVEL'));
    assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0] ?? '', warning);
  }
  for (const level of ['QUIET', 'debug', '2', '']) {
    const r = await cli.run(['images'], { env: { MESSAGELEVEL: level } });
    assert.doesNotMatch(r.stderr, /MESSAGELEVEL/, level);
  }
  const quiet = await cli.run(['rm', 'no/such:image'], { env: { MESSAGELEVEL: 'QUIET' } });
  assert.equal(quiet.code, 1);
  assert.equal(quiet.stdout, '', 'no announce line, no result');
  assert.match(quiet.stderr, /^ERROR image no\/such:image not found/);
  // the quietest levels still say why a command failed
  for (const level of ['CRITICAL', 'ABORT', '-5']) {
    const r = await cli.run(['rm', 'no/such:image'], { env: { MESSAGELEVEL: level } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ERROR image no\/such:image not found/m, level);
  }
  // numbers outside -5..5, or not written plainly, are no levels
  for (const level of ['-6', '7', '100', '0x1']) {
    const r = await cli.run(['images'], { env: { MESSAGELEVEL: level } });
    assert.match(r.stderr, new RegExp(`^WARNING MESSAGELEVEL=${level} is not a message level`, 'm'), level);
  }
});
