// `catalog migrate --to`: a user's catalogue copied into another (here a SQLite folder; the PostgreSQL target runs
// the same op), files into the target's storage, nothing duplicated on a second run, the source unchanged, and
// one-line refusals for a bad or identical target.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

let cli: ReturnType<typeof cliInTempHome>;
let team: string;
let teamStorage: string;

before(async () => {
  cli = cliInTempHome();
  team = path.join(cli.home, 'team-db');
  teamStorage = path.join(cli.home, 'team-storage');
  for (const [file, name] of [
    ['a.sif', 'lab/alpha:v1'],
    ['b.sif', 'lab/beta:latest'],
  ]) {
    await sampleSif(path.join(cli.home, file), { deffile: `Bootstrap: library\nFrom: ${name}\n` });
    const r = await cli.run(['add', file, '--name', name]);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(() => cli?.cleanup());

const inTeam = { SREGISTRY_DATABASE: team, SREGISTRY_STORAGE: teamStorage };

async function images(env: Record<string, string> = {}): Promise<{ uri: string; image: string }[]> {
  const r = await cli.run(['images', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { uri: string; image: string }[])
    .map(({ uri, image }) => ({ uri, image }))
    .sort((a, b) => a.uri.localeCompare(b.uri));
}

test('copies rows and files into the target storage; the source stays as it was', async () => {
  const before = await images();
  const dry = await cli.run(['catalog', 'migrate', '--to', team, '--storage', teamStorage, '--dry-run', '--json']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(JSON.parse(dry.stdout).copied.length, 2);
  assert.equal(fs.existsSync(team), false, '--dry-run creates nothing');

  const r = await cli.run(['catalog', 'migrate', '--to', team, '--storage', teamStorage]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\[container\]\[copied\] lab\/alpha:v1@[0-9a-f]{64}/);
  assert.match(r.stdout, /2 copied, 0 already in sqlite:\/\/\/.*team-db\/sregistry\.db, 0 without their file/);
  const copied = await images(inTeam);
  assert.deepEqual(
    copied.map((i) => i.uri),
    before.map((i) => i.uri),
  );
  for (const [i, image] of copied.entries()) {
    assert.ok(image.image.startsWith(`${teamStorage}${path.sep}`), image.image);
    assert.deepEqual(fs.readFileSync(image.image), fs.readFileSync(before[i]!.image));
  }
  assert.deepEqual(await images(), before, 'the source catalogue and its files are unchanged');
});

test('a second run copies nothing; a new image alone is copied', async () => {
  const again = await cli.run(['catalog', 'migrate', '--to', team, '--storage', teamStorage, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const report = JSON.parse(again.stdout);
  assert.deepEqual([report.copied.length, report.present.length], [0, 2]);

  await sampleSif(path.join(cli.home, 'c.sif'), { deffile: 'Bootstrap: library\nFrom: gamma\n' });
  assert.equal((await cli.run(['add', 'c.sif', '--name', 'lab/gamma:v2'])).code, 0);
  const third = JSON.parse((await cli.run(['catalog', 'migrate', '--to', team, '--storage', teamStorage, '--json'])).stdout);
  assert.deepEqual(
    third.copied.map((u: string) => u.replace(/@.*/, '')),
    ['lab/gamma:v2'],
  );
  assert.equal((await images(inTeam)).length, 3, 'no duplicate rows');
});

test('a row whose file is gone is reported, the rest copied; a file removed from the target is copied again', async () => {
  const teamImages = await images(inTeam);
  fs.rmSync(teamImages[0]!.image);
  const r = await cli.run(['catalog', 'migrate', '--to', team, '--storage', teamStorage, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).copied, [teamImages[0]!.uri]);
  assert.ok(fs.existsSync(teamImages[0]!.image));

  const mine = await images();
  const gone = mine.find((i) => i.uri.startsWith('lab/gamma'))!;
  fs.renameSync(gone.image, `${gone.image}.away`);
  const other = path.join(cli.home, 'other-db');
  const partial = await cli.run(['catalog', 'migrate', '--to', other, '--storage', path.join(cli.home, 'other-storage')]);
  assert.equal(partial.code, 0, partial.stderr);
  assert.match(partial.stderr, /WARNING lab\/gamma:v2@[0-9a-f]+: its file .* is gone; not copied/);
  assert.match(partial.stdout, /2 copied, 0 already in .*, 1 without their file/);
  fs.renameSync(`${gone.image}.away`, gone.image);
});

test('the same storage folder for both is refused: two catalogues never own the same files', async () => {
  const shared = path.join(cli.home, 'shared-db');
  const before = await images();
  // --storage left out: it defaults to SREGISTRY_STORAGE, this catalogue's own storage
  const r = await cli.run(['catalog', 'migrate', '--to', shared]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^ERROR the target's storage .*\.singularity\/shub is this catalogue's storage too \(--storage defaults to SREGISTRY_STORAGE\): both catalogues would own the same files; give --storage a folder of the target's own, such as --storage .*shared-db\/shub\n$/,
  );
  // named explicitly, or under another spelling of the same folder: the same refusal, and a dry run too
  const link = path.join(cli.home, 'storage-link');
  fs.symlinkSync(path.join(cli.home, '.singularity', 'shub'), link);
  for (const args of [['--storage', path.join(cli.home, '.singularity', 'shub')], ['--storage', link], ['--dry-run']]) {
    const again = await cli.run(['catalog', 'migrate', '--to', shared, ...args, '--json']);
    assert.equal(again.code, 1, again.stderr);
    assert.equal(JSON.parse(again.stdout).error.code, 'ESAMEPATH', args.join(' '));
  }
  assert.equal(fs.existsSync(shared), false, 'no target database was made');
  assert.deepEqual(await images(), before, 'the source is unchanged');
});

test('an empty --to or --storage is a usage error', async () => {
  for (const args of [
    ['--to', ''],
    ['--to', team, '--storage', ''],
  ]) {
    const r = await cli.run(['catalog', 'migrate', ...args, '--json']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(JSON.parse(r.stdout).error.code, 'EUSAGE', args.join(' '));
  }
  const r = await cli.run(['catalog', 'migrate', '--to', '']);
  assert.equal(r.stderr, 'ERROR --to is empty; give the target: postgresql://user@host:port/db, or a folder\n');
});

test('refused in one line: the catalogue itself, a URL that is not PostgreSQL', async () => {
  const self = await cli.run(['catalog', 'migrate', '--to', path.join(cli.home, '.singularity')]);
  assert.equal(self.code, 1);
  assert.match(self.stderr, /^ERROR --to sqlite:\/\/\/.*\.singularity\/sregistry\.db is the catalogue being copied; /);
  const mysql = await cli.run(['catalog', 'migrate', '--to', 'mysql://root:pw-Secret-9@db/x', '--json']);
  assert.equal(mysql.code, 1);
  const error = JSON.parse(mysql.stdout).error;
  assert.equal(error.code, 'EDBURL');
  // the wrong value is --to's; SREGISTRY_DATABASE is fine
  assert.equal(error.message, '--to is a mysql: URL; only PostgreSQL (postgresql://) and a folder are supported');
  assert.match(error.fix, /^give --to a folder/);
  assert.doesNotMatch(mysql.stdout + mysql.stderr, /pw-Secret-9/);
  assert.equal(fs.existsSync(path.join(cli.home, 'mysql:')), false);
});
