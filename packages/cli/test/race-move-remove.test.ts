// Two commands changing one record at once (mv or rename against rmi or rm): the outcome is that of one serial
// order, never a file without its row or a success that did not happen. A command is held between two of its
// steps (testing-hooks holdPoint, resumed by the test) while the other runs whole, on SQLite and, where a
// PostgreSQL server can be started, on the team catalogue.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type PostgresHandle, postgresAvailable, sampleSif, startPostgres } from '@sregistry/testkit';
import { holdAtPoint, isTempFile, type Sandbox, sandbox, walk } from './reliability-helpers';

const pgAvailable = postgresAvailable();
let pg: PostgresHandle | undefined;
let image: string;
const cleanups: (() => void)[] = [];

before(async () => {
  image = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-race-src-')), 'img.sif');
  await sampleSif(image);
  cleanups.push(() => fs.rmSync(path.dirname(image), { recursive: true, force: true }));
  if (pgAvailable.ok) pg = await startPostgres();
});
after(async () => {
  for (const c of cleanups) c();
  await pg?.stop();
});

const KINDS = ['sqlite', 'postgresql'] as const;

/** A catalogue with cc/img:1 in it, and a folder outside storage for mv. */
async function catalogue(kind: (typeof KINDS)[number]): Promise<{ sb: Sandbox; storage: string; dir: string }> {
  let sb: Sandbox;
  let storage: string;
  if (kind === 'postgresql') {
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-race-storage-'));
    cleanups.push(() => fs.rmSync(storage, { recursive: true, force: true }));
    sb = sandbox({ env: { SREGISTRY_DATABASE: await (pg as PostgresHandle).createDatabase(), SREGISTRY_STORAGE: storage } });
  } else {
    sb = sandbox();
    storage = sb.storage;
  }
  cleanups.push(() => sb.cleanup());
  const dir = path.join(sb.home, 'elsewhere');
  fs.mkdirSync(dir);
  const added = await sb.run(['add', '--copy', '--name', 'cc/img:1', image]);
  assert.equal(added.code, 0, added.stderr);
  return { sb, storage, dir };
}

