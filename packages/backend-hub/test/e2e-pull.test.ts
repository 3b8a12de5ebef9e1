// The hub backend end to end: the built `sregistry` CLI (a separate process, default backend) pulling from the
// fake archive on 127.0.0.1. Names, versions, records and output lines as client-spec §7 describes them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type HubServer, sampleSif, startHubServer } from '@sregistry/testkit';
import { cliInTempHome } from '../../cli/test/helpers';

const md5 = (file: string) => createHash('md5').update(fs.readFileSync(file)).digest('hex');

describe('hub pull through the CLI', () => {
  let hub: HubServer;
  let cli: ReturnType<typeof cliInTempHome>;
  let seeds: string;
  // versions (md5) of the two builds
  let v1: string;
  let latest: string;
  const storage = (...parts: string[]) => path.join(cli.home, '.singularity', 'shub', ...parts);
  const announce = () => `[client|hub] [database|sqlite:///${path.join(cli.home, '.singularity', 'sregistry.db')}]`;
  const records = async () => JSON.parse((await cli.run(['images', '--json'])).stdout) as { uri: string }[];

  before(async () => {
    seeds = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-e2e-seeds-'));
    // A label per build so every file, and so every version, differs.
    const sif = async (name: string) => (await sampleSif(path.join(seeds, `${name}.sif`), { labels: { build: name } })).path;
    const files = { v1: await sif('v1'), latest: await sif('latest') };
    [v1, latest] = [md5(files.v1), md5(files.latest)];
    hub = await startHubServer({
      images: [
        { user: 'vsoch', repo: 'hello-world', tag: 'v1', file: files.v1 },
        // the newer build: what `latest` (and no tag) must find
        { user: 'vsoch', repo: 'hello-world', tag: 'latest', file: files.latest },
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

  test('shub://user/repo:tag prints the three lines of client-spec §7 and stores under the Hub version', async () => {
    const r = await cli.run(['pull', 'shub://vsoch/hello-world:latest']);
    assert.equal(r.code, 0, r.stderr);
    const stored = storage('vsoch', 'hello-world', `latest@${latest}.sif`);
    assert.equal(r.stdout, `${announce()}\n[container][new] vsoch/hello-world:latest@${latest}\nSuccess! ${stored}\n`);
    assert.equal(r.stderr, '', 'no progress bar or warning when stderr is not a terminal');
    assert.equal(md5(stored), latest);

    const inspect = await cli.run(['inspect', 'vsoch/hello-world:latest', '--json']);
    assert.equal(inspect.code, 0, inspect.stderr);
    const record = JSON.parse(inspect.stdout);
    assert.equal(record.client, 'hub');
    assert.equal(record.version, latest, "the Hub's md5, not the file's sha256");
    assert.equal(record.image, stored);
    assert.deepEqual(record.metrics.manifest, hub.lookup('vsoch', 'hello-world', ':latest'), 'the manifest is kept as served');
    assert.equal(record.metrics.format, 'sif');
    assert.ok(record.sif, 'the stored file is read as a SIF');
  });

  test('bare user/repo uses the hub by default, and a re-pull updates the same record', async () => {
    hub.clearRequests();
    const r = await cli.run(['pull', 'vsoch/hello-world']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `${announce()}\n[container][update] vsoch/hello-world:latest@${latest}\nSuccess! ${storage('vsoch', 'hello-world', `latest@${latest}.sif`)}\n`,
    );
    assert.ok(
      hub.requests.some((q) => q.url === '/api/container/vsoch/hello-world:latest'),
      'the archive was asked',
    );
    assert.deepEqual(
      (await records()).map((x) => x.uri),
      [`vsoch/hello-world:latest@${latest}`],
    );
  });

  test('--name writes a chosen file; again there it refreshes it; a file no image owns needs --force', async () => {
    const first = await cli.run(['pull', 'vsoch/hello-world', '--name', path.join(cli.home, 'mine', 'first.sif')]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim().split('\n').at(-1), `Success! ${path.join(cli.home, 'mine', 'first.sif')}`);
    assert.equal(md5(path.join(cli.home, 'mine', 'first.sif')), latest);
    // the image's own file (its record points there): a re-pull refreshes it, as one to the storage path does
    const refreshed = await cli.run(['pull', 'vsoch/hello-world', '--name', path.join(cli.home, 'mine', 'first.sif')]);
    assert.equal(refreshed.code, 0, refreshed.stderr);
    assert.match(refreshed.stdout, /\[container\]\[update\]/);
    fs.rmSync(path.join(cli.home, 'mine', 'first.sif'));

    const mine = path.join(cli.home, 'mine', 'hello.sif');
    fs.writeFileSync(mine, 'keep me');
    const again = await cli.run(['pull', 'vsoch/hello-world', '--name', mine]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `ERROR Image exists! ${mine}; remove it first, or use --force to overwrite\n`);
    assert.equal(fs.readFileSync(mine, 'utf8'), 'keep me', 'nothing was overwritten');
    assert.deepEqual(
      fs.readdirSync(path.dirname(mine)).filter((f) => f !== 'hello.sif'),
      [],
      'no partial file beside it',
    );

    const forced = await cli.run(['pull', 'vsoch/hello-world', '--name', mine, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(md5(mine), latest);
    // Put the record back in storage for the tests that follow.
    assert.equal((await cli.run(['pull', 'vsoch/hello-world'])).code, 0);
  });

  test('--json prints one document: where, what and whether it was new', async () => {
    const r = await cli.run(['pull', 'vsoch/hello-world:v1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(
      { uri: json.uri, version: json.version, backend: json.backend, format: json.format, created: json.created, cached: json.cached },
      { uri: `vsoch/hello-world:v1@${v1}`, version: v1, backend: 'hub', format: 'sif', created: true, cached: true },
    );
    assert.equal(json.path, storage('vsoch', 'hello-world', `v1@${v1}.sif`));
    assert.equal(json.size, fs.statSync(json.path).size);
    assert.equal(json.sha256, createHash('sha256').update(fs.readFileSync(json.path)).digest('hex'));
  });

  test('backend ls: hub ships with the CLI and can only pull', async () => {
    const r = await cli.run(['backend', 'ls', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const hubRow = (JSON.parse(r.stdout) as { name: string; capabilities: string[]; source: string; active: boolean }[]).find(
      (b) => b.name === 'hub',
    );
    assert.ok(hubRow, r.stdout);
    assert.deepEqual(hubRow.capabilities, ['pull']);
    assert.equal(hubRow.source, 'core');
    assert.equal(hubRow.active, true);
    const text = await cli.run(['backend', 'ls']);
    assert.match(text.stdout, /^hub\s+pull\s+@sregistry\/backend-hub@\S+ \(core\)/m);
  });
});
