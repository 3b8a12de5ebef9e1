// Through the CLI: Apptainer's remote.yaml is enough (no sregistry setting), a web front end is followed to its
// library through /assets/config/config.prod.json, delete where offered and one line where not, and Ctrl-C in a
// multipart push aborts the upload on the server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type LibraryServerHandle, sampleSif, startLibraryServer, writeSif } from '../../testkit/src/index';
import { assertOneLineError, BIN, fileSha256, type LibraryHome, libraryHome, TOKEN, USER } from './helpers';

const MIB = 1024 * 1024;

describe('library:// settings, delete and Ctrl-C', () => {
  let server: LibraryServerHandle;
  let small: string;
  const homes: LibraryHome[] = [];
  const home = async (token = true) => {
    const h = await libraryHome(server, { token });
    homes.push(h);
    return h;
  };

  before(async () => {
    server = await startLibraryServer({ tokens: [{ token: TOKEN, owner: USER }], entities: [{ name: USER }], partSize: MIB });
    const dir = await home();
    small = path.join(dir.home, 'small.sif');
    await sampleSif(small);
    await server.addImage({ ref: `${USER}/secret/hello:latest`, file: small, private: true });
    await server.addImage({ ref: `${USER}/public/gone:latest`, file: small });
  });
  after(async () => {
    for (const h of homes) h.cleanup();
    await server?.stop();
  });

  test('a base that is not a Library API (404 to /version, no front-end config) is one line saying so', async () => {
    const other = http.createServer((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Not Found');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const h = await home();
    try {
      const base = `http://127.0.0.1:${(other.address() as AddressInfo).port}/sub`;
      const r = await h.run(['pull', '--no-cache', '--name', 'x.sif', `library://${USER}/public/gone:latest`], {
        env: { SREGISTRY_LIBRARY_BASE: base },
      });
      assertOneLineError(r, /is not a Library API: GET \/version answered 404.*check the library address \(from SREGISTRY_LIBRARY_BASE\)/);
    } finally {
      other.closeAllConnections();
      await new Promise((resolve) => other.close(resolve));
    }
  });

  test('a count setting that is not a positive whole number is one line naming it and its value, not the default', async () => {
    const h = await home();
    for (const [name, value] of [
      ['SREGISTRY_LIBRARY_CONCURRENCY', 'abc'],
      ['SREGISTRY_LIBRARY_CONCURRENCY', '0'],
      ['SREGISTRY_LIBRARY_PART_SIZE', '-1'],
    ]) {
      const r = await h.run(['pull', '--no-cache', '--name', 'x.sif', `library://${USER}/public/gone:latest`], { env: { [name]: value } });
      assertOneLineError(r, new RegExp(`${name} is "${value}", not a positive whole number`));
      assert.ok(!fs.existsSync(path.join(h.work, 'x.sif')), 'nothing written');
    }
  });

  test('apptainer remote login is enough: the active remote of ~/.apptainer/remote.yaml, its URI and token', async () => {
    const h = await home(false);
    fs.mkdirSync(path.join(h.home, '.apptainer'));
    const uri = new URL(server.url).host;
    fs.writeFileSync(
      path.join(h.home, '.apptainer', 'remote.yaml'),
      `Active: local\nRemotes:\n  SylabsCloud:\n    URI: cloud.sylabs.io\n    System: true\n  local:\n    URI: ${uri}\n    Token: ${TOKEN}\n    Insecure: true\n`,
    );
    const r = await h.run(['pull', `library://${USER}/secret/hello:latest`], { env: { SREGISTRY_LIBRARY_BASE: undefined } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes(TOKEN));
  });

  test('a refused token is fixed where it came from: the environment, the secrets file, or remote.yaml', async () => {
    const wrong = 'wr0ng-t0ken-env-77';
    const h = await home();
    const env = { SREGISTRY_LIBRARY_TOKEN: wrong };
    // the environment wins over a saved token: library login cannot help, unsetting or replacing the variable does
    for (const args of [
      ['pull', '--no-cache', '--name', 'x.sif', `library://${USER}/secret/hello:latest`],
      ['push', small, '--name', `library://${USER}/fresh/refused:v1`],
      ['delete', '--force', `library://${USER}/public/gone:latest`],
      ['search', 'library://hello'],
    ]) {
      const r = await h.run(args, { env });
      // no token is saved here: the fix is a valid one in the variable, or none in it and a library login
      assertOneLineError(
        r,
        /refused the token .*SREGISTRY_LIBRARY_TOKEN \(the environment, which wins over a saved token\).*: set it to a valid one, or unset it and run sregistry library login$/,
      );
      assert.doesNotMatch(r.stderr, /use the saved token/, args[0]);
      assert.ok(!r.stderr.includes(wrong), 'the token is not printed');
    }
    assert.equal((await h.run(['pull', '--no-cache', '--name', 'g.sif', `library://${USER}/public/gone:latest`])).code, 0, 'not deleted');
    // the server's words in our parentheses, masked without losing the closing one
    const none = await (await home(false)).run(['delete', '--force', `library://${USER}/public/gone:latest`]);
    assertOneLineError(none, /\(Authentication required: send Authorization: \*\*\*\)/);

    // saved by library login (the server then revokes it): library login with a new one
    const saved = await home(false);
    const login = await saved.run(['library', 'login', '--base', server.url], { input: `${TOKEN}\n` });
    assert.equal(login.code, 0, login.stderr);
    const secrets = path.join(saved.home, '.sregistry');
    const file = JSON.parse(fs.readFileSync(secrets, 'utf8'));
    file.library.SREGISTRY_LIBRARY_TOKEN = wrong;
    fs.writeFileSync(secrets, JSON.stringify(file), { mode: 0o600 });
    const bySaved = await saved.run(['pull', '--no-cache', '--name', 'x.sif', `library://${USER}/secret/hello:latest`]);
    assertOneLineError(bySaved, /refused the token .*the token saved in the secrets file's library section .*run sregistry library login/);

    // Apptainer's remote.yaml: apptainer remote login for that remote
    const remote = await home(false);
    fs.mkdirSync(path.join(remote.home, '.apptainer'));
    fs.writeFileSync(
      path.join(remote.home, '.apptainer', 'remote.yaml'),
      `Active: local\nRemotes:\n  local:\n    URI: ${new URL(server.url).host}\n    Token: ${wrong}\n    Insecure: true\n`,
    );
    const byRemote = await remote.run(['pull', '--no-cache', '--name', 'x.sif', `library://${USER}/secret/hello:latest`], {
      env: { SREGISTRY_LIBRARY_BASE: undefined },
    });
    assertOneLineError(
      byRemote,
      /refused the token .*the token of Apptainer's remote local \(.*remote\.yaml\).*apptainer remote login local/,
    );
    assert.ok(!byRemote.stderr.includes(wrong));
  });

  test('advice that works: a private image at a host the URI names, a search with no match, a digest spelt with ":"', async () => {
    const h = await home();
    const hostPart = new URL(server.url).host;
    const uri = `library://${hostPart}/${USER}/secret/hello:latest`;
    // SREGISTRY_LIBRARY_TOKEN is set, but never goes to a host a URI names: the fix must not offer it alone
    const env = { SREGISTRY_LIBRARY_BASE: undefined, SREGISTRY_LIBRARY_NOHTTPS: '1' };
    const denied = await h.run(['pull', '--no-cache', '--name', 'x.sif', uri], { env });
    assertOneLineError(denied, /is not in the library \(or it is private\)/);
    const fix = `echo "$TOKEN" | sregistry library login --base ${server.url} (a token in SREGISTRY_LIBRARY_TOKEN goes to a host the URI names only with SREGISTRY_LIBRARY_BASE=${server.url})`;
    assert.ok(denied.stderr.trimEnd().endsWith(fix), denied.stderr);
    // both ways it offers work
    const withBase = await h.run(['pull', '--no-cache', '--name', 'base.sif', uri], {
      env: { ...env, SREGISTRY_LIBRARY_BASE: server.url },
    });
    assert.equal(withBase.code, 0, withBase.stderr);
    const login = await h.run(['library', 'login', '--base', server.url], {
      env: { ...env, SREGISTRY_LIBRARY_TOKEN: undefined },
      input: `${TOKEN}\n`,
    });
    assert.equal(login.code, 0, login.stderr);
    const afterLogin = await h.run(['pull', '--no-cache', '--name', 'login.sif', uri], { env });
    assert.equal(afterLogin.code, 0, afterLogin.stderr);

    // no match: the advice is a search the library takes (3 characters at least), not "nothing to list everything"
    const none = await h.run(['search', 'library://zzzz']);
    assertOneLineError(none, /matches "zzzz"; check the spelling, or search for a shorter part of the name \(3 characters at least\)$/);
    assert.doesNotMatch(none.stderr, /nothing to list everything/);

    // an OCI-style digest: the library spelling, whole, and it pulls
    const hex = fileSha256(small);
    const colon = await h.run(['pull', '--no-cache', '--name', 'pin.sif', `library://${USER}/public/gone@sha256:${hex}`]);
    assertOneLineError(colon, new RegExp(`sha256\\.<hex>, with a dot; use library://${USER}/public/gone@sha256\\.${hex}$`));
    const dot = await h.run(['pull', '--no-cache', '--name', 'pin.sif', `library://${USER}/public/gone@sha256.${hex}`]);
    assert.equal(dot.code, 0, dot.stderr);
  });

  test('a web front end is followed to its library through config.prod.json', async () => {
    const front = http.createServer((req, res) => {
      if (req.url === '/assets/config/config.prod.json') {
        // the Registry Server serves it as text/html
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(JSON.stringify({ libraryAPI: { uri: server.url }, keystoreAPI: { uri: server.url } }));
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end('<html>not here</html>');
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    try {
      const h = await home();
      const base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
      const r = await h.run(['pull', '--no-cache', '--name', 'x.sif', `library://${USER}/secret/hello:latest`], {
        env: { SREGISTRY_LIBRARY_BASE: base },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fileSha256(path.join(h.work, 'x.sif')), fileSha256(small));
      // a token saved by `library login` for the library itself is sent there when the front end leads to it
      const saved = await home(false);
      const login = await saved.run(['library', 'login', '--base', server.url], { input: `${TOKEN}\n` });
      assert.equal(login.code, 0, login.stderr);
      const viaFront = await saved.run(['pull', '--no-cache', '--name', 'y.sif', `library://${USER}/secret/hello:latest`], {
        env: { SREGISTRY_LIBRARY_BASE: base },
      });
      assert.equal(viaFront.code, 0, viaFront.stderr);
      assert.equal(fileSha256(path.join(saved.work, 'y.sif')), fileSha256(small));
    } finally {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    }
  });

  test('delete where the server offers it; one line where it does not', async () => {
    const h = await home();
    const r = await h.run(['delete', '--force', `library://${USER}/public/gone:latest`]);
    assert.equal(r.code, 0, r.stderr);
    assertOneLineError(await h.run(['pull', `library://${USER}/public/gone:latest`]), /not in the library/);
    server.configure({ delete: false });
    try {
      assertOneLineError(await h.run(['delete', '--force', `library://${USER}/secret/hello:latest`]), /does not offer deleting/);
    } finally {
      server.configure({ delete: true });
    }
  });

  test('delete of a tag there for another architecture only: one line naming it; delete --arch deletes that one', async () => {
    const h = await home();
    await server.addImage({ ref: `${USER}/public/armgone:v1`, file: small, arch: 'arm64' });
    for (const args of [['--force'], []]) {
      // asked first or not, the answer names the architecture there and a flag that works
      assertOneLineError(
        await h.run(['delete', ...args, `library://${USER}/public/armgone:v1`], { env: { SREGISTRY_LIBRARY_ARCH: 'amd64' } }),
        /has no image for amd64, only for arm64; add --arch arm64 if that is the one you mean$/,
      );
    }
    const r = await h.run(['delete', '--force', '--arch', 'arm64', `library://${USER}/public/armgone:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assertOneLineError(await h.run(['pull', '--arch', 'arm64', `library://${USER}/public/armgone:v1`]), /not in the library/);
  });

  test('Ctrl-C during a multipart push aborts the upload on the server and exits 130', async () => {
    const h = await home();
    const big = path.join(h.home, 'big.sif');
    await writeSif(big, { partition: { data: randomBytes(4 * MIB), arch: 'amd64' } });
    server.setFaults({ delayMs: { object: 1000 } });
    try {
      const child = spawn(process.execPath, [BIN, 'push', big, '--name', `library://${USER}/tools/cancelled:v1`], {
        cwd: h.work,
        env: Object.fromEntries(
          Object.entries({ ...h.env, SREGISTRY_LIBRARY_MULTIPART_THRESHOLD: String(MIB) }).filter(([, v]) => v !== undefined),
        ) as Record<string, string>,
      });
      let stderr = '';
      child.stderr.on('data', (c) => {
        stderr += String(c);
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const started = Date.now();
      while (!server.requests.some((q) => q.host === 'object' && q.method === 'PUT') && Date.now() - started < 30_000) {
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGINT');
      const code = await exited;
      assert.equal(code, 130, stderr);
      assert.match(stderr, /cancelled/);
      assert.ok(
        server.requests.some((q) => q.path.endsWith('/_multipart_abort')),
        '_multipart_abort was sent',
      );
      assert.ok(!server.requests.some((q) => q.path.endsWith('/_multipart_complete')), 'the upload was not completed');
    } finally {
      server.setFaults({});
    }
  });
});
