// A third-party backend's `resolve` answer is checked before anything is written. A name part with a newline used
// to be stored as-is, and then `rmi` refused the name for good; a size that is a string gave an absurd size
// message; a missing name failed as sregistry's own TypeError. Each is now one EPLUGIN line naming the plugin and
// the field, and the catalogue and storage stay as they were. A plain-JavaScript answer with nulls for its absent
// fields, and a name without its derived strings, still pulls, and the image can be removed again. A plugin's
// refusal to start is listed by `backend ls` on its one line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fakeSquashfs } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

// an image format core recognises: without a digest, a download that is no image is refused
const IMAGE = fakeSquashfs();

// the answer for each image name; `url` is the test server's address
const BACKEND = `
const answers = {
  nl: (n, url) => ({ name: { ...n, tag: 'a\\nb' }, url, manifest: {} }),
  esc: (n, url) => ({ name: { ...n, collection: 'x\\u001b[31m' }, url, manifest: {} }),
  dots: (n, url) => ({ name: { ...n, image: '..' }, url, manifest: {} }),
  sizestr: (n, url) => ({ name: n, url, size: '35', manifest: {} }),
  nullname: (n, url) => ({ name: null, url, manifest: {} }),
  ftp: (n) => ({ name: n, url: 'ftp://127.0.0.1/x.sif', manifest: {} }),
  badsha: (n, url) => ({ name: n, url, sha256: 'sha256:abc', manifest: {} }),
  nothing: () => undefined,
  hang: () => new Promise(() => {}),
  chatty: (n, url) => {
    console.log('resolving', n.image);
    console.info({ step: 'resolve' });
    return answers.good(n, url);
  },
  good: (n, url) => ({ name: { collection: n.collection, image: n.image, tag: n.tag }, url, size: null, sha256: null, md5: null, manifest: null }),
};
module.exports = {
  createBackend: (ctx) => {
    if (ctx.settings.get('SREGISTRY_ODD_CHATTY')) console.log('odd backend loaded');
    if (ctx.name === 'oddstart') throw new ctx.host.UserError('needs a setting\\nERROR forged line', { fix: 'set it' });
    return {
      name: ctx.name,
      async resolve(name) {
        return answers[name.image](name, ctx.settings.require('SREGISTRY_ODD_URL'));
      },
      search: () => new Promise(() => {}),
    };
  },
};
`;

