// A SQLite file that is not a catalogue (another program's tables, of other names or of the catalogue's names
// with other columns) is refused in one line by every command, reads included, and is left byte for byte as it
// was: no table is added to it first.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

// better-sqlite3 is core's dependency: resolve it from there (the test writes the foreign files with it)
const Sqlite = createRequire(path.resolve(__dirname, '..', '..', 'core', 'package.json'))('better-sqlite3') as new (
  file: string,
) => { exec(sql: string): void; close(): void };

let cli: ReturnType<typeof cliInTempHome>;

before(async () => {
  cli = cliInTempHome();
  await sampleSif(path.join(cli.home, 'a.sif'));
});
after(() => cli?.cleanup());

const SHAPES: [label: string, sql: string][] = [
  ['a container table of another program', 'CREATE TABLE container (id)'],
  ['only unrelated tables', 'CREATE TABLE foo (x)'],
  ['both names, other columns', 'CREATE TABLE container (id); CREATE TABLE collection (id)'],
];

function foreignFolder(sql: string): { folder: string; file: string } {
  const folder = fs.mkdtempSync(path.join(cli.home, 'other-'));
  const file = path.join(folder, 'sregistry.db');
  const db = new Sqlite(file);
  db.exec(sql);
  db.close();
  return { folder, file };
}

const digest = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

for (const [label, sql] of SHAPES) {
  test(`${label}: every command refuses it in one line and the file stays as it was`, async () => {
    const { folder, file } = foreignFolder(sql);
    const bytes = digest(file);
    const env = { SREGISTRY_DATABASE: folder };
    const commands = [
      ['add', '--copy', 'a.sif', '--name', 'x/y:v1'],
      ['images'],
      ['images', 'foo'],
      ['get', 'a/b'],
      ['inspect', 'a/b'],
      ['rm', 'a/b'],
    ];
    for (const args of commands) {
      const r = await cli.run(args, { env });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /^ERROR .*sregistry\.db is a SQLite database of another program \(.*\); point SREGISTRY_DATABASE at another folder, or move the file away\n$/,
        args.join(' '),
      );
      assert.equal(digest(file), bytes, `${args.join(' ')} left the file as it was`);
    }
    for (const args of [
      ['images', '--json'],
      ['images', 'foo', '--json'],
      ['get', 'a/b', '--json'],
      ['inspect', 'a/b', '--json'],
    ]) {
      const r = await cli.run(args, { env });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(JSON.parse(r.stdout).error.code, 'EDBSCHEMA', args.join(' '));
    }
    assert.equal(digest(file), bytes);
  });
}

test('an empty file and a new folder become a catalogue', async () => {
  const folder = fs.mkdtempSync(path.join(cli.home, 'empty-'));
  fs.writeFileSync(path.join(folder, 'sregistry.db'), '');
  for (const db of [folder, path.join(cli.home, 'new-folder')]) {
    const r = await cli.run(['add', '--copy', 'a.sif', '--name', 'x/y:v1'], { env: { SREGISTRY_DATABASE: db } });
    assert.equal(r.code, 0, r.stderr);
    assert.match((await cli.run(['images'], { env: { SREGISTRY_DATABASE: db } })).stdout, /x\/y:v1/);
  }
});
