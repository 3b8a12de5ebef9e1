// How names reach the archive through the CLI: @md5 digests, case (kept for the lookup, lower-cased in storage)
// and a host written in the URI. Split from e2e-pull.test.ts to keep each file short.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type HubServer, sampleSif, startHubServer } from '@sregistry/testkit';
import { cliInTempHome } from '../../cli/test/helpers';

const md5 = (file: string) => createHash('md5').update(fs.readFileSync(file)).digest('hex');

describe('hub names through the CLI', () => {
  let hub: HubServer;
  let cli: ReturnType<typeof cliInTempHome>;
  let seeds: string;
  // versions (md5) of the three builds
  let v1: string;
  let latest: string;
  let upper: string;
  const storage = (...parts: string[]) => path.join(cli.home, '.singularity', 'shub', ...parts);

  before(async () => {
    seeds = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-e2e-seeds-'));
    // A label per build so every file, and so every version, differs.
    const sif = async (name: string) => (await sampleSif(path.join(seeds, `${name}.sif`), { labels: { build: name } })).path;
    const files = { v1: await sif('v1'), latest: await sif('latest'), upper: await sif('upper') };
    [v1, latest, upper] = [md5(files.v1), md5(files.latest), md5(files.upper)];
    hub = await startHubServer({
      images: [
        { user: 'vsoch', repo: 'hello-world', tag: 'v1', file: files.v1 },
        { user: 'vsoch', repo: 'hello-world', tag: 'latest', file: files.latest },
        // Same letters, other case: the Hub is case-sensitive, so this is another collection.
        { user: 'Vsoch', repo: 'Hello-World', tag: 'latest', file: files.upper },
      ],
    });
    // The default backend: no SREGISTRY_CLIENT, no secrets file.
    cli = cliInTempHome({ SREGISTRY_HUB_BASE: hub.origin });
  });
  after(async () => {
    await hub?.close();
    cli?.cleanup();
    fs.rmSync(seeds, { recursive: true, force: true });
  });

  test('@md5 selects that build, with its own tag from the manifest', async () => {
    const r = await cli.run(['pull', `shub://vsoch/hello-world@${v1}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[1], `[container][new] vsoch/hello-world:v1@${v1}`);
    assert.equal(md5(storage('vsoch', 'hello-world', `v1@${v1}.sif`)), v1);

    const tagged = await cli.run(['pull', `shub://vsoch/hello-world:v1@${v1}`]);
    assert.equal(tagged.code, 0, tagged.stderr);
    assert.equal(tagged.stdout.split('\n')[1], `[container][update] vsoch/hello-world:v1@${v1}`);

    const wrong = 'f'.repeat(32);
    const missing = await cli.run(['pull', `shub://vsoch/hello-world@${wrong}`]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.split('\n').length, 2, missing.stderr);
    assert.match(missing.stderr, new RegExp(`^ERROR vsoch/hello-world@${wrong} was not found on Singularity Hub at ${hub.origin}; `));
    assert.ok(!fs.readdirSync(storage('vsoch', 'hello-world')).some((f) => f.includes(wrong)));
  });

  test('case is kept for the lookup, storage is lower-cased', async () => {
    const r = await cli.run(['pull', 'shub://Vsoch/Hello-World']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(hub.requests.some((q) => q.url === '/api/container/Vsoch/Hello-World:latest'));
    const stored = storage('vsoch', 'hello-world', `latest@${upper}.sif`);
    assert.deepEqual(r.stdout.split('\n').slice(1), [`[container][new] vsoch/hello-world:latest@${upper}`, `Success! ${stored}`, '']);
    assert.equal(md5(stored), upper, 'the Vsoch/Hello-World build, not vsoch/hello-world');

    // Local commands lower-case what they are given, so they find it as written.
    const get = await cli.run(['get', `Vsoch/Hello-World:latest@${upper}`]);
    assert.equal(get.stdout, `${stored}\n`, get.stderr);

    const wrongCase = await cli.run(['pull', 'shub://vsoch/Hello-World']);
    assert.equal(wrongCase.code, 1, 'the archive is case-sensitive');
    assert.match(wrongCase.stderr, /^ERROR vsoch\/Hello-World:latest was not found .*case-sensitive/);
  });

  test('a host in the URI is asked instead of SREGISTRY_HUB_BASE; http needs SREGISTRY_HUB_NOHTTPS', async () => {
    const uri = `shub://127.0.0.1:${hub.port}/vsoch/hello-world:latest`;
    const elsewhere = { SREGISTRY_HUB_BASE: 'http://127.0.0.1:9' };
    hub.clearRequests();
    const r = await cli.run(['pull', uri], { env: { ...elsewhere, SREGISTRY_HUB_NOHTTPS: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[1], `[container][new] vsoch/hello-world:latest@${latest}`, 'the record name has no host');
    assert.ok(hub.requests.some((q) => q.url === '/api/container/vsoch/hello-world:latest'));

    const tls = await cli.run(['pull', uri], { env: elsewhere });
    assert.equal(tls.code, 1);
    assert.equal(tls.stderr.split('\n').length, 2, tls.stderr);
    assert.match(tls.stderr, /^ERROR .*TLS.*SREGISTRY_HUB_NOHTTPS/);
  });

  test('SREGISTRY_HUB_BASE without a scheme at a plain-http server: the TLS error names SREGISTRY_HUB_NOHTTPS', async () => {
    const tls = await cli.run(['pull', 'shub://vsoch/hello-world'], { env: { SREGISTRY_HUB_BASE: `127.0.0.1:${hub.port}` } });
    assert.equal(tls.code, 1);
    assert.equal(tls.stderr.split('\n').length, 2, tls.stderr);
    assert.match(tls.stderr, /^ERROR the TLS handshake with https:\/\/127\.0\.0\.1:\d+ failed.*export SREGISTRY_HUB_NOHTTPS=1/);
    // typed by the user: the generic hint, no setting that would not change it
    const typed = await cli.run(['pull', 'shub://vsoch/hello-world'], { env: { SREGISTRY_HUB_BASE: `https://127.0.0.1:${hub.port}` } });
    assert.equal(typed.code, 1);
    assert.doesNotMatch(typed.stderr, /NOHTTPS/);
  });
});
