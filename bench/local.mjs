#!/usr/bin/env node
// Local benchmark: start-up, catalogue scale, SIF reading and `add --copy`, each measured against a baseline in the
// same run. Every pair alternates which side goes first; the table gives medians. See docs/performance.md.
//
//   node bench/local.mjs [--rounds 7] [--only startup,catalogue,sif,add] [--images 10000] [--gib 1] [--json out.json] [--keep]
//
// startup   : `node -e 0` vs `sregistry --version`, `images` (empty catalogue), `--help`, `backend status`.
// catalogue : the same commands on a 10-image vs a 10,000-image catalogue (rows written with the built core's
//             openDatabase().upsert(); every image path is a real SIF in the storage layout, hard links of one
//             sample), plus EXPLAIN QUERY PLAN of the exact SQL that `images <query>` and `get` send.
// sif       : `inspect` of a SIF with a 1 GiB partition vs one with a 1 MiB partition (sparse zeros, testkit's
//             writeSif), and readSif().bytesRead for both.
// add       : `add --copy` of a 1 GiB file of incompressible bytes vs `cp` + `sha256sum` of the same file (and vs
//             `cp` + `openssl dgst -sha256` when openssl is installed: coreutils' sha256sum is the slow one here).
//             `images` on the big catalogue is also compared with the Python original's `images` on the same
//             database (target <= 0.3x) when `sregistry` on PATH is the Python client, else skipped with a note.
// journal   : `add --copy` of a small SIF into a catalogue in SQLite's rollback journal (the default: the file stays
//             as the original makes it) vs the same into one created with SREGISTRY_DATABASE_WAL=1.
// Options other than these (e.g. transfer.mjs's --sizes, when bench/run.sh passes its arguments to every bench)
// are ignored.
import { existsSync, linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { homeEnv } from './lib/home.mjs';
import { pythonOriginal } from './lib/limits.mjs';
import { measure, median, rssSource } from './lib/measure.mjs';
import { writeRandomFile } from './lib/random-file.mjs';
import { cpuMedian, fmt, machineLine, markdownTable } from './lib/report.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'packages', 'cli', 'bin', 'run.js');
const CORE = path.join(ROOT, 'packages', 'core');
const require = createRequire(path.join(CORE, 'package.json'));
const { openDatabase, sha256File } = require(path.join(CORE, 'dist', 'catalog', 'index.js'));
const { readSif } = require(path.join(CORE, 'dist', 'sif', 'index.js'));
const { sampleSif } = require(path.join(ROOT, 'packages', 'testkit', 'dist', 'sif-writer.js'));

const MiB = 1024 * 1024;
const SECTIONS = ['startup', 'catalogue', 'sif', 'add', 'journal'];

const { values: opts } = parseArgs({
  strict: false,
  options: {
    rounds: { type: 'string', default: '7' },
    only: { type: 'string', default: SECTIONS.join(',') },
    images: { type: 'string', default: '10000' },
    gib: { type: 'string', default: '1' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const rounds = Number(opts.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, got ${opts.rounds}`);
const only = opts.only.split(',').map((s) => s.trim());
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only takes ${SECTIONS.join(',')}, got ${s}`);
const bigCatalogue = Number(opts.images);
const SMALL_CATALOGUE = 10;
/** `images` on the big catalogue, against the Python original's */
const PYTHON_IMAGES_TARGET = 0.3;
const bigBytes = Math.round(Number(opts.gib) * 1024 * MiB);

const work = mkdtempSync(path.join(os.tmpdir(), 'sregistry-bench-local-'));
const log = (line) => process.stderr.write(`${line}\n`);
const loadAtStart = os.loadavg();
const rows = [];
const notes = [];

try {
  if (only.includes('startup')) await startup();
  if (only.includes('catalogue')) await catalogue();
  if (only.includes('sif')) await sif();
  if (only.includes('add')) await add();
  if (only.includes('journal')) await journal();
  report();
} finally {
  if (!opts.keep) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}

/** A throw-away HOME (catalogue in <home>/.singularity, the default) and the environment the CLI runs in. */
function cliHome(name) {
  const home = path.join(work, name);
  const cwd = path.join(home, 'work');
  mkdirSync(cwd, { recursive: true });
  const env = homeEnv(home);
  return { home, cwd, env, storage: path.join(home, '.singularity', 'shub'), db: path.join(home, '.singularity', 'sregistry.db') };
}

function sregistry(args) {
  return [process.execPath, [BIN, ...args]];
}

/**
 * Runs `pairs` = [{ label, baseline: [cmd, args] | () => Promise<run>, sregistry: [cmd, args], target }] for `rounds`
 * rounds. Odd rounds run every baseline first, even rounds every sregistry command first.
 */
async function compare(section, pairs, home, { between } = {}) {
  for (const p of pairs) p.samples = { base: [], baseCpu: [], sreg: [], sregCpu: [], rss: [] };
  const run = async (spec) => (typeof spec === 'function' ? spec() : measure(spec[0], spec[1], home));
  // one untimed run of each, so that the first timed round does not pay for a cold page cache or a new database
  for (const p of pairs) {
    await run(p.baseline);
    await run(p.sregistry);
    if (between) await between(p);
  }
  for (let round = 1; round <= rounds; round++) {
    const sides = round % 2 ? ['base', 'sreg'] : ['sreg', 'base'];
    for (const side of sides) {
      for (const p of pairs) {
        const r = await run(side === 'base' ? p.baseline : p.sregistry);
        p.samples[side].push(r.seconds);
        p.samples[`${side}Cpu`].push(r.cpuSeconds);
        if (side === 'sreg') p.samples.rss.push(r.rssMb);
        if (between) await between(p, side);
      }
    }
    log(
      `${section} round ${round}: ${pairs.map((p) => `${p.label} ${fmt(p.samples.base.at(-1))}/${fmt(p.samples.sreg.at(-1))} s`).join(', ')}`,
    );
  }
  for (const p of pairs) {
    const s = p.samples;
    const base = median(s.base);
    const sreg = median(s.sreg);
    const ratio = sreg / base;
    const met = p.target ? (p.target.kind === 'ratio' ? ratio <= p.target.value : sreg <= p.target.value) : undefined;
    rows.push({
      section,
      label: p.label,
      baselineLabel: p.baselineLabel,
      base,
      sreg,
      ratio,
      baseCpu: cpuMedian(s.baseCpu),
      sregCpu: cpuMedian(s.sregCpu),
      rssMb: Math.max(...s.rss),
      target: p.target ? (p.target.kind === 'ratio' ? `≤ ${p.target.value}x` : `≤ ${p.target.value} s`) : '-',
      met,
      samples: s,
    });
  }
}

// 1. Start-up ------------------------------------------------------------------------------------------------
async function startup() {
  const h = cliHome('startup');
  const nodeBase = [process.execPath, ['-e', '0']];
  const t = { kind: 'ratio', value: 2.5 };
  await compare(
    'startup',
    [
      { label: 'sregistry --version', baselineLabel: 'node -e 0', baseline: nodeBase, sregistry: sregistry(['--version']), target: t },
      { label: 'sregistry images (empty)', baselineLabel: 'node -e 0', baseline: nodeBase, sregistry: sregistry(['images']), target: t },
      { label: 'sregistry --help', baselineLabel: 'node -e 0', baseline: nodeBase, sregistry: sregistry(['--help']) },
      { label: 'sregistry backend status', baselineLabel: 'node -e 0', baseline: nodeBase, sregistry: sregistry(['backend', 'status']) },
    ],
    h,
  );
}

// 2. Catalogue scale -----------------------------------------------------------------------------------------
/** n records through the built core's upsert, each pointing at a hard link of one sample SIF in the storage layout. */
async function fillCatalogue(h, n, sample, version) {
  const started = Date.now();
  const db = await openDatabase(h.db);
  try {
    for (let i = 0; i < n; i++) {
      const collection = `col${String(i % 100).padStart(3, '0')}`;
      const name = `img${String(i).padStart(5, '0')}`;
      const tag = 'latest';
      const dir = path.join(h.storage, collection, name);
      mkdirSync(dir, { recursive: true });
      const image = path.join(dir, `${tag}@${version}.sif`);
      linkSync(sample, image);
      const uri = `${collection}/${name}:${tag}`;
      await db.upsert({
        collection,
        name,
        tag,
        version,
        image,
        url: `${collection}/${name}`,
        client: 'hub',
        metrics: {
          collection,
          image: name,
          original: uri,
          registry: null,
          storage: `${uri}.sif`,
          tag,
          type: 'container',
          uri,
          url: `${collection}/${name}`,
          version: null,
        },
      });
    }
    if ((await db.count()) !== n) throw new Error(`catalogue has ${await db.count()} rows, expected ${n}`);
  } finally {
    await db.close();
  }
  return (Date.now() - started) / 1000;
}

async function catalogue() {
  const sample = path.join(work, 'sample.sif');
  await sampleSif(sample);
  const version = await sha256File(sample);
  const small = cliHome('catalogue-10');
  const big = cliHome(`catalogue-${bigCatalogue}`);
  await fillCatalogue(small, SMALL_CATALOGUE, sample, version);
  log(`writing a ${bigCatalogue}-image catalogue with openDatabase().upsert()…`);
  const fillSeconds = await fillCatalogue(big, bigCatalogue, sample, version);
  notes.push(
    `catalogue: ${bigCatalogue} rows written with openDatabase().upsert() in ${fmt(fillSeconds, 1)} s (one process, one transaction per row)`,
  );

  // the same record exists in both catalogues (i = 7), so get/inspect print the same thing, and the query matches
  // exactly that row in both: the difference is the scan
  const query = 'img00007';
  const uri = `col007/${query}:latest`;
  // baselines run in the small catalogue's HOME (compare's default), the measured side in the big one's
  const inBig = (args) => () => measure(...sregistry(args), big);
  const pairs = [
    { label: 'images', args: ['images'], target: { kind: 'seconds', value: 0.5 } },
    { label: `images ${query}`, args: ['images', query] },
    { label: `get ${uri}`, args: ['get', uri], target: { kind: 'ratio', value: 1.2 } },
    { label: `inspect ${uri}`, args: ['inspect', uri], target: { kind: 'ratio', value: 1.2 } },
  ].map((p) => ({
    label: `${p.label} (${bigCatalogue} images)`,
    baselineLabel: `same, ${SMALL_CATALOGUE} images`,
    baseline: sregistry(p.args),
    sregistry: inBig(p.args),
    target: p.target,
  }));
  await compare('catalogue', pairs, small);
  await imagesVsPython(big);
  const listed = await measure(...sregistry(['images']), big);
  const lines = listed.stdout.split('\n').filter((l) => l.includes('@')).length;
  if (lines !== bigCatalogue) throw new Error(`images listed ${lines} rows of ${bigCatalogue}`);

  notes.push(...(await queryPlans(big.db, query, uri)));
}

/**
 * `images` on the big catalogue against the Python original's `images` on the same database file (its default,
 * ~/.singularity/sregistry.db in the same HOME; untested here: not installed). Without it the target is reported
 * as not measured, not left out.
 */
async function imagesVsPython(big) {
  const python = pythonOriginal();
  const label = `target images (${bigCatalogue} images) <= ${PYTHON_IMAGES_TARGET}x the Python original`;
  if (!python.command) {
    notes.push(`${label}: skipped (${python.note})`);
    return;
  }
  await compare(
    'catalogue',
    [
      {
        label: `images (${bigCatalogue} images)`,
        baselineLabel: `Python original images, ${bigCatalogue} images`,
        baseline: () => measure(python.command, ['images'], big),
        sregistry: () => measure(...sregistry(['images']), big),
        target: { kind: 'ratio', value: PYTHON_IMAGES_TARGET },
      },
    ],
    big,
  );
  notes.push(`python original: ${python.command}`);
}

/**
 * EXPLAIN QUERY PLAN of the statements the catalogue really sends: better-sqlite3's prepare() is wrapped to record
 * the SQL of list(term) and find(), then each is explained with its bound values.
 */
async function queryPlans(file, term, uri) {
  const Sqlite = require('better-sqlite3');
  const seen = [];
  const original = Sqlite.prototype.prepare;
  Sqlite.prototype.prepare = function (sql, ...rest) {
    seen.push(sql);
    return original.call(this, sql, ...rest);
  };
  const db = await openDatabase(file);
  const found = {};
  try {
    for (const [what, call] of [
      ['images <query>', () => db.list(term)],
      ['images', () => db.list()],
      ['get', () => db.find({ collection: uri.split('/')[0], name: term, tag: 'latest' })],
    ]) {
      const from = seen.length;
      await call();
      found[what] = seen
        .slice(from)
        .filter((s) => /^\s*SELECT/i.test(s))
        .at(-1);
    }
  } finally {
    await db.close();
    Sqlite.prototype.prepare = original;
  }
  const raw = new Sqlite(file, { readonly: true });
  const out = [];
  try {
    for (const [what, sql] of Object.entries(found)) {
      if (!sql) {
        out.push(`query plan of ${what}: the SQL was not captured`);
        continue;
      }
      const params =
        what === 'images <query>'
          ? [term, `%${term}%`, `%${term}%`, `%${term}%`]
          : what === 'get'
            ? [uri.split('/')[0], term, 'latest']
            : [];
      const count = (sql.match(/\?/g) ?? []).length;
      const plan = raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params.slice(0, count));
      out.push(`query plan of ${what}: ${plan.map((p) => p.detail).join('; ')}`);
      out.push(`  SQL: ${sql.replace(/\s+/g, ' ')}`);
    }
    const indexes = raw.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'").all();
    out.push(`indexes: ${indexes.map((i) => `${i.name} on ${i.tbl_name}`).join(', ')}`);
  } finally {
    raw.close();
  }
  return out;
}

// 3. SIF reader ----------------------------------------------------------------------------------------------
async function sif() {
  const h = cliHome('sif');
  const files = {};
  for (const [key, size] of [
    ['1 MiB', MiB],
    [`${fmtSize(bigBytes)}`, bigBytes],
  ]) {
    const file = path.join(work, `partition-${size}.sif`);
    // zero fill: written sparse, so a 1 GiB partition costs no disk; its size is what the reader must not read
    await sampleSif(file, { partition: { data: { size }, fsType: 1, partType: 2, arch: 'amd64' } });
    const info = await readSif(file);
    notes.push(
      `readSif bytesRead, ${key} partition: ${info.bytesRead} bytes (${fmt(info.bytesRead / 1024, 1)} KiB)${key === '1 MiB' ? '' : ` -> target < 1 MiB: ${verdict(info.bytesRead < MiB)}`}`,
    );
    if (key !== '1 MiB') rows.bytesRead = info.bytesRead;
    files[key] = file;
  }
  const [smallKey, bigKey] = Object.keys(files);
  // `add` (a move) puts them in the storage layout, as any image (untimed; it hashes the file once)
  await measure(...sregistry(['add', files[smallKey], '--name', 'bench/sif-small:latest']), h);
  await measure(...sregistry(['add', files[bigKey], '--name', 'bench/sif-big:latest']), h);
  await compare(
    'sif',
    [
      {
        label: `inspect, ${bigKey} partition`,
        baselineLabel: `inspect, ${smallKey} partition`,
        baseline: sregistry(['inspect', 'bench/sif-small:latest']),
        sregistry: sregistry(['inspect', 'bench/sif-big:latest']),
        target: { kind: 'ratio', value: 1.5 },
      },
    ],
    h,
  );
}

// 4. add --copy ----------------------------------------------------------------------------------------------
async function add() {
  const h = cliHome('add');
  const source = path.join(work, 'random.img');
  log(`writing ${fmtSize(bigBytes)} of random bytes to ${source}`);
  await writeRandomFile(source, bigBytes, 7);
  const copy = path.join(work, 'add', 'copy.img');
  const name = 'bench/big:latest';
  // cp, then the hash of the copy, as `add --copy` hashes and copies. GNU coreutils' sha256sum does not use the
  // CPU's SHA extensions (about 4-5x slower than OpenSSL here), so `openssl dgst -sha256` is a second baseline.
  const baseline = (hasher) => async () => {
    const cp = await measure('cp', [source, copy]);
    const sum = await measure(hasher[0], [...hasher.slice(1), copy]);
    return { seconds: cp.seconds + sum.seconds, cpuSeconds: cp.cpuSeconds === undefined ? undefined : cp.cpuSeconds + sum.cpuSeconds };
  };
  const hashers = [['cp + sha256sum', ['sha256sum']]];
  if (commandExists('openssl')) hashers.push(['cp + openssl dgst -sha256', ['openssl', 'dgst', '-sha256']]);
  // a copy of random bytes is not a SIF: `add` warns and adds it, as the original accepted any file
  await compare(
    'add',
    hashers.map(([label, hasher]) => ({
      label: `add --copy ${fmtSize(bigBytes)}`,
      baselineLabel: label,
      baseline: baseline(hasher),
      sregistry: sregistry(['add', '--copy', source, '--name', name]),
      target: { kind: 'ratio', value: 1.3 },
    })),
    h,
    {
      // the next run starts from the same state (untimed): no copy, no record
      between: async (_pair, side) => {
        if (side !== 'sreg') rmSync(copy, { force: true });
        if (side !== 'base') await measure(...sregistry(['rmi', name]), h);
      },
    },
  );
  if (existsSync(copy)) rmSync(copy);
}

// report -----------------------------------------------------------------------------------------------------
// 5. Journal mode of the catalogue ------------------------------------------------------------------------------
/** One catalogue write through the CLI (an `add --copy` that updates its row) in each journal mode. */
async function journal() {
  const sample = path.join(work, 'journal.sif');
  await sampleSif(sample);
  const wal = cliHome('journal-wal');
  wal.env = { ...wal.env, SREGISTRY_DATABASE_WAL: '1' };
  const rollback = cliHome('journal-rollback');
  const args = ['add', sample, '--name', 'bench/journal:latest', '--copy'];
  await compare(
    'journal',
    [
      {
        label: 'add --copy, rollback journal',
        baselineLabel: 'same, WAL catalogue',
        baseline: sregistry(args),
        sregistry: () => measure(...sregistry(args), rollback),
      },
    ],
    wal,
  );
  const mode = (h) => {
    const Sqlite = require('better-sqlite3');
    const db = new Sqlite(h.db, { readonly: true });
    try {
      return db.pragma('journal_mode', { simple: true });
    } finally {
      db.close();
    }
  };
  notes.push(`journal: the catalogues' journal modes were ${mode(rollback)} (measured) and ${mode(wal)} (baseline)`);
}

function commandExists(command) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, command)));
}