describe('a backend whose resolve answers what core cannot use', { timeout: 120_000 }, () => {
  const cli = cliInTempHome();
  const dir = path.join(cli.home, 'plugins', 'p-odd');
  const server = http.createServer((_req, res) => res.end(IMAGE));
  let env: Record<string, string>;
  after(async () => {
    server.close();
    cli.cleanup();
  });

  before(async () => {
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    env = { SREGISTRY_ODD_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/image.sif` };
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'p-odd', version: '1.0.0', oclif: {}, sregistry: { backends: { odd: './b.js', oddstart: './b.js' } } }),
    );
    fs.writeFileSync(path.join(dir, 'b.js'), BACKEND);
    const r = await cli.run(['plugins', 'link', dir, '--no-install']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  const storedFiles = () => {
    const storage = path.join(cli.home, '.singularity', 'shub');
    return fs.existsSync(storage) ? fs.readdirSync(storage, { recursive: true }).filter((f) => !String(f).startsWith('.tmp')) : [];
  };

  test('each unusable field is one EPLUGIN line naming the plugin and the field, and nothing is kept', async () => {
    const fix = `fix the folder ${dir} or run: sregistry plugins unlink p-odd`;
    for (const [image, problem] of [
      ['nl', 'a name that cannot be catalogued (the tag "a\\u000ab" contains a control character)'],
      ['esc', 'a name that cannot be catalogued (the collection "x\\u001b[31m" contains a control character)'],
      ['dots', 'a name that cannot be catalogued (the image ".." is not allowed)'],
      ['sizestr', 'a size that is not a whole number of bytes ("35")'],
      ['nullname', 'null as the name'],
      ['ftp', 'a url that is not an http(s) address ("ftp://127.0.0.1/x.sif")'],
      ['badsha', 'an sha256 that is not 64 hex digits'],
      ['nothing', 'nothing instead of an image'],
    ]) {
      const r = await cli.run(['pull', `odd://c/${image}`], { env });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(
        r.stderr,
        `ERROR The backend "odd" from p-odd gave an answer to pull that cannot be used (resolve returned ${problem}); ${fix}\n`,
      );
      const json = await cli.run(['pull', `odd://c/${image}`, '--json'], { env });
      assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'EPLUGIN');
    }
    const images = await cli.run(['images', '--json']);
    assert.deepEqual(JSON.parse(images.stdout), []);
    assert.deepEqual(storedFiles(), []);
  });

  test('nulls for absent fields and a name without url/uri/storage still pull, and rmi removes the image', async () => {
    const pulled = await cli.run(['pull', 'odd://c/good', '--json'], { env });
    assert.equal(pulled.code, 0, pulled.stderr);
    const result = JSON.parse(pulled.stdout) as { uri: string; path: string; size: number };
    assert.equal(result.uri, `c/good:latest@${result.uri.split('@')[1]}`);
    assert.deepEqual(fs.readFileSync(result.path), IMAGE);
    const rmi = await cli.run(['rmi', 'c/good:latest']);
    assert.equal(rmi.code, 0, rmi.stderr);
    assert.equal(fs.existsSync(result.path), false);
    assert.deepEqual(JSON.parse((await cli.run(['images', '--json'])).stdout), []);
  });

  test("backend ls shows a plugin's refusal to start on its own line, its newline escaped", async () => {
    const r = await cli.run(['backend', 'ls']);
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.startsWith('oddstart'));
    assert.match(line ?? '', /! needs a setting\\u000aERROR forged line$/);
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('ERROR')).length, 0);
    const json = JSON.parse((await cli.run(['backend', 'ls', '--json'])).stdout) as { name: string; problem?: string }[];
    assert.equal(json.find((row) => row.name === 'oddstart')?.problem, 'needs a setting\\u000aERROR forged line');
  });

  test('a promise of the backend that never settles is an unfinished command (exit 1), on the fast path and oclif alike', async () => {
    const line = (command: string, debug = false) =>
      `ERROR unexpected failure: ${command} stopped before finishing (it was left waiting for something that never came); ${debug ? 'please report it with the details below' : 're-run with --debug for details'}`;
    // --verify is oclif's to run; the others take the fast path
    for (const [args, command] of [
      [['pull', 'odd://c/hang'], 'pull'],
      [['pull', 'odd://c/hang', '--verify'], 'pull'],
      [['search', 'odd://c'], 'search'],
    ] as const) {
      const r = await cli.run([...args], { env });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').at(-1), line(command), args.join(' '));
      const json = await cli.run([...args, '--json'], { env });
      assert.equal(json.code, 1);
      assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'EINTERNAL');
      const debug = await cli.run([...args, '--debug'], { env });
      assert.equal(debug.code, 1);
      assert.ok(debug.stderr.includes(line(command, true)), debug.stderr);
      assert.ok(!debug.stderr.includes('re-run with --debug'), debug.stderr);
    }
  });

  test("a plugin's console.log goes to stderr under --json, so stdout stays one JSON document", async () => {
    const chatty = { ...env, SREGISTRY_ODD_CHATTY: '1' };
    // the fast path and oclif's (--verify is oclif's)
    for (const extra of [[], ['--verify']]) {
      const r = await cli.run(['pull', 'odd://c/chatty', '--no-cache', '--name', path.join(cli.home, 'chatty.sif'), '--json', ...extra], {
        env: chatty,
      });
      // --verify of an image that is no SIF fails: either way stdout is one document
      const document = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.ok(extra.length ? 'error' in document : document.path, r.stdout);
      assert.match(r.stderr, /odd backend loaded\nresolving chatty\n\{ step: 'resolve' \}\n/);
      fs.rmSync(path.join(cli.home, 'chatty.sif'), { force: true });
    }
    // without --json the plugin's lines stay where it wrote them
    const plain = await cli.run(['pull', 'odd://c/chatty', '--no-cache', '--name', path.join(cli.home, 'chatty.sif')], { env: chatty });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /resolving chatty/);
  });
});
