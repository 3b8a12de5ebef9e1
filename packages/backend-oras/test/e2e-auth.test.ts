// The other two registry set-ups through the CLI: TLS with the suite's CA (trusted through NODE_EXTRA_CA_CERTS),
// and token auth with the testkit token server (anonymous tokens for a public repository, a missing login, a
// wrong password, an expired token), on a registry that has deletes turned off.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DistributionHandle, distributionAvailable, sampleSif, startDistribution, writeSif } from '@sregistry/testkit';
import { assertOneLineError, fileSha256, type OrasHome, orasHome, PASSWORD, USER, USERS, writeLogin } from './helpers';

const available = distributionAvailable();
const skip = available.ok ? false : available.reason;

describe('oras over TLS with a private CA', { skip }, () => {
  let registry: DistributionHandle;
  let e: OrasHome;
  before(async () => {
    registry = await startDistribution({ auth: 'htpasswd', tls: true, users: USERS });
    e = await orasHome(registry);
  });
  after(async () => {
    e?.cleanup();
    await registry?.close();
  });

  test('push and pull over https, verified against NODE_EXTRA_CA_CERTS', async () => {
    const image = path.join(e.home, 'tls.sif');
    await sampleSif(image);
    const ref = `oras://${registry.host}/secure/tls:v1`;
    const pushed = await e.run(['push', image, '--name', ref]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await e.run(['pull', '--no-cache', '--name', 'tls.sif', ref]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(fileSha256(path.join(e.work, 'tls.sif')), fileSha256(image));
  });

  test('a file of 16 MiB or more goes up over https in one streamed PATCH and comes back byte for byte', async () => {
    const large = path.join(e.home, 'tls-large.sif');
    await writeSif(large, { partition: { data: Buffer.alloc(17 * 1024 * 1024, 5), arch: 'amd64' } });
    const ref = `oras://${registry.host}/secure/large:v1`;
    const pushed = await e.run(['push', large, '--name', ref, '--debug']);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.equal((pushed.stderr.match(/PATCH https:.*streamed/g) ?? []).length, 1, 'one streamed PATCH over https');
    const pulled = await e.run(['pull', '--no-cache', '--name', 'tls-large.sif', ref]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(fileSha256(path.join(e.work, 'tls-large.sif')), fileSha256(large));
  });

  test('without the CA: one line that names NODE_EXTRA_CA_CERTS and SREGISTRY_ORAS_NOHTTPS', async () => {
    const r = await e.run(['pull', `oras://${registry.host}/secure/tls:v1`], { env: { NODE_EXTRA_CA_CERTS: undefined } });
    assertOneLineError(r, /NODE_EXTRA_CA_CERTS.*SREGISTRY_ORAS_NOHTTPS/);
  });

  test('SREGISTRY_ORAS_NOHTTPS=true against the TLS port: one line saying the port speaks https', async () => {
    const env = { SREGISTRY_ORAS_NOHTTPS: 'true' };
    const speaksHttps = new RegExp(
      `^ERROR ${registry.host} speaks https on this port, and SREGISTRY_ORAS_NOHTTPS=true sent it plain http; unset SREGISTRY_ORAS_NOHTTPS`,
    );
    const pull = await e.run(['pull', `oras://${registry.host}/secure/tls:v1`], { env });
    assertOneLineError(pull, speaksHttps);
    assert.doesNotMatch(pull.stderr, /answered 400/);
    const image = path.join(e.home, 'plain.sif');
    await sampleSif(image);
    // the push's first request is a HEAD, whose answer (with the 400's body) does not parse as HTTP at all
    assertOneLineError(
      await e.run(['push', image, '--name', `oras://${registry.host}/secure/plain:v1`], { env }),
      /; check the host and port \(.*\); if that port speaks https, unset SREGISTRY_ORAS_NOHTTPS$/,
    );
    const other = await orasHome(registry, { login: false });
    try {
      const login = await other.run(['oras', 'login', registry.host, '--username', USER, '--password-stdin'], { env, input: PASSWORD });
      assertOneLineError(login, speaksHttps);
      assert.ok(!fs.existsSync(other.dockerConfig), 'no login saved');
    } finally {
      other.cleanup();
    }
  });
});

describe('oras with token auth (and deletes disabled)', { skip }, () => {
  let registry: DistributionHandle;
  let e: OrasHome;
  let image: string;
  before(async () => {
    registry = await startDistribution({ auth: 'token', users: USERS, publicRepositories: ['public/hello'], deleteEnabled: false });
    e = await orasHome(registry);
    image = path.join(e.home, 'token.sif');
    await sampleSif(image);
  });
  after(async () => {
    e?.cleanup();
    await registry?.close();
  });
  const ref = (repo: string) => `oras://${registry.host}/${repo}`;

  test('push and pull with a login; one token per scope for the whole command', async () => {
    const mark = registry.tokenServer!.requests.length;
    const pushed = await e.run(['push', image, '--name', ref('alice/token:v1')]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const asked = registry.tokenServer!.requests.slice(mark);
    assert.ok(asked.length >= 1 && asked.length <= 2, `tokens asked for: ${JSON.stringify(asked)}`);
    assert.ok(asked.every((q) => q.user === USER));
    assert.ok(asked[0].scope.includes('repository:alice/token:pull,push'), JSON.stringify(asked));
    const pulled = await e.run(['pull', ref('alice/token:v1')]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /\[container\]\[new\] alice\/token:v1@/);
  });

  test('a file of 16 MiB or more with a token: the upload session asks for it; pushed again, the upload is dropped', async () => {
    const large = path.join(e.home, 'token-large.sif');
    await writeSif(large, { partition: { data: Buffer.alloc(17 * 1024 * 1024, 6), arch: 'amd64' } });
    const mark = registry.tokenServer!.requests.length;
    const pushed = await e.run(['push', large, '--name', ref('alice/large:v1'), '--json']);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.equal(JSON.parse(pushed.stdout).details.blobUploaded, true);
    const asked = registry.tokenServer!.requests.slice(mark);
    assert.ok(asked.length >= 1 && asked.length <= 2, `tokens asked for: ${JSON.stringify(asked)}`);
    assert.ok(asked[0].scope.includes('repository:alice/large:pull,push'), JSON.stringify(asked));
    // this registry has deletes turned off: the dropped session's DELETE may be refused, the push still succeeds
    const again = await e.run(['push', large, '--name', ref('alice/large:v2'), '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).details.blobUploaded, false);
    const pulled = await e.run(['pull', '--no-cache', '--name', 'token-large.sif', ref('alice/large:v2')]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(fileSha256(path.join(e.work, 'token-large.sif')), fileSha256(large));
  });

  test('a public repository pulls with an anonymous token; a private one says a login is missing', async () => {
    assert.equal((await e.run(['push', image, '--name', ref('public/hello:latest')])).code, 0);
    const anonymous = await orasHome(registry, { login: false });
    try {
      const mark = registry.tokenServer!.requests.length;
      const r = await anonymous.run(['pull', '--no-cache', '--name', 'pub.sif', ref('public/hello:latest')]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        registry.tokenServer!.requests.slice(mark).every((q) => q.user === undefined),
        'anonymous token',
      );
      assertOneLineError(
        await anonymous.run(['pull', ref('alice/token:v1')]),
        new RegExp(`${registry.host} needs a login for alice/token, and there is none; sregistry oras login`),
      );
    } finally {
      anonymous.cleanup();
    }
  });

  test('a wrong password: the token service refuses it, one line, never printed', async () => {
    const wrong = await orasHome(registry, { login: false });
    try {
      writeLogin(wrong.dockerConfig, registry.host, USER, 'wrong-pass-123');
      const r = await wrong.run(['pull', ref('alice/token:v1'), '--debug']);
      assert.equal(r.code, 1);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('ERROR'));
      assert.equal(errors.length, 1, r.stderr);
      assert.match(errors[0], /refused the password of alice/);
      assert.ok(!(r.stdout + r.stderr).includes('wrong-pass-123'));
      assert.ok(!(r.stdout + r.stderr).includes(PASSWORD));
    } finally {
      wrong.cleanup();
    }
  });

  test('login is checked with the token service before it is saved', async () => {
    const fresh = await orasHome(registry, { login: false });
    try {
      const mark = registry.tokenServer!.requests.length;
      const wrong = await fresh.run(['oras', 'login', registry.host, '-u', USER, '--password-stdin'], { input: 'wrong-pass-123' });
      assertOneLineError(wrong, /refused the password of alice/);
      assert.ok(!fs.existsSync(fresh.dockerConfig), 'nothing saved');
      const right = await fresh.run(['oras', 'login', registry.host, '-u', USER, '--password-stdin'], { input: PASSWORD });
      assert.equal(right.code, 0, right.stderr);
      // docker login's check: a token for the user, for no scope
      const asked = registry.tokenServer!.requests.slice(mark);
      assert.deepEqual(asked, [{ scope: [], user: USER }]);
      assert.match(right.stdout, /Login Succeeded/);
      assert.equal((await fresh.run(['pull', '--no-cache', '--name', 'x.sif', ref('alice/token:v1')])).code, 0);
    } finally {
      fresh.cleanup();
    }
  });

  test('an expired token: one line naming the registry, the clock and the fix', async () => {
    registry.tokenServer!.setLifetime(-120);
    try {
      const r = await e.run(['pull', ref('alice/token:v1')]);
      assertOneLineError(
        r,
        new RegExp(`${registry.host} refused its token service's token as expired or invalid; check this machine's clock`),
      );
    } finally {
      registry.tokenServer!.setLifetime(300);
    }
  });

  test('search needs the catalogue scope; tags list; delete on a registry without deletes is one line', async () => {
    const tags = await e.run(['search', ref('alice/token')]);
    assert.equal(tags.code, 0, tags.stderr);
    assert.match(tags.stdout, /alice\/token:v1/);
    const r = await e.run(['delete', '--force', ref('alice/token:v1')]);
    assertOneLineError(r, new RegExp(`${registry.host} does not allow deletes`));
    assert.ok(fs.existsSync(registry.storage));
    assert.equal((await e.run(['pull', '--no-cache', '--name', 'still.sif', ref('alice/token:v1')])).code, 0, 'still there');
  });
});