function fmtSize(bytes) {
  return bytes >= 1024 * MiB ? `${fmt(bytes / 1024 / MiB, bytes % (1024 * MiB) ? 1 : 0)} GiB` : `${fmt(bytes / MiB, 0)} MiB`;
}

function verdict(ok) {
  return ok === undefined ? '-' : ok ? 'met' : 'MISSED';
}

function report() {
  const header = [
    'section',
    'measure',
    'baseline',
    'baseline s',
    'sregistry s',
    'ratio',
    'target',
    'result',
    'baseline CPU s',
    'sregistry CPU s',
    'peak RSS MB',
  ];
  const cells = rows.map((r) => [
    r.section,
    r.label,
    r.baselineLabel,
    fmt(r.base, 3),
    fmt(r.sreg, 3),
    `${fmt(r.ratio)}x`,
    r.target,
    verdict(r.met),
    fmt(r.baseCpu),
    fmt(r.sregCpu),
    fmt(r.rssMb, 0),
  ]);
  const table = markdownTable(header, cells);
  const out = [];
  out.push(`sregistry local benchmark — ${new Date().toISOString()}`);
  out.push(machineLine(loadAtStart));
  out.push(
    `command: node bench/local.mjs --rounds ${rounds} --only ${only.join(',')}; medians of ${rounds} alternating rounds; RSS: ${rssSource}, max over rounds`,
  );
  out.push('');
  out.push(...table);
  out.push('');
  for (const n of notes) out.push(n);
  process.stdout.write(`${out.join('\n')}\n`);
  if (opts.json)
    writeFileSync(
      opts.json,
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rounds, results: rows, bytesRead: rows.bytesRead, notes }, null, 2)}\n`,
    );
}