/** The rows (name and file), and the files under storage and `dir` that are not temporary. */
async function state(sb: Sandbox, storage: string, dir: string) {
  const listed = await sb.run(['images', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const rows = (JSON.parse(listed.stdout) as { collection: string; name: string; tag: string; image: string }[]).map((r) => ({
    name: `${r.collection}/${r.name}:${r.tag}`,
    image: r.image,
  }));
  const files = [...walk(storage).filter((f) => !isTempFile(storage, f)), ...walk(dir)].sort();
  assert.deepEqual(files, rows.map((r) => r.image).sort(), 'every file has its row and every row its file');
  assert.equal(fs.readdirSync(path.join(storage, '.tmp', 'journal')).length, 0, 'no intent left');
  return rows.map((r) => r.name);
}

function oneError(stderr: string, pattern: RegExp): void {
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, pattern);
}

const BUSY =
  /^ERROR cc\/img:1@\S+ is being changed by another command \(pid \d+ (moves or renames|removes|signs) it\): nothing was changed; run this again once that command has finished$/m;
const CHANGED =
  /^ERROR cc\/img:1@\S+ was removed, moved or renamed by another command while this one ran: nothing was changed; see what is there now with: sregistry images$/m;

for (const kind of KINDS) {
  const skip = kind === 'postgresql' && !pgAvailable.ok ? `no PostgreSQL: ${pgAvailable.reason}` : undefined;

  test(`${kind}: rmi while a rename has moved the file but not its row waits its turn and gives way; the rename finishes`, {
    skip,
  }, async () => {
    const { sb, storage, dir } = await catalogue(kind);
    const held = await holdAtPoint(sb, ['rename', 'cc/img:1', 'cc/renamed:1'], 'move-placed-held');
    assert.ok(held.reached);
    const rmi = await sb.run(['rmi', 'cc/img:1']);
    assert.equal(rmi.code, 1, rmi.stdout + rmi.stderr);
    oneError(rmi.stderr, BUSY);
    const renamed = await held.resume();
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.deepEqual(await state(sb, storage, dir), ['cc/renamed:1']);
  });

  for (const [command, args] of [
    ['rename', ['rename', 'cc/img:1', 'cc/renamed:1']],
    ['mv', ['mv', 'cc/img:1', 'elsewhere/']],
  ] as const) {
    test(`${kind}: an rmi that finished while a ${command} was about to start: the ${command} changes nothing and says so`, {
      skip,
    }, async () => {
      const { sb, storage, dir } = await catalogue(kind);
      const held = await holdAtPoint(sb, [...args], 'move-before-intent-held');
      assert.ok(held.reached);
      const rmi = await sb.run(['rmi', 'cc/img:1']);
      assert.equal(rmi.code, 0, rmi.stderr);
      assert.equal(rmi.stderr, '');
      const moved = await held.resume();
      assert.equal(moved.code, 1, moved.stdout + moved.stderr);
      oneError(moved.stderr, CHANGED);
      assert.deepEqual(await state(sb, storage, dir), []);
    });

    test(`${kind}: a ${command} that finished while an rmi was about to start: the rmi deletes nothing and says so`, { skip }, async () => {
      const { sb, storage, dir } = await catalogue(kind);
      const held = await holdAtPoint(sb, ['rmi', 'cc/img:1'], 'remove-before-intent-held');
      assert.ok(held.reached);
      const moved = await sb.run([...args]);
      assert.equal(moved.code, 0, moved.stderr);
      const rmi = await held.resume();
      assert.equal(rmi.code, 1, rmi.stdout + rmi.stderr);
      oneError(rmi.stderr, CHANGED);
      assert.deepEqual(await state(sb, storage, dir), [command === 'rename' ? 'cc/renamed:1' : 'cc/img:1']);
    });
  }

  test(`${kind}: rm while an mv has moved the file but not its row waits its turn and gives way; the mv finishes`, { skip }, async () => {
    const { sb, storage, dir } = await catalogue(kind);
    const held = await holdAtPoint(sb, ['mv', 'cc/img:1', 'elsewhere/'], 'move-placed-held');
    assert.ok(held.reached);
    const rm = await sb.run(['rm', 'cc/img:1']);
    assert.equal(rm.code, 1, rm.stdout + rm.stderr);
    oneError(rm.stderr, BUSY);
    const moved = await held.resume();
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual(await state(sb, storage, dir), ['cc/img:1']);
  });

  test(`${kind}: rename and rmi started together, 5 rounds: one of them, and only that one, reports success`, { skip }, async () => {
    const { sb, storage, dir } = await catalogue(kind);
    for (let round = 0; round < 5; round++) {
      if (round > 0) assert.equal((await sb.run(['add', '--copy', '--name', 'cc/img:1', image])).code, 0);
      const [renamed, removed] = await Promise.all([sb.run(['rename', 'cc/img:1', `cc/renamed${round}:1`]), sb.run(['rmi', 'cc/img:1'])]);
      for (const r of [renamed, removed]) assert.doesNotMatch(r.stderr, /unexpected failure|WARNING/, r.stderr);
      const names = await state(sb, storage, dir);
      if (renamed.code === 0) {
        assert.equal(removed.code, 1, removed.stderr);
        assert.ok(names.includes(`cc/renamed${round}:1`));
      } else {
        assert.equal(removed.code, 0, `${renamed.stderr}${removed.stderr}`);
        assert.ok(!names.includes(`cc/renamed${round}:1`));
      }
      assert.ok(!names.includes('cc/img:1'));
    }
  });

  // sign of a catalogued image takes the record's turn too: before, an rmi, mv or rename that ran while sign made
  // its signed copy was followed by sign adding the signed file as a new row (the removed name back, or a second row)
  for (const [command, args] of [
    ['rmi', ['rmi', 'cc/img:1']],
    ['mv', ['mv', 'cc/img:1', 'elsewhere/']],
    ['rename', ['rename', 'cc/img:1', 'cc/renamed:1']],
  ] as const) {
    test(`${kind}: ${command} while a sign has made its signed copy gives way; the sign finishes`, { skip }, async () => {
      const { sb, storage, dir } = await catalogue(kind);
      const key = signingKey(sb);
      const held = await holdAtPoint(sb, ['sign', 'cc/img:1', '--key', key], 'sign-signed-held');
      assert.ok(held.reached);
      const other = await sb.run([...args]);
      assert.equal(other.code, 1, other.stdout + other.stderr);
      oneError(other.stderr, BUSY);
      assert.match(other.stderr, /signs it/);
      const signed = await held.resume();
      assert.equal(signed.code, 0, signed.stderr);
      assert.deepEqual(await state(sb, storage, dir), ['cc/img:1']);
      const verified = await sb.run(['verify', 'cc/img:1', '--key', `${key}.pub`]);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    });

    test(`${kind}: a ${command} that finished while a sign was about to take its turn: the sign changes nothing and says so`, {
      skip,
    }, async () => {
      const { sb, storage, dir } = await catalogue(kind);
      const held = await holdAtPoint(sb, ['sign', 'cc/img:1', '--key', signingKey(sb)], 'sign-before-turn-held');
      assert.ok(held.reached);
      const other = await sb.run([...args]);
      assert.equal(other.code, 0, other.stderr);
      const signed = await held.resume();
      assert.equal(signed.code, 1, signed.stdout + signed.stderr);
      oneError(signed.stderr, CHANGED);
      assert.deepEqual(await state(sb, storage, dir), { rmi: [], mv: ['cc/img:1'], rename: ['cc/renamed:1'] }[command]);
    });
  }

  test(`${kind}: sign while an mv has moved the file but not its row gives way; the mv finishes, unsigned`, { skip }, async () => {
    const { sb, storage, dir } = await catalogue(kind);
    const held = await holdAtPoint(sb, ['mv', 'cc/img:1', 'elsewhere/'], 'move-placed-held');
    assert.ok(held.reached);
    const signed = await sb.run(['sign', 'cc/img:1', '--key', signingKey(sb)]);
    assert.equal(signed.code, 1, signed.stdout + signed.stderr);
    oneError(signed.stderr, BUSY);
    const moved = await held.resume();
    assert.equal(moved.code, 0, moved.stderr);
    assert.deepEqual(await state(sb, storage, dir), ['cc/img:1']);
  });
}

/** An Ed25519 PEM key in the sandbox's home (its public key beside it, as `<file>.pub`). */
function signingKey(sb: Sandbox): string {
  const file = path.join(sb.home, 'ed.pem');
  const keys = crypto.generateKeyPairSync('ed25519');
  fs.writeFileSync(file, keys.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  fs.writeFileSync(`${file}.pub`, keys.publicKey.export({ format: 'pem', type: 'spki' }));
  return file;
}
