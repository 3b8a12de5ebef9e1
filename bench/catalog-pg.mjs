#!/usr/bin/env node
// Team catalogue benchmark: the catalogue on PostgreSQL side by side with the same catalogue in SQLite, in one run.
// See docs/team-catalogue.md ("Figures") and docs/performance.md.
//
//   node bench/catalog-pg.mjs [--rounds 7] [--only read,adds] [--images 10000] [--adds 8] [--json out.json] [--keep]
//
// read : `images`, `images <query>`, `get` and `inspect` on a 10,000-image catalogue in PostgreSQL (the testkit's
//        PostgreSQL 15 on 127.0.0.1, fsync on) vs the same rows in a SQLite file (the baseline): tables made by the
//        built core's openDatabase()/openPostgresDatabase(), the same rows loaded into both; every image path is a
//        real SIF (hard links of one sample). Both print the same; each takes the fast path (no oclif, no TypeORM).
// adds : 8 concurrent `add --copy` of distinct small SIFs from two nodes (two homes, one database, one storage
//        folder; each node in its own host name and pid namespace when unshare works, i.e. as root), on PostgreSQL
//        vs the same 8 into one SQLite catalogue from one node. Throughput in adds/s, then a consistency check:
//        8 rows, each file present with its sha256, no temp file or intent left.
// Options other than these (when bench/run.sh passes its arguments to every bench) are ignored.
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { homeEnv } from './lib/home.mjs';
import { measure, median, rssSource } from './lib/measure.mjs';
import { cpuMedian, fmt, machineLine, markdownTable } from './lib/report.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'packages', 'cli', 'bin', 'run.js');
const CORE = path.join(ROOT, 'packages', 'core');
const require = createRequire(path.join(CORE, 'package.json'));
const { openDatabase, openPostgresDatabase, sha256File } = require(path.join(CORE, 'dist', 'catalog', 'index.js'));
const testkit = require(path.join(ROOT, 'packages', 'testkit', 'dist', 'index.js'));
const RECORDER = path.join(ROOT, 'packages', 'cli', 'test', 'fixtures', 'record-modules.cjs');

