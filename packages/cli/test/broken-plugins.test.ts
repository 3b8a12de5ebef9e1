// Plugins that are broken in the ways users meet: a command file or backend module that throws, a createBackend
// that throws, a module that is missing, backend names that cannot be names, a linked folder that is gone, and
// `plugins install`/`plugins link` given a path they cannot use. Each is one line naming the plugin (or the
// path) and a fix that works for it, and the other commands keep working.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliInTempHome } from './helpers';

const REGISTRY_PLUGIN = path.resolve(__dirname, '..', '..', 'backend-registry');

/** A plugin folder with a package.json and the given files. */
function plugin(dir: string, pjson: Record<string, unknown>, files: Record<string, string> = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ version: '1.0.0', oclif: {}, ...pjson }));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** A copy of the registry plugin (built) whose push command throws when it is loaded. */
function brokenRegistryCopy(dir: string, { manifest }: { manifest: boolean }): string {
  fs.cpSync(REGISTRY_PLUGIN, dir, {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}node_modules`) && !src.includes(`${path.sep}src`) && !src.includes(`${path.sep}test`),
  });
  const push = path.join(dir, 'dist', 'commands', 'push.js');
  fs.writeFileSync(push, `throw new Error("boom: broken push command");\n${fs.readFileSync(push, 'utf8')}`);
  if (!manifest) fs.rmSync(path.join(dir, 'oclif.manifest.json'), { force: true });
  return dir;
}

const NODE_WARNING = /\(node:\d+\)|Require stack|Warning: Error|See more details/;

describe('broken plugins', { timeout: 300_000 }, () => {
  const cli = cliInTempHome();
  after(() => cli.cleanup());
  const at = (name: string) => path.join(cli.home, 'plugins', name);

  before(async () => {
    const plugins = [
      plugin(
        at('p-throwcreate'),
        { name: 'p-throwcreate', sregistry: { backends: { throwc: './b.js' } } },
        {
          'b.js': 'module.exports = { createBackend() { throw new TypeError("cannot read x of undefined"); } };',
        },
      ),
      plugin(
        at('p-garbage'),
        {
          name: 'p-garbage',
          sregistry: { backends: { gobj: './obj.js', gnull: './null.js', gnum: './num.js', gstr: './str.js' } },
        },
        {
          'obj.js': "module.exports = { createBackend: () => ({ resolve: 'x' }) };",
          'null.js': 'module.exports = { createBackend: () => null };',
          'num.js': 'module.exports = { createBackend: async () => 42 };',
          'str.js': "module.exports = { createBackend: () => 'hello' };",
        },
      ),
      plugin(at('p-nocreate'), { name: 'p-nocreate', sregistry: { backends: { nocreate: './b.js' } } }, { 'b.js': 'module.exports = {};' }),
      plugin(at('p-missing'), { name: 'p-missing', sregistry: { backends: { missingmod: './nope.js' } } }),
      plugin(
        at('p-http'),
        { name: 'p-http', sregistry: { backends: { http: './b.js', 'Bad Name': './b.js', Bad_Name: './b.js', fine: './b.js' } } },
        {
          'b.js':
            'module.exports={createBackend:(ctx)=>({name:ctx.name,async resolve(){throw new ctx.host.UserError("captured by p-http",{fix:"-"})}})};',
        },
      ),
      plugin(at('p-arr'), { name: 'p-arr', sregistry: { backends: ['x'] } }),
      // linked in the order that would make the later-sorting one win if link order decided
      ...['b', 'a'].map((which) =>
        plugin(
          at(`p-twin-${which}`),
          { name: `p-twin-${which}`, sregistry: { backends: { twin: './b.js' } } },
          {
            'b.js': `module.exports={createBackend:(ctx)=>({name:ctx.name,async resolve(){throw new ctx.host.UserError("twin ${which} answers",{fix:"-"})}})};`,
          },
        ),
      ),
      brokenRegistryCopy(at('reg-broken'), { manifest: false }),
    ];
    for (const dir of plugins) {
      const r = await cli.run(['plugins', 'link', dir, '--no-install']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
  });

  test('a createBackend that throws is the plugin’s failure (EPLUGIN) naming it, with the unlink fix of a linked plugin', async () => {
    const r = await cli.run(['pull', 'throwc://a/b', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const { error } = JSON.parse(r.stdout) as { error: { message: string; fix: string; code: string } };
    assert.equal(error.code, 'EPLUGIN');
    assert.equal(error.message, 'The backend "throwc" from p-throwcreate failed to start (TypeError: cannot read x of undefined)');
    assert.equal(error.fix, `fix the folder ${at('p-throwcreate')} or run: sregistry plugins unlink p-throwcreate`);
  });

  test('a module without createBackend names the plugin, its folder and the unlink command', async () => {
    const r = await cli.run(['pull', 'nocreate://a/b']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `ERROR The backend "nocreate" from p-nocreate does not export createBackend(); fix the folder ${at('p-nocreate')} or run: sregistry plugins unlink p-nocreate\n`,
    );
    const ls = await cli.run(['backend', 'ls', '--json']);
    assert.equal((JSON.parse(ls.stdout) as { name: string; usable: boolean }[]).find((row) => row.name === 'nocreate')?.usable, false);
  });

  test('a createBackend that returns no backend is the plugin’s failure (EPLUGIN), and backend ls says it is unusable', async () => {
    const fix = `fix the folder ${at('p-garbage')} or run: sregistry plugins unlink p-garbage`;
    for (const [name, problem] of [
      ['gobj', 'returned an object whose resolve is a string, not a function'],
      ['gnull', 'returned null'],
      ['gnum', 'returned a number instead of an object'],
      ['gstr', 'returned a string instead of an object'],
    ]) {
      const r = await cli.run(['pull', `${name}://a/b`, '--json']);
      assert.equal(r.code, 1, r.stderr);
      const { error } = JSON.parse(r.stdout) as { error: { message: string; fix: string; code: string } };
      assert.deepEqual(error, {
        ...error,
        message: `The backend "${name}" from p-garbage gave no usable backend (createBackend ${problem})`,
        fix,
        code: 'EPLUGIN',
      });
    }
    const ls = await cli.run(['backend', 'ls', '--json']);
    const rows = JSON.parse(ls.stdout) as { name: string; usable: boolean }[];
    for (const name of ['gobj', 'gnull', 'gnum', 'gstr', 'throwc', 'missingmod']) {
      assert.equal(rows.find((row) => row.name === name)?.usable, false, name);
    }
    assert.equal(rows.find((row) => row.name === 'fine')?.usable, true);
  });

  test('two linked plugins declaring one backend: the first by package name is used, and both are named', async () => {
    const line =
      /^WARNING the plugins p-twin-a and p-twin-b \(link\) each declare the backend "twin"; p-twin-a is used \(the first by package name\), to keep one remove the other: sregistry plugins unlink p-twin-b$/m;
    const ls = await cli.run(['backend', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stderr, line);
    assert.match(ls.stdout, /^twin\s.*p-twin-a@1\.0\.0 \(link\)/m);
    const pull = await cli.run(['pull', 'twin://a/b']);
    assert.equal(pull.code, 1, pull.stderr);
    assert.match(pull.stderr, line);
    assert.match(pull.stderr, /^ERROR twin a answers/m);
  });

  test('a missing backend module is one line without Node’s require stack, in errors and in backend ls', async () => {
    const r = await cli.run(['pull', 'missingmod://a/b']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `ERROR The backend "missingmod" from p-missing could not be loaded (Cannot find module '${at('p-missing')}/nope.js'); fix the folder ${at('p-missing')} or run: sregistry plugins unlink p-missing\n`,
    );
    const ls = await cli.run(['backend', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.doesNotMatch(ls.stdout + ls.stderr, /Require stack|\\u000a/);
    assert.match(
      ls.stdout,
      /^missingmod\s+unusable: The backend "missingmod" from p-missing could not be loaded \(Cannot find module '[^']+'\) \(link\)$/m,
    );
  });

  test('backend names that cannot be names are refused for their plugin, one line each, and never take over http://', async () => {
    const ls = await cli.run(['backend', 'ls']);
    const names = ls.stdout.split('\n').map((l) => l.split(/\s+/)[0]);
    assert.ok(names.includes('fine'), 'a valid name of the same plugin is kept');
    for (const bad of ['http', 'bad', 'bad_name', 'Bad_Name', '0']) assert.ok(!names.includes(bad), `${bad} is not listed: ${ls.stdout}`);
    // in the plugins' load order, which is oclif's
    const warnings = ls.stderr
      .trim()
      .split('\n')
      .filter((line) => !line.includes('"twin"'))
      .sort();
    assert.deepEqual(warnings, [
      'WARNING the plugin p-arr (link) declares "sregistry.backends" as something other than an object of name → module, and that is ignored; its author must fix its package.json, or remove it: sregistry plugins unlink p-arr',
      'WARNING the plugin p-http (link) declares the backend "Bad Name", which is not a name (a letter, then lower-case letters, digits or -), and that is ignored; its author must fix its package.json, or remove it: sregistry plugins unlink p-http',
      'WARNING the plugin p-http (link) declares the backend "Bad_Name", which is not a name (a letter, then lower-case letters, digits or -), and that is ignored; its author must fix its package.json, or remove it: sregistry plugins unlink p-http',
      'WARNING the plugin p-http (link) declares the backend "http", which is a URL scheme the CLI handles itself, and that is ignored; its author must fix its package.json, or remove it: sregistry plugins unlink p-http',
    ]);
    const pull = await cli.run(['pull', 'http://127.0.0.1:1/a.sif']);
    assert.doesNotMatch(pull.stdout + pull.stderr, /captured by p-http|\[client\|http\]/);
    const pullBad = await cli.run(['pull', 'bad_name://a/b']);
    assert.equal(pullBad.code, 1);
    assert.doesNotMatch(pullBad.stdout + pullBad.stderr, /captured by p-http/);
    const activate = await cli.run(['backend', 'activate', 'bad name']);
    assert.equal(activate.code, 1);
    assert.match(activate.stderr, /^ERROR bad name is not installed/);
  });

  test('a command file that throws (no manifest): one line naming the plugin, no Node warning on other commands', async () => {
    fs.writeFileSync(path.join(cli.home, 'x.sif'), 'x');
    const push = await cli.run(['push', 'x.sif', '--name', 'registry://127.0.0.1:1/a/b:c']);
    assert.equal(push.code, 1);
    assert.equal(
      push.stderr,
      `ERROR The command "push" of @sregistry/backend-registry (linked from ${at('reg-broken')}) cannot be loaded (boom: broken push command); fix the folder ${at('reg-broken')} or run: sregistry plugins unlink @sregistry/backend-registry\n`,
    );
    const json = await cli.run(['push', 'x.sif', '--name', 'registry://127.0.0.1:1/a/b:c', '--json']);
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'EPLUGIN');
    for (const args of [['backend', 'ls'], ['--help'], ['images'], ['help', 'push']]) {
      const r = await cli.run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, NODE_WARNING, args.join(' '));
    }
  });

  test('a command file that throws (with a manifest) is the same line instead of a bare "Error: boom"', async () => {
    const other = cliInTempHome();
    try {
      const dir = brokenRegistryCopy(path.join(other.home, 'reg-manifest'), { manifest: true });
      assert.equal((await other.run(['plugins', 'link', dir, '--no-install'])).code, 0);
      fs.writeFileSync(path.join(other.home, 'x.sif'), 'x');
      const push = await other.run(['push', 'x.sif', '--name', 'registry://127.0.0.1:1/a/b:c']);
      assert.equal(push.code, 1);
      assert.match(
        push.stderr,
        /^ERROR The command "push" of @sregistry\/backend-registry \(linked from .*\) cannot be loaded \(boom: broken push command\); .*plugins unlink @sregistry\/backend-registry\n$/,
      );
      const search = await other.run(['backend', 'ls']);
      assert.equal(search.code, 0, search.stderr);
    } finally {
      other.cleanup();
    }
  });

  test('a linked folder that is gone is one line naming the plugin and the unlink command', async () => {
    const other = cliInTempHome();
    try {
      const dir = plugin(path.join(other.home, 'gone'), { name: 'p-gone', sregistry: { backends: { gone: './b.js' } } });
      assert.equal((await other.run(['plugins', 'link', dir, '--no-install'])).code, 0);
      fs.rmSync(dir, { recursive: true });
      const r = await other.run(['images']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, `WARNING the linked plugin p-gone (${dir}) no longer exists; run: sregistry plugins unlink p-gone\n`);
      // the command the warning names does not print it, and reports itself by the name it was given
      const unlink = await other.run(['plugins', 'unlink', 'p-gone', '--json']);
      assert.deepEqual(
        { code: unlink.code, json: JSON.parse(unlink.stdout) },
        { code: 0, json: { command: 'plugins unlink', done: true } },
      );
      assert.doesNotMatch(unlink.stderr, /WARNING/);
      assert.equal((await other.run(['images'])).stderr, '', 'the warning is gone with the link');
    } finally {
      other.cleanup();
    }
  });

  test('plugins link of a folder without a usable package.json, and plugins install of a path, are one line at once', async () => {
    const missing = path.join(cli.home, 'nowhere');
    const noPjson = path.join(cli.home, 'empty-folder');
    fs.mkdirSync(noPjson);
    const badJson = plugin(path.join(cli.home, 'bad-json'), { name: 'x' });
    fs.writeFileSync(path.join(badJson, 'package.json'), '{"name":\n "x",\n oops}');
    const noOclif = path.join(cli.home, 'not-oclif');
    fs.mkdirSync(noOclif);
    fs.writeFileSync(path.join(noOclif, 'package.json'), '{"name":"notsreg","version":"1.0.0"}');
    const cases: [string[], number, string][] = [
      [['plugins', 'link', missing, '--no-install'], 1, `ERROR ${missing} does not exist; give the folder of a backend plugin\n`],
      [
        ['plugins', 'link', noPjson],
        1,
        `ERROR ${noPjson}/package.json does not exist; a plugin folder holds a package.json with an "oclif" section (see docs/writing-a-backend.md)\n`,
      ],
      [
        ['plugins', 'link', badJson],
        1,
        `ERROR ${badJson}/package.json is not valid JSON (at line 3, column 2); fix it, then link the folder again\n`,
      ],
      [
        ['plugins', 'link', noOclif, '--no-install'],
        1,
        `ERROR ${noOclif} is not an sregistry plugin (${noOclif}/package.json has no "oclif" section); a plugin folder holds a package.json with an "oclif" section (see docs/writing-a-backend.md)\n`,
      ],
      [
        ['plugins', 'install', './plugins/p-http'],
        2,
        "ERROR ./plugins/p-http is a folder, and plugins install takes an npm package name; use a plugin's folder with: sregistry plugins link ./plugins/p-http\n",
      ],
      [
        ['plugins', 'install', missing],
        2,
        `ERROR ${missing} is a path, and plugins install takes an npm package name; use a plugin's folder with: sregistry plugins link ${missing}\n`,
      ],
    ];
    for (const [args, code, stderr] of cases) {
      const started = Date.now();
      const r = await cli.run(args);
      assert.deepEqual({ code: r.code, stderr: r.stderr }, { code, stderr }, args.join(' '));
      assert.ok(Date.now() - started < 10_000, `${args.join(' ')} answers at once`);
    }
    const json = await cli.run(['plugins', 'link', noOclif, '--no-install', '--json']);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout).error.code, 'EPLUGIN', 'the JSON envelope under --json');
  });
});
