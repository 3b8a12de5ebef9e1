import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, test } from 'node:test';
import { cleanEnv } from '@sregistry/testkit';
import { BIN, cliInTempHome } from './helpers';

// What a new user meets first: `help <command>`, typos, a topic's unknown subcommand, --json on a failure before
// any command runs, and help pages whose columns line up.

const cli = cliInTempHome();
after(() => cli.cleanup());

test('help <command> and help <topic> print the same page as --help', async () => {
  for (const [viaHelp, viaFlag] of [
    [
      ['help', 'pull'],
      ['pull', '--help'],
    ],
    [
      ['help', 'backend'],
      ['backend', '--help'],
    ],
    [
      ['help', 'backend', 'add'],
      ['backend', 'add', '--help'],
    ],
  ]) {
    const [a, b] = await Promise.all([cli.run(viaHelp), cli.run(viaFlag)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout, viaHelp.join(' '));
  }
  const pull = await cli.run(['help', 'pull']);
  assert.match(pull.stdout, /^USAGE\n {2}\$ sregistry pull URI/m);
});

test('typos name the nearest command or flag in one line, exit 2', async () => {
  const cases: [string[], string][] = [
    [['imgaes'], 'ERROR imgaes is not a sregistry command; did you mean "sregistry images"? (see: sregistry help)\n'],
    [['pusj'], 'ERROR pusj is not a sregistry command; did you mean "sregistry push"? (see: sregistry help)\n'],
    [['xyzzyplugh'], 'ERROR xyzzyplugh is not a sregistry command; see: sregistry help\n'],
    [['pull', '--nmae', 'x.sif', 'a/b'], 'ERROR unknown flag --nmae; did you mean --name? (see --help)\n'],
    // the global flags are flags of every command: their typos get the same suggestion
    [['rmi', '--jsonn', 'a/b'], 'ERROR unknown flag --jsonn; did you mean --json? (see --help)\n'],
    [['images', '--jsn'], 'ERROR unknown flag --jsn; did you mean --json? (see --help)\n'],
    // arguments in the wrong order: the usage names the flag the command cannot go without
    [['add', 'x/y', 'z.sif'], 'ERROR unexpected argument z.sif; usage: sregistry add FILE --name <value> (see --help)\n'],
    [
      ['backend', 'lss'],
      'ERROR backend has no command "lss"; did you mean "sregistry backend ls"? backend commands: activate, add, deactivate, delete, ls, remove, status (see: sregistry help backend)\n',
    ],
  ];
  for (const [args, stderr] of cases) {
    const r = await cli.run(args);
    assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 2, stdout: '', stderr }, args.join(' '));
  }
});

test('words after a command that takes none are unexpected arguments, not an unknown command, exit 2', async () => {
  const cases: [string[], string][] = [
    [['backend', 'status', 'extra'], 'ERROR unexpected argument extra; usage: sregistry backend status (see --help)\n'],
    [['version', 'extra'], 'ERROR unexpected argument extra; usage: sregistry version (see --help)\n'],
    [['backend', 'deactivate', 'a', 'b'], 'ERROR unexpected arguments a b; usage: sregistry backend deactivate (see --help)\n'],
    // a command with arguments says the same through its parser
    [['get', 'a', 'b'], 'ERROR unexpected argument b; usage: sregistry get URI (see --help)\n'],
  ];
  for (const [args, stderr] of cases) {
    const r = await cli.run(args);
    assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 2, stdout: '', stderr }, args.join(' '));
  }
  const json = await cli.run(['backend', 'status', 'extra', '--json']);
  assert.deepEqual(
    { code: json.code, stderr: json.stderr, json: JSON.parse(json.stdout) },
    {
      code: 2,
      stderr: '',
      json: {
        error: { message: 'unexpected argument extra', fix: 'usage: sregistry backend status (see --help)', code: 'EUSAGE', exitCode: 2 },
      },
    },
  );
});

test('flags without a command are a missing command, not a typo of one; --json alone answers in JSON', async () => {
  const usage = 'usage: sregistry <command> [flags] (see: sregistry help)';
  const cases: [string[], string][] = [
    [['-q'], `ERROR no command given; ${usage}\n`],
    [['--debug', '--quiet'], `ERROR no command given; ${usage}\n`],
    [['-x'], `ERROR unknown flag -x before the command; ${usage}\n`],
    // a typo of a global flag before the command is answered as one after it (`images --jsn`)
    [['--jsn', 'images'], `ERROR unknown flag --jsn before the command; did you mean --json? ${usage}\n`],
    [['--quite', 'images'], `ERROR unknown flag --quite before the command; did you mean --quiet? ${usage}\n`],
  ];
  for (const [args, stderr] of cases) {
    const r = await cli.run(args);
    assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 2, stdout: '', stderr }, args.join(' '));
  }
  const json = await cli.run(['--json']);
  assert.deepEqual(
    { code: json.code, stderr: json.stderr, json: JSON.parse(json.stdout) },
    { code: 2, stderr: '', json: { error: { message: 'no command given', fix: usage, code: 'EUSAGE', exitCode: 2 } } },
  );
});

