// A row whose created_at is NULL (the original's schema allows it, client-spec §5.1): `images` shows an empty date
// and inspect/--json null, not January 01, 1970 / "1970-01-01 00:00:00" (a date the row never had).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openRawDatabase, writeOriginalHome } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

let cli: ReturnType<typeof cliInTempHome>;

before(async () => {
  cli = cliInTempHome();
  const home = await writeOriginalHome(cli.home, {
    images: [
      { collection: 'lab', name: 'undated', tag: 'v1', content: 'no date' },
      { collection: 'lab', name: 'dated', tag: 'v1', content: 'a date' },
      { collection: 'lab', name: 'garbled', tag: 'v1', content: 'no real date' },
    ],
  });
  const db = openRawDatabase(home.databaseFile);
  try {
    db.prepare("UPDATE container SET created_at = NULL WHERE name = 'undated'").run();
    db.prepare("UPDATE container SET created_at = '2024-03-05 06:07:08' WHERE name = 'dated'").run();
    db.prepare("UPDATE container SET created_at = '2026-13-45 99:99:99' WHERE name = 'garbled'").run();
  } finally {
    db.close();
  }
});
after(() => cli?.cleanup());

test('images: an empty date cell for a row without a date', async () => {
  const r = await cli.run(['images']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /1970/);
  const lines = r.stdout.split('\n');
  assert.ok(
    lines.some((line) => /^1 {2}\t {3}\[hub\]\tlab\/undated:v1@/.test(line)),
    r.stdout,
  );
  assert.ok(
    lines.some((line) => /^2 {2}March 05, 2024\t {3}\[hub\]\tlab\/dated:v1@/.test(line)),
    r.stdout,
  );
});

test('inspect and images --json: created_at is null', async () => {
  const inspect = await cli.run(['inspect', 'lab/undated:v1']);
  assert.equal(inspect.code, 0, inspect.stderr);
  // the path line first, then the record (client-spec §2.6)
  assert.equal(JSON.parse(inspect.stdout.slice(inspect.stdout.indexOf('\n{') + 1)).created_at, null);
  assert.match(inspect.stdout, /^ {4}"created_at": null,$/m);
  const json = await cli.run(['images', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as { name: string; created_at: string | null }[];
  assert.deepEqual(
    rows.map((row) => [row.name, row.created_at]),
    [
      ['undated', null],
      ['dated', '2024-03-05 06:07:08'],
      ['garbled', null],
    ],
  );
});

// fields out of range were rolled over by Date.UTC: '2026-13-45 99:99:99' listed as February 18, 2027
test('a created_at with out-of-range fields is no date: an empty cell and null, never a rolled-over date', async () => {
  const r = await cli.run(['images']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /2027/);
  assert.ok(
    r.stdout.split('\n').some((line) => /^3 {2}\t {3}\[hub\]\tlab\/garbled:v1@/.test(line)),
    r.stdout,
  );
  const inspect = await cli.run(['inspect', 'lab/garbled:v1']);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.equal(JSON.parse(inspect.stdout.slice(inspect.stdout.indexOf('\n{') + 1)).created_at, null);
});
