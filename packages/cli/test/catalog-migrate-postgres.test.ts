// `catalog migrate` into a real PostgreSQL team catalogue: two users bring their SQLite catalogues in (one image
// they share is stored once), at the same time too, and the team catalogue is exported back into a folder.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openRawDatabase, type PostgresHandle, postgresAvailable, sampleSif, sharedPostgres } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

const available = postgresAvailable();
const skip = available.ok ? false : available.reason;

type Cli = ReturnType<typeof cliInTempHome>;

async function userWith(images: [file: string, name: string][]): Promise<Cli> {
  const cli = cliInTempHome();
  for (const [file, name] of images) {
    const sif = path.join(cli.home, file);
    await sampleSif(sif, { deffile: `Bootstrap: library\nFrom: ${file}\n` });
    const r = await cli.run(['add', sif, '--name', name]);
    assert.equal(r.code, 0, r.stderr);
  }
  return cli;
}

async function list(cli: Cli, env: Record<string, string>): Promise<{ uri: string; image: string }[]> {
  const r = await cli.run(['images', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { uri: string; image: string }[])
    .map(({ uri, image }) => ({ uri, image }))
    .sort((a, b) => a.uri.localeCompare(b.uri));
}

describe('catalog migrate with PostgreSQL', { skip }, () => {
  let pg: PostgresHandle;
  let alice: Cli;
  let bob: Cli;
  let shared: string;

  before(async () => {
    pg = await sharedPostgres();
    alice = await userWith([
      ['alpha.sif', 'lab/alpha:v1'],
      ['common.sif', 'lab/common:latest'],
    ]);
    bob = await userWith([
      ['common.sif', 'lab/common:latest'],
      ['beta.sif', 'lab/beta:v2'],
    ]);
    shared = fs.mkdtempSync(path.join(path.dirname(alice.home), 'sregistry-shared-storage-'));
  });
  after(() => {
    alice?.cleanup();
    bob?.cleanup();
    if (shared) fs.rmSync(shared, { recursive: true, force: true });
  });

  test('two users bring their catalogues in; the image both have is stored once', async () => {
    const team = await pg.createDatabase();
    const teamEnv = { SREGISTRY_DATABASE: team, SREGISTRY_STORAGE: shared };
    const a = await alice.run(['catalog', 'migrate', '--to', team, '--storage', shared, '--json']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(JSON.parse(a.stdout).copied.length, 2);
    assert.doesNotMatch(a.stdout + a.stderr, new RegExp(pg.password));
    assert.match(JSON.parse(a.stdout).to, /^postgresql:\/\/(sregistry@)?127\.0\.0\.1:\d+\/sregistry_/);
    const b = await bob.run(['catalog', 'migrate', '--to', team, '--storage', shared, '--json']);
    assert.equal(b.code, 0, b.stderr);
    const report = JSON.parse(b.stdout);
    assert.deepEqual(
      [report.copied.map((u: string) => u.replace(/@.*/, '')), report.present.map((u: string) => u.replace(/@.*/, ''))],
      [['lab/beta:v2'], ['lab/common:latest']],
    );
    const teamImages = await list(alice, teamEnv);
    assert.deepEqual(
      teamImages.map((i) => i.uri.replace(/@.*/, '')),
      ['lab/alpha:v1', 'lab/beta:v2', 'lab/common:latest'],
    );
    for (const image of teamImages) assert.ok(image.image.startsWith(`${shared}${path.sep}`) && fs.existsSync(image.image), image.image);
    const rows = await pg.sql('SELECT count(*) FROM container', decodeURIComponent(new URL(team).pathname.slice(1)));
    assert.equal(rows, '3');

    // the reverse: the team catalogue exported into a folder of one's own
    const mine = path.join(bob.home, 'exported');
    const back = await bob.run(['catalog', 'migrate', '--to', mine, '--storage', path.join(mine, 'shub')], { env: teamEnv });
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /3 copied, 0 already in sqlite:\/\/\//);
    const exported = await list(bob, { SREGISTRY_DATABASE: mine, SREGISTRY_STORAGE: path.join(mine, 'shub') });
    assert.deepEqual(
      exported.map((i) => i.uri),
      teamImages.map((i) => i.uri),
    );
  });

  test('both at once: no duplicate row, one copy of the shared image', async () => {
    const team = await pg.createDatabase();
    const storage = path.join(shared, 'at-once');
    const runs = await Promise.all([alice, bob].map((u) => u.run(['catalog', 'migrate', '--to', team, '--storage', storage, '--json'])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const db = decodeURIComponent(new URL(team).pathname.slice(1));
    assert.equal(await pg.sql('SELECT count(*) FROM container', db), '3');
    assert.equal(await pg.sql("SELECT count(*) FROM container WHERE name = 'common'", db), '1');
    const files = (await list(alice, { SREGISTRY_DATABASE: team, SREGISTRY_STORAGE: storage })).map((i) => i.image);
    for (const f of files) assert.ok(fs.existsSync(f), f);
    const stored = fs.readdirSync(path.join(storage, 'lab', 'common')).filter((n) => !n.startsWith('.'));
    assert.equal(stored.length, 1, stored.join(', '));
  });

  test('the copies keep their created_at, both ways (a NULL one stays NULL)', async () => {
    const carol = await userWith([
      ['old.sif', 'lab/old:v1'],
      ['undated.sif', 'lab/undated:v1'],
    ]);
    const exported = fs.mkdtempSync(path.join(path.dirname(carol.home), 'sregistry-exported-'));
    try {
      const db = openRawDatabase(path.join(carol.home, '.singularity', 'sregistry.db'));
      try {
        db.prepare("UPDATE container SET created_at = '2021-02-03 04:05:06' WHERE name = 'old'").run();
        db.prepare("UPDATE container SET created_at = NULL WHERE name = 'undated'").run();
      } finally {
        db.close();
      }
      const dates = async (env: Record<string, string>) => {
        const r = await carol.run(['images', '--json'], { env });
        assert.equal(r.code, 0, r.stderr);
        return (JSON.parse(r.stdout) as { name: string; created_at: string | null }[]).map((i) => [i.name, i.created_at]);
      };
      const expected = [
        ['old', '2021-02-03 04:05:06'],
        ['undated', null],
      ];
      const team = await pg.createDatabase();
      const storage = path.join(shared, 'dated');
      const into = await carol.run(['catalog', 'migrate', '--to', team, '--storage', storage]);
      assert.equal(into.code, 0, into.stderr);
      assert.deepEqual(await dates({ SREGISTRY_DATABASE: team, SREGISTRY_STORAGE: storage }), expected);
      const back = await carol.run(['catalog', 'migrate', '--to', exported, '--storage', path.join(exported, 'shub')], {
        env: { SREGISTRY_DATABASE: team, SREGISTRY_STORAGE: storage },
      });
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(await dates({ SREGISTRY_DATABASE: exported, SREGISTRY_STORAGE: path.join(exported, 'shub') }), expected);
    } finally {
      carol.cleanup();
      fs.rmSync(exported, { recursive: true, force: true });
    }
  });
});