const SECTIONS = ['read', 'adds'];
const { values: opts } = parseArgs({
  strict: false,
  options: {
    rounds: { type: 'string', default: '7' },
    only: { type: 'string', default: SECTIONS.join(',') },
    images: { type: 'string', default: '10000' },
    adds: { type: 'string', default: '8' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const rounds = Number(opts.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, got ${opts.rounds}`);
const only = opts.only.split(',').map((s) => s.trim());
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only takes ${SECTIONS.join(',')}, got ${s}`);
const imageCount = Number(opts.images);
const addCount = Number(opts.adds);
if (addCount % 2) throw new Error('--adds takes an even number (half from each node)');

const available = testkit.postgresAvailable();
if (!available.ok) throw new Error(available.reason);

const work = mkdtempSync(path.join(os.tmpdir(), 'sregistry-bench-pg-'));
const log = (line) => process.stderr.write(`${line}\n`);
const loadAtStart = os.loadavg();
const rows = [];
const notes = [];
let pg;
function node(name, env = {}) {
  const home = path.join(work, name);
  const cwd = path.join(home, 'work');
  mkdirSync(cwd, { recursive: true });
  return { home, cwd, env: { ...homeEnv(home), ...env } };
}

const sregistry = (args) => [process.execPath, [BIN, ...args]];

/** Pairs of { label, baseline: run spec, measured: run spec }, alternating which side goes first each round. */
async function compare(section, pairs) {
  for (const p of pairs) p.samples = { base: [], baseCpu: [], sreg: [], sregCpu: [], rss: [] };
  const run = (spec) => measure(spec.cmd[0], spec.cmd[1], spec.home);
  for (const p of pairs) {
    await run(p.baseline);
    await run(p.measured);
  }
  for (let round = 1; round <= rounds; round++) {
    for (const side of round % 2 ? ['base', 'sreg'] : ['sreg', 'base']) {
      for (const p of pairs) {
        const r = await run(side === 'base' ? p.baseline : p.measured);
        p.samples[side].push(r.seconds);
        p.samples[`${side}Cpu`].push(r.cpuSeconds);
        if (side === 'sreg') p.samples.rss.push(r.rssMb);
      }
    }
    log(
      `${section} round ${round}: ${pairs.map((p) => `${p.label} ${fmt(p.samples.base.at(-1))}/${fmt(p.samples.sreg.at(-1))} s`).join(', ')}`,
    );
  }
  for (const p of pairs) {
    const s = p.samples;
    rows.push({
      section,
      label: p.label,
      baselineLabel: p.baselineLabel,
      base: median(s.base),
      sreg: median(s.sreg),
      ratio: median(s.sreg) / median(s.base),
      baseCpu: cpuMedian(s.baseCpu),
      sregCpu: cpuMedian(s.sregCpu),
      rssMb: Math.max(...s.rss),
      samples: s,
    });
  }
}

// 1. Reads on 10,000 images ----------------------------------------------------------------------------------
/**
 * The same n rows for both databases, as the catalogue writes them (the original's columns, `uri` with the
 * version, metrics JSON, one date), each image a hard link of one sample SIF in the storage layout.
 */
function catalogueRows(storage, n, sample, version) {
  const collections = Array.from({ length: 100 }, (_, i) => `col${String(i).padStart(3, '0')}`);
  const containers = [];
  for (let i = 0; i < n; i++) {
    const collection = collections[i % 100];
    const name = `img${String(i).padStart(5, '0')}`;
    const tag = 'latest';
    const dir = path.join(storage, collection, name);
    mkdirSync(dir, { recursive: true });
    const image = path.join(dir, `${tag}@${version}.sif`);
    if (!existsSync(image)) linkSync(sample, image);
    const uri = `${collection}/${name}:${tag}`;
    const metrics = {
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
    };
    containers.push([
      i + 1,
      (i % 100) + 1,
      CREATED,
      JSON.stringify(metrics),
      name,
      tag,
      image,
      `${collection}/${name}`,
      `${uri}@${version}`,
      'hub',
      version,
    ]);
  }
  return { collections, containers };
}
const CREATED = '2026-01-01 00:00:00';
const CONTAINER_COLUMNS = ['id', 'collection_id', 'created_at', 'metrics', 'name', 'tag', 'image', 'url', 'uri', 'client', 'version'];

/** Bulk load (one transaction each) into tables the catalogue created; its own upsert is measured by `adds`. */
async function fillSqlite(file, rows) {
  const db = await openDatabase(file);
  await db.close();
  const Sqlite = require('better-sqlite3');
  const raw = new Sqlite(file);
  try {
    const collection = raw.prepare('INSERT INTO collection (id, name, created_at) VALUES (?, ?, ?)');
    const container = raw.prepare(
      `INSERT INTO container (${CONTAINER_COLUMNS.join(', ')}) VALUES (${CONTAINER_COLUMNS.map(() => '?').join(', ')})`,
    );
    raw.transaction(() => {
      for (const [i, name] of rows.collections.entries()) collection.run(i + 1, name, CREATED);
      for (const row of rows.containers) container.run(...row);
    })();
  } finally {
    raw.close();
  }
}

async function fillPostgres(url, rows) {
  const db = await openPostgresDatabase(url);
  await db.close();
  const pgModule = require('pg');
  const client = new pgModule.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO collection (id, name, created_at) SELECT * FROM unnest($1::int[], $2::text[], $3::timestamp[])`, [
      rows.collections.map((_, i) => i + 1),
      rows.collections,
      rows.collections.map(() => CREATED),
    ]);
    const types = ['int', 'int', 'timestamp', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'];
    const columns = CONTAINER_COLUMNS.map((_, c) => rows.containers.map((r) => r[c]));
    await client.query(
      `INSERT INTO container (${CONTAINER_COLUMNS.join(', ')}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`,
      columns,
    );
    for (const table of ['collection', 'container']) {
      await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
    }
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

/** Which heavy parts a command loaded: the fast path loads neither oclif nor TypeORM. */
async function loadedModules(args, home) {
  const out = path.join(work, `modules-${process.hrtime.bigint()}.json`);
  await measure(...sregistry(args), { ...home, env: { ...home.env, NODE_OPTIONS: `--require ${RECORDER}`, RECORD_MODULES_TO: out } });
  const modules = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(out);
  return {
    oclif: modules.some((m) => m.includes(`${path.sep}@oclif${path.sep}core${path.sep}`)),
    typeorm: modules.some((m) => m.endsWith(path.join('catalog', 'bundle.js')) || m.includes(`${path.sep}typeorm${path.sep}`)),
  };
}

async function read() {
  const sample = path.join(work, 'sample.sif');
  await testkit.sampleSif(sample);
  const version = await sha256File(sample);
  const storage = path.join(work, 'read-storage');
  const sqliteHome = node('read-sqlite', { SREGISTRY_STORAGE: storage });
  const url = await pg.createDatabase('bench_read');
  const pgHome = node('read-pg', { SREGISTRY_STORAGE: storage, SREGISTRY_DATABASE: url });

  log(`writing ${imageCount} rows into SQLite and into PostgreSQL…`);
  const rows = catalogueRows(storage, imageCount, sample, version);
  await fillSqlite(path.join(sqliteHome.home, '.singularity', 'sregistry.db'), rows);
  await fillPostgres(url, rows);
  notes.push(`read: the same ${imageCount} rows in both (tables made by the catalogue, rows loaded in one transaction each)`);

  const query = 'img00007';
  const uri = `col007/${query}:latest`;
  const pairs = [['images'], ['images', query], ['get', uri], ['inspect', uri]].map((args) => ({
    label: `${args[0]}${args[1] && args[0] === 'images' ? ' <query>' : ''} (${imageCount} images), PostgreSQL`,
    baselineLabel: 'same, SQLite',
    baseline: { cmd: sregistry(args), home: sqliteHome },
    measured: { cmd: sregistry(args), home: pgHome },
  }));
  for (const p of pairs) {
    const [base, measured] = await Promise.all([measure(...p.baseline.cmd, p.baseline.home), measure(...p.measured.cmd, p.measured.home)]);
    if (base.stdout !== measured.stdout) {
      throw new Error(`${p.label}: PostgreSQL printed something else than SQLite:\n${base.stdout}\n---\n${measured.stdout}`);
    }
  }
  for (const [args, home, kind] of [
    [['images'], pgHome, 'PostgreSQL'],
    [['get', uri], pgHome, 'PostgreSQL'],
    [['images'], sqliteHome, 'SQLite'],
  ]) {
    const loaded = await loadedModules(args, home);
    notes.push(`read: ${args.join(' ')} on ${kind} loads oclif: ${loaded.oclif}, TypeORM: ${loaded.typeorm} (the fast path loads neither)`);
  }
  await compare('read', pairs);
  const listed = await measure(...sregistry(['images']), pgHome);
  const lines = listed.stdout.split('\n').filter((l) => l.includes('@')).length;
  if (lines !== imageCount) throw new Error(`images on PostgreSQL listed ${lines} rows of ${imageCount}`);
}

// 2. Concurrent adds from two nodes --------------------------------------------------------------------------
const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--uts', '--pid', '--fork', 'true']).status === 0;

/** One `add --copy` as node `n`: in a namespace of its own (host name `node-<n>`) when unshare works. */
function addCommand(nodeName, file, name) {
  const add = [process.execPath, BIN, 'add', '--copy', file, '--name', name];
  if (!canUnshare) return [add[0], add.slice(1)];
  return ['unshare', ['--uts', '--pid', '--fork', 'sh', '-c', `hostname ${nodeName} && exec "$@"`, 'sh', ...add]];
}

async function concurrentAdds(kind, database, storage, files) {
  const nodes = ['node-a', 'node-b'].map((n) =>
    node(`${kind}-${n}-${process.hrtime.bigint()}`, { SREGISTRY_STORAGE: storage, ...(database ? { SREGISTRY_DATABASE: database } : {}) }),
  );
  if (!database) {
    // one SQLite catalogue for both: node b's home points at node a's database folder
    nodes[1].env.SREGISTRY_DATABASE = path.join(nodes[0].home, '.singularity');
  }
  const started = performance.now();
  const runs = files.map((f, i) => {
    const n = nodes[i % 2];
    return measure(...addCommand(i % 2 ? 'node-b' : 'node-a', f.file, f.name), n);
  });
  const results = await Promise.all(runs);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpu: results.reduce((s, r) => s + (r.cpuSeconds ?? 0), 0), nodes };
}

async function consistency(kind, home, storage, files) {
  const listed = JSON.parse((await measure(...sregistry(['images', '--json']), home)).stdout);
  const problems = [];
  if (listed.length !== files.length) problems.push(`${listed.length} rows, expected ${files.length}`);
  for (const f of files) {
    const row = listed.find((r) => r.uri.startsWith(`${f.name}@`));
    if (!row) problems.push(`no row for ${f.name}`);
    else if (!existsSync(row.image)) problems.push(`${f.name}: file missing`);
    else if ((await sha256File(row.image)) !== f.sha256) problems.push(`${f.name}: wrong bytes`);
  }
  const tmp = path.join(storage, '.tmp');
  const left = existsSync(tmp) ? readdirSync(tmp, { recursive: true }).filter((n) => !['journal', 'last-sweep'].includes(String(n))) : [];
  // the journal folder and the sweep marker stay; a temp, a note or an intent is a leftover
  if (left.length) problems.push(`left in .tmp: ${left.join(', ')}`);
  if (problems.length) throw new Error(`${kind}: inconsistent after concurrent adds: ${problems.join('; ')}`);
  return `${kind}: ${listed.length} rows, every file present with its sha256, nothing left in .tmp`;
}

async function adds() {
  const files = [];
  for (let i = 0; i < addCount; i++) {
    const file = path.join(work, `add-${i}.sif`);
    await testkit.sampleSif(file, { deffile: `Bootstrap: library\nFrom: bench/add-${i}\n` });
    files.push({ file, name: `bench/add-${i}:latest`, sha256: await sha256File(file) });
  }
  const samples = { sqlite: [], pg: [], sqliteCpu: [], pgCpu: [] };
  const checks = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 ? ['sqlite', 'pg'] : ['pg', 'sqlite'];
    for (const kind of order) {
      const storage = path.join(work, `adds-${kind}-${round}`);
      const database = kind === 'pg' ? await pg.createDatabase(`bench_adds_${round}`) : undefined;
      if (database) {
        // the schema is made once per database, before the clock starts (as on a site)
        const db = await openPostgresDatabase(database);
        await db.close();
      }
      const r = await concurrentAdds(kind, database, storage, files);
      samples[kind].push(r.seconds);
      samples[`${kind}Cpu`].push(r.cpu);
      if (round === rounds) checks.push(await consistency(kind === 'pg' ? 'PostgreSQL' : 'SQLite', r.nodes[0], storage, files));
    }
    log(`adds round ${round}: SQLite ${fmt(samples.sqlite.at(-1))} s, PostgreSQL ${fmt(samples.pg.at(-1))} s`);
  }
  const base = median(samples.sqlite);
  const sreg = median(samples.pg);
  rows.push({
    section: 'adds',
    label: `${addCount} concurrent add --copy, two nodes, PostgreSQL`,
    baselineLabel: `same, one SQLite file`,
    base,
    sreg,
    ratio: sreg / base,
    baseCpu: median(samples.sqliteCpu),
    sregCpu: median(samples.pgCpu),
    rssMb: undefined,
    samples,
  });
  notes.push(
    `adds: throughput ${fmt(addCount / sreg, 1)} adds/s on PostgreSQL, ${fmt(addCount / base, 1)} adds/s on SQLite (median wall time of all ${addCount}; CPU column: all processes summed)`,
  );
  notes.push(
    `adds: nodes ${canUnshare ? 'in their own host name and pid namespaces (unshare)' : 'as plain processes (no unshare: not root)'}`,
  );
  for (const c of checks) notes.push(`adds: consistency, last round: ${c}`);
}

function report() {
  const header = [
    'section',
    'measure',
    'baseline',
    'baseline s',
    'PostgreSQL s',
    'ratio',
    'baseline CPU s',
    'PostgreSQL CPU s',
    'peak RSS MB',
  ];
  const cells = rows.map((r) => [
    r.section,
    r.label,
    r.baselineLabel,
    fmt(r.base, 3),
    fmt(r.sreg, 3),
    `${fmt(r.ratio)}x`,
    fmt(r.baseCpu),
    fmt(r.sregCpu),
    r.rssMb === undefined ? '-' : fmt(r.rssMb, 0),
  ]);
  const out = [
    `sregistry team catalogue benchmark — ${new Date().toISOString()}`,
    machineLine(loadAtStart),
    `command: node bench/catalog-pg.mjs --rounds ${rounds} --only ${only.join(',')} --images ${imageCount} --adds ${addCount}; medians of ${rounds} alternating rounds; RSS: ${rssSource}, max over rounds`,
    '',
    ...markdownTable(header, cells),
    '',
    ...notes,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ rows, notes, machine: machineLine(loadAtStart) }, null, 2));
}

// durable settings, as a site's server has them (the testkit turns fsync off for tests)
pg = await testkit.startPostgres({ settings: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' } });
notes.push(`PostgreSQL: ${(await pg.sql('SHOW server_version')).split(' ')[0]} on 127.0.0.1 (testkit startPostgres, fsync on)`);

try {
  if (only.includes('read')) await read();
  if (only.includes('adds')) await adds();
  report();
} finally {
  await pg.stop();
  if (!opts.keep) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}
