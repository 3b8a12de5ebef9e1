import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { cleanEnv, sampleSif } from '@sregistry/testkit';
import { BIN, cliInTempHome } from './helpers';

const cli = cliInTempHome();
after(() => cli.cleanup());
const HELLO_SHA = 'cd4abdb93d8aaaca98bf3cda338348a8c1a6902bcdee5ea71f1b09cb6081028e';

function storage(...parts: string[]) {
  return path.join(cli.home, '.singularity', 'shub', ...parts);
}

test('no arguments prints the banner and the usage', async () => {
  const r = await cli.run([]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Singularity Registry Global Client v\d+\.\d+\.\d+ \[hub\]/);
  assert.match(r.stdout, /USAGE/);
  assert.match(r.stdout, /pull/);
});

test('--version prints the bare version', async () => {
  const r = await cli.run(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test('--version --json prints the document version --json prints', async () => {
  const flag = await cli.run(['--version', '--json']);
  assert.equal(flag.code, 0, flag.stderr);
  const command = await cli.run(['version', '--json']);
  assert.deepEqual(JSON.parse(flag.stdout), JSON.parse(command.stdout));
  assert.match((JSON.parse(flag.stdout) as { version: string }).version, /^\d+\.\d+\.\d+/);
});

test('add --copy catalogues a file under its sha256 and keeps the original', async () => {
  const file = path.join(cli.home, 'hello.txt');
  fs.writeFileSync(file, 'hello image\n');
  const r = await cli.run(['add', file, '--name', 'vsoch/hello-world:v1', '--copy']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `[container][new] vsoch/hello-world:v1@${HELLO_SHA}`);
  assert.ok(fs.existsSync(file), 'the original stays with --copy');
  const stored = storage('vsoch', 'hello-world', `v1@${HELLO_SHA}.sif`);
  assert.equal(fs.readFileSync(stored, 'utf8'), 'hello image\n');
  const again = await cli.run(['add', file, '--name', 'vsoch/hello-world:v1', '--copy']);
  assert.equal(again.stdout.trim(), `[container][update] vsoch/hello-world:v1@${HELLO_SHA}`);
});

test('images, get and inspect show the record', async () => {
  const images = await cli.run(['images']);
  assert.equal(images.code, 0, images.stderr);
  const lines = images.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'Containers:   [date]   [client]\t[uri]');
  assert.match(lines[1], new RegExp(`^1  [A-Z][a-z]+ \\d{2}, \\d{4}\\t   \\[hub\\]\\tvsoch/hello-world:v1@${HELLO_SHA}$`));

  const get = await cli.run(['get', 'vsoch/hello-world:v1']);
  assert.equal(get.code, 0);
  assert.equal(get.stdout, `${storage('vsoch', 'hello-world', `v1@${HELLO_SHA}.sif`)}\n`);

  const inspect = await cli.run(['inspect', 'vsoch/hello-world:v1', '--json']);
  assert.equal(inspect.code, 0, inspect.stderr);
  const json = JSON.parse(inspect.stdout);
  assert.equal(json.uri, `vsoch/hello-world:v1@${HELLO_SHA}`);
  assert.equal(json.version, HELLO_SHA);
  assert.equal(json.collection, 'vsoch');
  assert.equal(json.metrics.type, 'container');
  assert.match(json.created_at, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
});

test('a SIF is inspected without any runtime: labels, definition file, partition', async () => {
  const sif = path.join(cli.home, 'tacos.sif');
  await sampleSif(sif);
  const add = await cli.run(['add', sif, '--name', 'vanessa/tacos:latest']);
  assert.equal(add.code, 0, add.stderr);
  assert.ok(!fs.existsSync(sif), 'add without --copy moves the file');
  const r = await cli.run(['inspect', 'vanessa/tacos']);
  assert.equal(r.code, 0, r.stderr);
  const [pathLine, ...rest] = r.stdout.split('\n');
  assert.ok(pathLine.startsWith(storage('vanessa', 'tacos')));
  const json = JSON.parse(rest.join('\n'));
  assert.ok(json.sif, 'the SIF section is there');
  assert.match(JSON.stringify(json.sif), /org\.label-schema/);
});

test('rename moves the file to the new storage path; mv moves it anywhere', async () => {
  const r = await cli.run(['rename', 'vsoch/hello-world:v1', 'library/tacos:v2']);
  assert.equal(r.code, 0, r.stderr);
  const renamed = storage('library', 'tacos', `v2@${HELLO_SHA}.sif`);
  assert.ok(fs.existsSync(renamed));
  assert.ok(!fs.existsSync(storage('vsoch', 'hello-world', `v1@${HELLO_SHA}.sif`)));
  const dest = path.join(cli.home, 'elsewhere');
  fs.mkdirSync(dest);
  const mv = await cli.run(['mv', 'library/tacos:v2', dest]);
  assert.equal(mv.code, 0, mv.stderr);
  const moved = path.join(dest, `v2@${HELLO_SHA}.sif`);
  assert.ok(fs.existsSync(moved));
  assert.equal((await cli.run(['get', 'library/tacos:v2'])).stdout.trim(), moved);
});

test('rm keeps the file and says where; rmi removes both', async () => {
  const got = (await cli.run(['get', 'library/tacos:v2'])).stdout.trim();
  const rm = await cli.run(['rm', 'library/tacos:v2']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.ok(rm.stdout.includes(got));
  assert.ok(fs.existsSync(got));
  const missing = await cli.run(['get', 'library/tacos:v2']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr.trim(), /^ERROR image library\/tacos:v2 not found in database; .*sregistry images/);
  assert.equal(missing.stderr.trim().split('\n').length, 1);

  const file = (await cli.run(['get', 'vanessa/tacos'])).stdout.trim();
  const rmi = await cli.run(['rmi', 'vanessa/tacos']);
  assert.equal(rmi.code, 0, rmi.stderr);
  assert.ok(!fs.existsSync(file));
});

test('add keeps a file that rm left at the storage path: refused unless the same bytes, replaced with --force', async () => {
  const kept = path.join(cli.home, 'kept.sif');
  fs.writeFileSync(kept, 'first bytes\n');
  assert.equal((await cli.run(['add', kept, '--copy', '--name', 'lab/kept:v1@1.0'])).code, 0);
  const rm = await cli.run(['rm', 'lab/kept:v1@1.0']);
  assert.equal(rm.code, 0, rm.stderr);
  const stored = storage('lab', 'kept', 'v1@1.0.sif');
  assert.equal(fs.readFileSync(stored, 'utf8'), 'first bytes\n', 'rm keeps the file');

  const other = path.join(cli.home, 'other.sif');
  fs.writeFileSync(other, 'other bytes\n'); // the same size: only the bytes tell them apart
  const refused = await cli.run(['add', other, '--copy', '--name', 'lab/kept:v1@1.0']);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(
    refused.stderr.trim().split('\n').at(-1) ?? '',
    /^ERROR add: .*v1@1\.0\.sif exists; remove it first, or use --force to overwrite$/,
  );
  assert.equal(fs.readFileSync(stored, 'utf8'), 'first bytes\n');
  assert.equal((await cli.run(['get', 'lab/kept:v1@1.0'])).code, 1, 'no row was written');

  const same = await cli.run(['add', kept, '--copy', '--name', 'lab/kept:v1@1.0']);
  assert.equal(same.code, 0, same.stderr);
  // catalogued again: other bytes under the same name and version are refused too
  const again = await cli.run(['add', other, '--copy', '--name', 'lab/kept:v1@1.0']);
  assert.equal(again.code, 1, again.stderr);
  assert.match(
    again.stderr.trim().split('\n').at(-1) ?? '',
    /^ERROR lab\/kept:v1@1\.0 is catalogued already, with other bytes .*; use --force/,
  );
  assert.equal(fs.readFileSync(stored, 'utf8'), 'first bytes\n');
  assert.equal((await cli.run(['rm', 'lab/kept:v1@1.0'])).code, 0);
  const forced = await cli.run(['add', other, '--copy', '--force', '--name', 'lab/kept:v1@1.0']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(fs.readFileSync(stored, 'utf8'), 'other bytes\n');
  await cli.run(['rmi', 'lab/kept:v1@1.0']);
});

test('rename keeps a file already at the new storage path: one rm kept, or another image moved there', async () => {
  const a = path.join(cli.home, 'ren-a.sif');
  const b = path.join(cli.home, 'ren-b.sif');
  fs.writeFileSync(a, 'AAAA\n');
  fs.writeFileSync(b, 'BBBB\n');
  assert.equal((await cli.run(['add', a, '--copy', '--name', 'ren/n:1@v'])).code, 0);
  assert.equal((await cli.run(['add', b, '--copy', '--name', 'ren/m:1@v'])).code, 0);
  assert.equal((await cli.run(['rm', 'ren/m:1@v'])).code, 0);
  const kept = storage('ren', 'm', '1@v.sif');
  const refused = await cli.run(['rename', 'ren/n:1@v', 'ren/m:1']);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr.trim(), /^ERROR rename: .*ren\/m\/1@v\.sif exists; remove it first, or use --force to overwrite$/);
  assert.equal(fs.readFileSync(kept, 'utf8'), 'BBBB\n', 'the kept file is untouched');
  assert.equal((await cli.run(['get', 'ren/n:1@v'])).stdout.trim(), storage('ren', 'n', '1@v.sif'), 'the image did not move');

  // another catalogued image's file, moved to that path: refused even with --force
  fs.rmSync(kept);
  const p = path.join(cli.home, 'ren-p.sif');
  fs.writeFileSync(p, 'PPPP\n');
  assert.equal((await cli.run(['add', p, '--copy', '--name', 'ren/p:1@v'])).code, 0);
  assert.equal((await cli.run(['mv', 'ren/p:1@v', kept])).code, 0);
  const other = await cli.run(['rename', 'ren/n:1@v', 'ren/m:1', '--force']);
  assert.equal(other.code, 1, other.stderr);
  assert.match(other.stderr, /is the file of ren\/p:1@v/);
  assert.equal(fs.readFileSync(kept, 'utf8'), 'PPPP\n');

  // a file nobody owns is replaced with --force, and one that holds the very same bytes without it
  assert.equal((await cli.run(['rmi', 'ren/p:1@v'])).code, 0);
  fs.copyFileSync(storage('ren', 'n', '1@v.sif'), kept);
  const same = await cli.run(['rename', 'ren/n:1@v', 'ren/m:1']);
  assert.equal(same.code, 0, same.stderr);
  assert.equal((await cli.run(['rename', 'ren/m:1@v', 'ren/n:1'])).code, 0);
  fs.writeFileSync(kept, 'by hand\n');
  const forced = await cli.run(['rename', 'ren/n:1@v', 'ren/m:1', '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(fs.readFileSync(kept, 'utf8'), 'AAAA\n');
  await cli.run(['rmi', 'ren/m:1@v']);
});

test('mv and rename of an image whose file is gone: a warning and exit 0, as the original (no ERROR line)', async () => {
  const file = path.join(cli.home, 'gone.sif');
  fs.writeFileSync(file, 'gone\n');
  assert.equal((await cli.run(['add', file, '--copy', '--name', 'gone/one:t@v1'])).code, 0);
  fs.rmSync(storage('gone', 'one', 't@v1.sif'));
  for (const args of [
    ['rename', 'gone/one:t@v1', 'gone/two:t'],
    ['mv', 'gone/one:t@v1', cli.home],
  ]) {
    const r = await cli.run(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^WARNING gone\/one:t@v1 not found; /m, args.join(' '));
    assert.doesNotMatch(r.stderr, /ERROR/, args.join(' '));
    // "not found" once: the fix says what is missing and what to do
    assert.equal(r.stderr.match(/not found/gi)?.length, 1, r.stderr);
  }
  const renamed = await cli.run(['rename', 'gone/one:t@v1', 'gone/two:t']);
  assert.equal(renamed.stderr, 'WARNING gone/one:t@v1 not found; its file is missing; pull it again, then rename it\n');
  // rm of it does not claim to keep a file that is not there
  const rm = await cli.run(['rm', 'gone/one:t@v1']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.doesNotMatch(rm.stdout, /the file is kept/);
  assert.match(rm.stderr, /^WARNING image file .* did not exist on the file system$/m);
});

test('mv and rename of a name not in the catalogue: ENOTFOUND, exit 1 (the original warned and exited 0)', async () => {
  // nothing was moved: a script must not go on as if it had been (docs/differences-from-the-original.md)
  for (const args of [
    ['mv', 'nothere/x', `${cli.home}/`],
    ['rename', 'nothere/x', 'a/b'],
  ]) {
    const r = await cli.run(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.stderr, 'ERROR image nothere/x not found in database; list what is there with: sregistry images\n');
    const json = JSON.parse((await cli.run([...args, '--json'])).stdout);
    assert.deepEqual([json.error.code, json.error.exitCode], ['ENOTFOUND', 1]);
  }
});

test('shell --json: the REPL talks on stderr; stdout is the one document, once it ends', async () => {
  const r = await cli.run(['shell', '--json'], { input: 'client.client_name\n' });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.backend, 'hub');
  assert.match(doc.database, /^sqlite:\/\/\//);
  assert.match(r.stderr, /^client: speak\(\)/m);
  assert.match(r.stderr, /'hub'/, 'the REPL answered on stderr');
});

test('shell hub:// names the backend as a URI does: the same as shell hub', async () => {
  const r = await cli.run(['shell', 'hub://', '--json'], { input: 'client.client_name\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).backend, 'hub');
});

test('shell --json with stdin from /dev/null (a batch job): the document still comes, exit 0', async () => {
  const devNull = fs.openSync('/dev/null', 'r');
  try {
    const child = spawn(process.execPath, [BIN, 'shell', '--json'], {
      env: cleanEnv(cli.env),
      cwd: cli.home,
      stdio: [devNull, 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.resume();
    const [code] = (await once(child, 'close')) as [number];
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).backend, 'hub');
  } finally {
    fs.closeSync(devNull);
  }
});

test('backend remove of a setting that is not set: the error line alone, no [remove] before it', async () => {
  const r = await cli.run(['backend', 'remove', 'registry', 'nosuchvar']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^ERROR SREGISTRY_REGISTRY_NOSUCHVAR is not set for registry/);
});

test('rm and rmi of a name with several versions ask for the version instead of taking the first', async () => {
  for (const v of ['1', '2']) {
    const file = path.join(cli.home, `two-${v}.sif`);
    fs.writeFileSync(file, `version ${v}\n`);
    assert.equal((await cli.run(['add', file, '--copy', '--name', `two/vers:t@v${v}`])).code, 0);
  }
  // get and inspect give the newest (the last catalogued), where the original gave the oldest
  const got = await cli.run(['get', 'two/vers:t']);
  assert.equal(got.stdout.trim(), storage('two', 'vers', 't@v2.sif'), got.stderr);
  const inspected = await cli.run(['inspect', '--json', 'two/vers:t']);
  assert.equal(JSON.parse(inspected.stdout).version, 'v2', inspected.stdout);
  assert.equal((await cli.run(['get', 'two/vers:t@v1'])).stdout.trim(), storage('two', 'vers', 't@v1.sif'));
  for (const command of ['rmi', 'rm']) {
    const r = await cli.run([command, 'two/vers:t']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim(), `ERROR two/vers:t has 2 versions (v1, v2); name the one to remove: sregistry ${command} two/vers:t@v1`);
  }
  assert.ok(fs.existsSync(storage('two', 'vers', 't@v1.sif')) && fs.existsSync(storage('two', 'vers', 't@v2.sif')));
  assert.equal((await cli.run(['rmi', 'two/vers:t@v1'])).code, 0);
  const last = await cli.run(['rmi', 'two/vers:t']);
  assert.equal(last.code, 0, 'one version left: the name alone is enough');
  assert.ok(!fs.existsSync(storage('two', 'vers', 't@v2.sif')));
});

test('usage errors exit 2, user errors exit 1 with one line and no stack', async () => {
  const noName = await cli.run(['add', 'x.sif']);
  assert.equal(noName.code, 2);
  assert.equal(noName.stderr.trim(), 'ERROR missing flag --name; usage: sregistry add FILE --name <value> (see --help)');
  const missing = await cli.run(['add', 'nope.sif', '--name', 'a/b']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim(), 'ERROR Cannot find nope.sif; check the path of the image file');
  const bad = await cli.run(['get', '../../etc/passwd']);
  assert.equal(bad.code, 1);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
  const json = await cli.run(['get', 'a/b', '--json']);
  assert.equal(json.code, 1);
  assert.equal(JSON.parse(json.stdout).error.code, 'ENOTFOUND');
});

test('backend add/activate/status/ls edit the secrets file (0600) and never print a token', async () => {
  const add = await cli.run(['backend', 'add', 'registry', 'token', 'supersecret123']);
  assert.equal(add.code, 0, add.stderr);
  assert.doesNotMatch(add.stdout + add.stderr, /supersecret123/);
  assert.equal((await cli.run(['backend', 'add', 'registry', 'token', 'x'])).code, 1, 'already set without --force');
  assert.equal((await cli.run(['backend', 'add', 'registry', 'base', 'http://127.0.0.1:1'])).code, 0);
  // the registry plugin is not installed here: activating it takes --force
  assert.equal((await cli.run(['backend', 'activate', 'registry', '--force'])).code, 0);
  const secrets = path.join(cli.home, '.sregistry');
  assert.equal(fs.statSync(secrets).mode & 0o777, 0o600);
  const data = JSON.parse(fs.readFileSync(secrets, 'utf8'));
  assert.equal(data.registry.SREGISTRY_REGISTRY_TOKEN, 'supersecret123');
  assert.equal(data.SREGISTRY_CLIENT, 'registry');
  const status = await cli.run(['backend', 'status']);
  assert.equal(status.stdout, '[backend status]\nThere are 1 clients found in secrets.\nactive: registry\n');
  const ls = await cli.run(['backend', 'ls', 'registry']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.doesNotMatch(ls.stdout, /supersecret123/);
  assert.match(ls.stdout, /SREGISTRY_REGISTRY_BASE/);
  const banner = await cli.run([]);
  assert.match(banner.stdout, /\[registry\]/);
  assert.equal((await cli.run(['backend', 'deactivate'])).code, 0);
  assert.equal((await cli.run(['backend', 'remove', 'registry', 'base'])).code, 0);
  assert.equal(JSON.parse(fs.readFileSync(secrets, 'utf8')).registry.SREGISTRY_REGISTRY_BASE, undefined);
});

test('a malformed secrets file: local commands keep working, others say which file is broken', async () => {
  const secrets = path.join(cli.home, 'broken.json');
  fs.writeFileSync(secrets, '{"registry": ');
  const env = { SREGISTRY_CLIENT_SECRETS: secrets };
  assert.equal((await cli.run(['images'], { env })).code, 0);
  const status = await cli.run(['backend', 'status'], { env });
  assert.equal(status.code, 1);
  assert.ok(status.stderr.includes(secrets));
  assert.equal(status.stderr.trim().split('\n').length, 1);
  assert.equal(fs.readFileSync(secrets, 'utf8'), '{"registry": ', 'the broken file is left as it was');
});

test('a secrets file with a token pasted without quotes: the error names the line and column, never the token', async () => {
  const secrets = path.join(cli.home, 'unquoted.json');
  const token = 'ghp_R3alS3cretT0kenValue';
  fs.writeFileSync(secrets, `{"registry": {\n  "username": "bob",\n  "token": ${token}}}`);
  const env = { SREGISTRY_CLIENT_SECRETS: secrets };
  for (const args of [
    ['backend', 'status'],
    ['search', '--json'],
    ['search', '--debug'],
    ['backend', 'ls', 'registry', '--json'],
  ]) {
    const r = await cli.run(args, { env });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout + r.stderr, /is unusable: it is not valid JSON \(at line 3, column 12\)/, args.join(' '));
    for (const part of [token.slice(0, 4), token.slice(4, 10), token.slice(-8)])
      assert.ok(!(r.stdout + r.stderr).includes(part), `${args.join(' ')} prints none of the file (${part})`);
  }
});

test('SREGISTRY_DATABASE and SREGISTRY_STORAGE move the catalogue', async () => {
  const db = path.join(cli.home, 'db-here');
  const store = path.join(cli.home, 'store-here');
  const file = path.join(cli.home, 'x.txt');
  fs.writeFileSync(file, 'x');
  const env = { SREGISTRY_DATABASE: db, SREGISTRY_STORAGE: store };
  const r = await cli.run(['add', file, '--name', 'c/n', '--copy'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(db, 'sregistry.db')));
  assert.ok(fs.readdirSync(path.join(store, 'c', 'n')).some((f) => f.startsWith('latest@')));
  const disabled = await cli.run(['images'], { env: { ...env, SREGISTRY_DISABLE: 'yes' } });
  assert.equal(disabled.code, 1);
  assert.match(disabled.stderr, /SREGISTRY_DISABLE/);
});

test('a command from a plugin that is not installed is an install hint naming the plugins that offer it', async () => {
  // the CLI runs from this checkout, so the hint links the checkout's plugin folders (packages/backend-<name>)
  const packages = path.resolve(__dirname, '..', '..');
  const link = (name: string) => `sregistry plugins link ${path.join(packages, `backend-${name}`)} --no-install`;
  const push = await cli.run(['push', 'x.sif', '--name', 'a/b']);
  assert.equal(push.code, 1);
  assert.equal(
    push.stderr.trim(),
    `ERROR "push" comes with the backend plugins that can push, and none is installed; run: ${link('library')} (for library://), ${link('oras')} (for oras://) or ${link('registry')} (for registry://)`,
  );
  const oras = await cli.run(['oras', 'login', 'registry.example.org']);
  assert.deepEqual(
    { code: oras.code, stderr: oras.stderr },
    {
      code: 1,
      stderr: `ERROR "oras" commands come with @sregistry/backend-oras, which is not installed; run: ${link('oras')}\n`,
    },
  );
  const orasJson = JSON.parse((await cli.run(['oras', 'login', 'registry.example.org', '--json'])).stdout);
  assert.deepEqual([orasJson.error.code, orasJson.error.exitCode], ['ENOBACKEND', 1], 'a missing plugin is no usage error');
  const remove = await cli.run(['delete', 'a/b']);
  assert.equal(remove.code, 1);
  assert.ok(
    remove.stderr.startsWith(
      `ERROR "delete" comes with the backend plugins that can delete, and none is installed; run: ${link('library')} (for library://), ${link('oras')} (for oras://) or ${link('registry')}`,
    ),
    remove.stderr,
  );
  // a scheme whose backend is not installed names the plugin to install, for each first-party backend
  for (const scheme of ['library', 'oras', 'registry']) {
    const pull = await cli.run(['pull', `${scheme}://team/tools:v1`]);
    assert.equal(pull.code, 1);
    assert.equal(pull.stderr, `ERROR The backend "${scheme}" is not installed; run: ${link(scheme)}\n`);
  }
  const typo = await cli.run(['pul', 'x']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^ERROR pul is not a sregistry command; did you mean "sregistry pull"\?/);
});

test('--json codes: add of a folder is EISDIR, an empty --name or new name EUSAGE (exit 2)', async () => {
  const folder = path.join(cli.home, 'a-folder');
  fs.mkdirSync(folder, { recursive: true });
  const dir = await cli.run(['add', folder, '--name', 'a/b', '--json']);
  assert.equal(dir.code, 1, dir.stderr);
  assert.equal(JSON.parse(dir.stdout).error.code, 'EISDIR');
  const file = path.join(cli.home, 'named.sif');
  await sampleSif(file);
  const empty = await cli.run(['add', file, '--name', '', '--json']);
  assert.equal(empty.code, 2, empty.stderr);
  assert.deepEqual(JSON.parse(empty.stdout).error, {
    message: '--name is empty',
    fix: 'give the image a name: --name collection/name[:tag][@version]',
    code: 'EUSAGE',
    exitCode: 2,
  });
  assert.ok(fs.existsSync(file), 'nothing was moved');
  assert.equal((await cli.run(['add', file, '--name', 'empty/new-name:v1'])).code, 0);
  const rename = await cli.run(['rename', 'empty/new-name:v1', '', '--json']);
  assert.equal(rename.code, 2, rename.stderr);
  assert.equal(JSON.parse(rename.stdout).error.code, 'EUSAGE');
});

test('mv, rename, rm and rmi announce the client and database as the original did; not with --quiet or --json', async () => {
  const file = path.join(cli.home, 'announced.sif');
  await sampleSif(file);
  assert.equal((await cli.run(['add', file, '--name', 'say/it:v1'])).code, 0);
  const db = `[client|hub] [database|sqlite:///${path.join(cli.home, '.singularity', 'sregistry.db')}]`;
  const mv = await cli.run(['mv', 'say/it:v1', path.join(cli.home, 'moved.sif')]);
  assert.equal(mv.code, 0, mv.stderr);
  assert.equal(mv.stdout.split('\n')[0], db);
  assert.match(mv.stdout.split('\n')[1] ?? '', /^\[move\] /);
  const quiet = await cli.run(['rename', 'say/it:v1', 'say/renamed:v1', '--quiet']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.match(quiet.stdout, /^\[rename\] /);
  const json = await cli.run(['mv', 'say/renamed:v1', path.join(cli.home, 'again.sif'), '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).name, 'renamed', 'one JSON document, no announce line');
  const other = await cli.run(['rm', 'say/renamed:v1'], { env: { SREGISTRY_CLIENT: 'registry' } });
  assert.equal(other.code, 0, other.stderr);
  assert.equal(other.stdout.split('\n')[0], db.replace('hub', 'registry'));
  assert.match(other.stdout, /^\[rm\] /m);
});

test('inspect of a path that is no image file says what it is, in one line: a folder, a FIFO, a missing file', async () => {
  const folder = path.join(cli.home, 'a-folder');
  fs.mkdirSync(folder, { recursive: true });
  const fifo = path.join(cli.home, 'a-fifo.sif');
  spawnSync('mkfifo', [fifo]);
  for (const [arg, expected] of [
    ['./a-folder', /^ERROR \.\/a-folder is a folder; give an image file or a catalogued image name$/],
    ['./a-fifo.sif', /^ERROR \.\/a-fifo\.sif is a FIFO, not a regular file; /],
    ['./missing.sif', /^ERROR \.\/missing\.sif does not exist; /],
    [path.join(cli.home, 'nope', 'x.sif'), /^ERROR \/.*\/nope\/x\.sif does not exist; /],
  ] as const) {
    const r = await cli.run(['inspect', arg]);
    assert.equal(r.code, 1, `${arg}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), expected, arg);
  }
  fs.rmSync(fifo, { force: true });
});

test('shell --quiet: no announce line, as for every command; the banner stays', async () => {
  const r = await cli.run(['shell', '--quiet'], { input: '' });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /\[client\|/);
  assert.match(r.stdout, /^client: speak\(\)/m);
});
