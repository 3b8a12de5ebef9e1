// Every command the README shows exists as shown: the commands table's first column and each `sregistry …` in
// its code, with the checkout's backend plugins linked as the README says. A command must answer `--help`
// (exit 0), and every long flag the README writes beside it must be one of that command's flags.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cleanEnv } from '../../testkit/src/cli-runner';
import { cliInTempHome } from './helpers';

const README = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'README.md'), 'utf8');
const PACKAGES = path.resolve(__dirname, '..', '..');
const PLUGINS = ['backend-registry', 'backend-oras', 'backend-library'];
const GLOBAL = new Set(['--quiet', '-q', '--json', '--debug']);
const cli = cliInTempHome();

before(async () => {
  for (const plugin of PLUGINS) {
    const r = await cli.run(['plugins', 'link', path.join(PACKAGES, plugin), '--no-install']);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(() => cli.cleanup());

/** `pull <uri> [--name F]` → the command's words (`pull`) and the long flags shown with it (`--name`). */
function parse(shown: string): { words: string[]; flags: string[] } {
  const tokens = shown
    .replace(/^sregistry(\s|$)/, '')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  while (tokens.length && GLOBAL.has(tokens[0] as string)) tokens.shift(); // `sregistry --quiet pull X`
  const words: string[] = [];
  for (const token of tokens) {
    if (!/^[a-z][a-z-]*$/.test(token)) break;
    words.push(token);
  }
  return { words, flags: [...shown.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]) };
}

/** What the README shows: the first column of the commands table, and `sregistry …` in code spans and blocks. */
function shownCommands(): string[] {
  const shown: string[] = [];
  const table = README.slice(README.indexOf('## Commands'), README.indexOf('## Packages'));
  for (const row of table.split('\n').filter((l) => l.startsWith('| `'))) {
    const cell = row.slice(1, row.indexOf(' | ', 2));
    for (const [, span] of cell.matchAll(/`([^`]+)`/g)) {
      // `plugins inspect\|install\|uninstall\|link` is four commands
      const alternatives = /^(\S+) ([a-z]+(?:\\\|[a-z]+)+)$/.exec(span as string);
      if (alternatives) for (const word of alternatives[2]!.split('\\|')) shown.push(`${alternatives[1]} ${word}`);
      else shown.push(span as string);
    }
  }
  for (const [, block] of README.matchAll(/```bash\n([\s\S]*?)```/g)) {
    for (const line of (block as string).split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command.startsWith('sregistry ')) shown.push(command);
    }
  }
  const prose = README.replace(/```[\s\S]*?```/g, '');
  for (const [, span] of prose.matchAll(/`([^`\n]+)`/g)) {
    for (const [, command] of (span as string).matchAll(/(?:^|[\s($])(sregistry(?: [^`)]*)?)/g)) shown.push(command as string);
  }
  return [...new Set(shown)];
}

test('the README shows commands (the parse finds the table and the code)', () => {
  const shown = shownCommands();
  for (const expected of ['pull <uri>', 'plugins ls', 'backend ls [name]', 'sregistry help <command>', 'sregistry search']) {
    assert.ok(
      shown.some((s) => s.startsWith(expected)),
      `${expected} among ${shown.join(' · ')}`,
    );
  }
});

test('every command the README shows answers --help, with the flags the README gives it', async () => {
  const problems: string[] = [];
  const checked = new Map<string, Promise<{ code: number; stdout: string; stderr: string }>>();
  for (const shown of shownCommands()) {
    const { words, flags } = parse(shown);
    const args = words.length === 0 && flags.includes('--version') ? ['--version'] : [...words, '--help'];
    const key = args.join(' ');
    if (!checked.has(key)) checked.set(key, cli.run(args));
    const r = await checked.get(key)!;
    if (r.code !== 0) {
      problems.push(`\`${shown}\`: sregistry ${key} exits ${r.code}: ${r.stderr.trim()}`);
      continue;
    }
    for (const flag of flags) {
      const negated = /^--no-(.+)$/.exec(flag);
      const known = r.stdout.includes(flag) || (negated && r.stdout.includes(`--[no-]${negated[1]}`));
      if (args[0] !== '--version' && !known) problems.push(`\`${shown}\`: sregistry ${words.join(' ')} has no ${flag}`);
    }
  }
  assert.deepEqual(problems, []);
});

/** The bash block of a README section, as a reader copies it. */
function bashBlock(heading: string): string {
  const section = README.slice(README.indexOf(heading));
  const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, `a bash block under ${heading}`);
  return block;
}

test('"Trying the CLI by hand" works pasted verbatim, in order, from the checkout', async () => {
  const root = path.resolve(PACKAGES, '..');
  // the block makes its own HOME with mktemp: inside a folder of this test's, removed after it
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-by-hand-'));
  try {
    // a pasted block runs in an interactive shell, where aliases work; `bash script` needs them turned on
    const script = path.join(tmp, 'by-hand.sh');
    fs.writeFileSync(script, `shopt -s expand_aliases\nset -e\n${bashBlock('### Trying the CLI by hand')}\nwait\necho done-by-hand\n`);
    const env = cleanEnv({
      TMPDIR: tmp,
      XDG_DATA_HOME: undefined,
      XDG_CACHE_HOME: undefined,
      XDG_CONFIG_HOME: undefined,
      XDG_STATE_HOME: undefined,
    });
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', [script], { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /me\/mine/, 'search lists the image served with --image');
    assert.match(r.stdout, /^Success! .*\/me\/mine\/v1@/m, 'pull stores it');
    assert.match(r.stdout, /^1 .*\tme\/mine:v1@/m, 'images lists it');
    assert.ok(r.stdout.trimEnd().endsWith('done-by-hand'), r.stdout);
    assert.doesNotMatch(r.stderr, /ERROR|not a file/, r.stderr);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