test('on a terminal a typo is the same one line with the nearest command: no prompt, nothing run', async () => {
  // `script` gives the CLI a pseudo-terminal; a prompt would wait for the "y" that is never sent
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} imgaes`;
  const out = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile('script', ['-qec', command, '/dev/null'], { env: cleanEnv(cli.env), cwd: cli.home, timeout: 60_000 }, (error, stdout) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
  assert.equal(out.code, 2, out.stdout);
  assert.equal(
    out.stdout.replace(/\r\n/g, '\n'),
    'ERROR imgaes is not a sregistry command; did you mean "sregistry images"? (see: sregistry help)\n',
  );
});

test('under --json every failure is the JSON error envelope, unknown commands included', async () => {
  for (const args of [
    ['--json', 'nosuch'],
    ['nosuch', '--json'],
    ['backend', 'lss', '--json'],
    ['pull', '--json', '--nmae', 'x'],
  ]) {
    const r = await cli.run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stderr, '', args.join(' '));
    const { error } = JSON.parse(r.stdout) as { error: { message: string; code: string; exitCode: number } };
    assert.equal(error.code, 'EUSAGE', args.join(' '));
    assert.equal(error.exitCode, 2);
  }
  const r = JSON.parse((await cli.run(['--json', 'imgaes'])).stdout);
  assert.deepEqual(r, {
    error: {
      message: 'imgaes is not a sregistry command',
      fix: 'did you mean "sregistry images"? (see: sregistry help)',
      code: 'EUSAGE',
      exitCode: 2,
    },
  });
});

test('help for a typo under --json, before or after help, is the JSON error envelope naming the nearest command', async () => {
  const envelope = {
    error: {
      message: 'imgaes is not a sregistry command',
      fix: 'did you mean "sregistry images"? (see: sregistry help)',
      code: 'EUSAGE',
      exitCode: 2,
    },
  };
  for (const args of [
    ['--json', 'help', 'imgaes'],
    ['help', 'imgaes', '--json'],
    ['help', '--json', 'imgaes'],
  ]) {
    const r = await cli.run(args);
    assert.deepEqual(
      { code: r.code, stderr: r.stderr, json: JSON.parse(r.stdout) },
      { code: 2, stderr: '', json: envelope },
      args.join(' '),
    );
  }
  const topic = await cli.run(['help', 'backend', 'lss', '--json']);
  assert.equal(topic.code, 2);
  assert.match(JSON.parse(topic.stdout).error.fix, /^did you mean "sregistry backend ls"\?/);
  // help for a real command under --json is its page as a document (the test below)
  const real = await cli.run(['help', 'pull', '--json']);
  assert.equal(real.code, 0, real.stderr);
  assert.equal(JSON.parse(real.stdout).command, 'pull');
});

/** The column where each flag row's `--long` name starts, per FLAGS / GLOBAL FLAGS block. */
function flagColumns(help: string): number[][] {
  const blocks: number[][] = [];
  let current: number[] | undefined;
  for (const line of help.split('\n')) {
    if (/^(GLOBAL )?FLAGS$/.test(line)) {
      current = [];
      blocks.push(current);
    } else if (/^\S/.test(line)) current = undefined;
    else if (current && /^ {2}(-\w, | {4})--/.test(line)) current.push(line.indexOf('--'));
    else if (current && /^\s*-/.test(line)) current.push(-line.indexOf('-'));
  }
  return blocks;
}

test('help layout: flag rows line up from the first, --json reads like the others, aliases are not commands', async () => {
  for (const columns of ['60', '80', '120']) {
    for (const command of [['pull'], ['backend', 'add'], ['images']]) {
      const r = await cli.run([...command, '--help'], { env: { COLUMNS: columns } });
      const blocks = flagColumns(r.stdout);
      assert.ok(blocks.length >= 1, r.stdout);
      for (const rows of blocks) {
        assert.ok(rows.length > 0, r.stdout);
        assert.deepEqual(
          rows,
          rows.map(() => 6),
          `${command.join(' ')} at ${columns} columns:\n${r.stdout}`,
        );
      }
      assert.match(r.stdout, /--json\s+format output as json\n/);
    }
  }
  const backend = await cli.run(['backend', '--help']);
  assert.match(backend.stdout, /backend remove /);
  assert.doesNotMatch(backend.stdout, /backend rm /);
});

test('backend remove and delete describe their arguments; missing arguments are named with the usage', async () => {
  for (const command of [
    ['backend', 'remove'],
    ['backend', 'delete'],
    ['backend', 'add'],
  ]) {
    const r = await cli.run([...command, '--help']);
    assert.match(r.stdout, /\nARGUMENTS\n {2}BACKEND {2,}backend/, command.join(' '));
  }
  const r = await cli.run(['backend', 'add', 'registry']);
  assert.deepEqual(
    { code: r.code, stderr: r.stderr },
    { code: 2, stderr: 'ERROR missing arguments VARIABLE, VALUE; usage: sregistry backend add BACKEND VARIABLE VALUE (see --help)\n' },
  );
});

test('help for a command that does not exist answers as running it does: the nearest command, exit 2', async () => {
  const typo = 'ERROR imgaes is not a sregistry command; did you mean "sregistry images"? (see: sregistry help)\n';
  const topic =
    'ERROR backend has no command "lss"; did you mean "sregistry backend ls"? backend commands: activate, add, deactivate, delete, ls, remove, status (see: sregistry help backend)\n';
  const cases: [string[], string][] = [
    [['help', 'imgaes'], typo],
    [['imgaes', '--help'], typo],
    [['backend', 'lss', '--help'], topic],
    [['help', 'backend', 'lss'], topic],
  ];
  for (const [args, stderr] of cases) {
    const r = await cli.run(args);
    assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 2, stdout: '', stderr }, args.join(' '));
  }
});

test('plugins ls, as the README shows it, lists the plugins like plugins', async () => {
  const [ls, bare] = await Promise.all([cli.run(['plugins', 'ls']), cli.run(['plugins'])]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(ls, bare);
  const json = await cli.run(['plugins', 'ls', '--json']);
  assert.ok(Array.isArray(JSON.parse(json.stdout)), json.stdout);
});

test('an unknown command is named alone, without the arguments after it', async () => {
  const r = await cli.run(['imgaes', 'vanessa/tacos', 'more']);
  assert.equal(r.stderr, 'ERROR imgaes is not a sregistry command; did you mean "sregistry images"? (see: sregistry help)\n');
  const topic = await cli.run(['backend', 'lss', 'registry']);
  assert.match(topic.stderr, /^ERROR backend has no command "lss"; did you mean "sregistry backend ls"\?/);
});

test('help under --json is a document: a command with its arguments and flags, a topic, every command', async () => {
  const [viaHelp, viaFlag] = await Promise.all([cli.run(['help', 'pull', '--json']), cli.run(['pull', '--help', '--json'])]);
  assert.equal(viaHelp.code, 0, viaHelp.stderr);
  assert.equal(viaHelp.stdout, viaFlag.stdout);
  const pull = JSON.parse(viaHelp.stdout);
  assert.equal(pull.command, 'pull');
  assert.match(pull.summary, /^Pull an image/);
  assert.equal(pull.usage, 'sregistry pull URI [flags]');
  assert.deepEqual(
    pull.args.map((a: { name: string; required: boolean }) => [a.name, a.required]),
    [['uri', true]],
  );
  const force = pull.flags.find((f: { name: string }) => f.name === 'force');
  assert.deepEqual({ char: force.char, type: force.type }, { char: 'f', type: 'boolean' });
  assert.ok(
    pull.flags.some((f: { name: string; type: string }) => f.name === 'name' && f.type === 'option'),
    'an option flag',
  );

  const add = JSON.parse((await cli.run(['help', 'backend', 'add', '--json'])).stdout);
  assert.equal(add.command, 'backend add');
  assert.ok(
    add.examples.every((e: string) => !e.includes('<%')),
    'examples are rendered',
  );

  const topicText = (await cli.run(['help', 'backend', '--json'])).stdout;
  const topic = JSON.parse(topicText);
  assert.equal(topic.topic, 'backend');
  assert.equal((await cli.run(['backend', '--json'])).stdout, topicText, 'the topic alone under --json is the same document');
  assert.ok(topic.commands.some((c: { command: string }) => c.command === 'backend ls'));

  const root = await cli.run(['help', '--json']);
  assert.equal(root.code, 0, root.stderr);
  for (const page of [root.stdout, (await cli.run(['plugins', 'install', '--help', '--json'])).stdout]) {
    assert.ok(!page.includes('<%'), 'templates are filled as on the text page');
  }
  const all = JSON.parse(root.stdout);
  assert.ok(all.commands.some((c: { command: string }) => c.command === 'images'));
  assert.ok(!all.commands.some((c: { command: string }) => c.command === 'help:nope'));
});
