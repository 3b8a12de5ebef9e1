// The archive is read-only and has no listing: `search`/`labels` must say so in one line, and `pull --no-cache`
// must work without any catalogue (file in the current folder, no database).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type HubServer, sampleSif, startHubServer } from '@sregistry/testkit';
import { cliInTempHome } from '../../cli/test/helpers';

const md5 = (file: string) => createHash('md5').update(fs.readFileSync(file)).digest('hex');

describe('hub archive limits through the CLI', () => {
  let hub: HubServer;
  let cli: ReturnType<typeof cliInTempHome>;
  let seeds: string;
  let v: string;
  let cwd: string;
  const database = () => path.join(cli.home, '.singularity', 'sregistry.db');

  before(async () => {
    seeds = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-e2e-archive-'));
    const seed = (await sampleSif(path.join(seeds, 'hello.sif'))).path;
    v = md5(seed);
    hub = await startHubServer({ images: [{ user: 'Vsoch', repo: 'Hello-World', tag: 'latest', file: seed }] });
    cli = cliInTempHome({ SREGISTRY_HUB_BASE: hub.origin });
    cwd = path.join(cli.home, 'work');
    fs.mkdirSync(cwd);
  });
  after(async () => {
    await hub?.close();
    cli?.cleanup();
    fs.rmSync(seeds, { recursive: true, force: true });
  });

  for (const [command, api] of [
    [['search'], 'search API'],
    [['search', 'hello'], 'search API'],
    [['labels', '-k', 'maintainer'], 'labels API'],
  ] as const) {
    test(`${command.join(' ')}: exit 1, one line naming the missing ${api} and where to browse`, async () => {
      hub.clearRequests();
      const r = await cli.run([...command]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `ERROR Singularity Hub is a read-only archive and has no ${api}; browse https://datasets.datalad.org/?dir=/shub or the archive's site, then pull with shub://user/repo:tag\n`,
      );
      assert.deepEqual(hub.requests, [], 'no request to endpoints that no longer exist');
    });
  }

  test('search --json carries the error code', async () => {
    const r = await cli.run(['search', '--json']);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).error.code, 'ENOTSUPPORTED');
  });

  test('--no-cache writes <collection>-<name>:<tag>.sif into the current folder and no database', async () => {
    const r = await cli.run(['pull', '--no-cache', 'shub://Vsoch/Hello-World'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    // Same rule as registry pulls; the name is the catalogue's, lower-cased like storage paths.
    const name = 'vsoch-hello-world:latest.sif';
    assert.equal(r.stdout.split('\n').slice(1).join('\n'), `Success! ${name}\n`);
    assert.deepEqual(fs.readdirSync(cwd), [name]);
    assert.equal(md5(path.join(cwd, name)), v);
    assert.ok(!fs.existsSync(database()), 'no database was created');
    assert.ok(!fs.existsSync(path.join(cli.home, '.singularity', 'shub')), 'no storage was created');
  });

  test('--no-cache: an existing file needs --force; a corrupted download leaves nothing behind', async () => {
    const file = path.join(cwd, 'vsoch-hello-world:latest.sif');
    fs.writeFileSync(file, 'mine');
    const exists = await cli.run(['pull', '--no-cache', 'Vsoch/Hello-World'], { cwd });
    assert.equal(exists.code, 1);
    assert.equal(exists.stderr, `ERROR Image exists! ${file}; remove it first, or use --force to overwrite\n`);
    assert.equal(fs.readFileSync(file, 'utf8'), 'mine');

    hub.behaviour.corrupt = true;
    try {
      const bad = await cli.run(['pull', '--no-cache', '--force', 'Vsoch/Hello-World'], { cwd });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^ERROR the downloaded image's md5 /);
      assert.deepEqual(fs.readdirSync(cwd), ['vsoch-hello-world:latest.sif'], 'no partial file');
      assert.equal(fs.readFileSync(file, 'utf8'), 'mine', 'the old file survives a failed --force');
    } finally {
      hub.behaviour.corrupt = false;
    }

    const forced = await cli.run(['pull', '--no-cache', '--force', 'Vsoch/Hello-World', '--json'], { cwd });
    assert.equal(forced.code, 0, forced.stderr);
    const json = JSON.parse(forced.stdout);
    assert.deepEqual([json.path, json.version, json.cached], [file, v, false]);
    assert.equal(md5(file), v);
    assert.ok(!fs.existsSync(database()));
  });

  test('--no-cache --name writes exactly that file', async () => {
    const r = await cli.run(['pull', '--no-cache', '--name', 'hello.sif', 'Vsoch/Hello-World'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[1], 'Success! hello.sif');
    assert.equal(md5(path.join(cwd, 'hello.sif')), v);
  });
});
