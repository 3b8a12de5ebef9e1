#!/usr/bin/env node
// library:// benchmark: `sregistry pull`/`push` against curl on the same presigned object URLs, side by side in
// one run, on the testkit's Library API server (startLibraryServer: API and object host on two 127.0.0.1 ports,
// files streamed to and from disk). Rounds alternate which tool goes first; medians are reported.
//
//   node bench/library.mjs [--sizes 512] [--rounds 3] [--part-size BYTES] [--json results.json]
//   SREGISTRY_LIBRARY_CONCURRENCY=1 node bench/library.mjs …   (the client's SREGISTRY_LIBRARY_* settings pass through)
//
// curl pull  = GET of the presigned object URL (the 303's Location, asked for beforehand and not timed) into a
//              file: one stream, no hashing, no catalogue.
// curl push  = the upload the client makes, in one curl process: for a file above the client's multipart threshold
//              (64 MiB, SREGISTRY_LIBRARY_MULTIPART_THRESHOLD), one PUT per part (-T of the part's bytes, cut into
//              files beforehand) to the presigned part URLs with their x-amz-content-sha256 (URLs and hashes asked
//              for and computed beforehand, _multipart_complete afterwards, none of it timed); else one PUT of the
//              file to a presigned single-upload URL. The server checks each sha256 as it stores the bytes, the
//              same work for both tools. (Until 2026-12-02 curl always sent one PUT while the client took the
//              multipart path, on which the server then hashed every byte twice.)
// sregistry  = the built CLI with the library plugin linked, in a throw-away HOME, --quiet, oclif's auto-transpile of
//              linked plugins off. Pull: /v1/images, /v1/imagefile → 303 → ranged parts (3 × 5 MiB by default),
//              size and sha256 checked, into a file with --no-cache (`rmi` does not find a catalogued
//              entity/collection/container name yet, so a catalogued pull could not be undone between rounds). Push: sha256 + md5 of the file, entity →
//              image lookups, one presigned PUT up to 64 MiB, else the multipart flow with the server's part size
//              (per-part sha256), _complete and the tag; the image is removed on the server after every push
//              (untimed) so that no push is skipped as already uploaded.
// Without the library plugin (packages/backend-library) the sregistry column is skipped with a note.
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { homeEnv } from './lib/home.mjs';
import { cpuHasShaExtensions, hashRate } from './lib/limits.mjs';
import { measure, median, rssSource } from './lib/measure.mjs';
import { writeRandomFile } from './lib/random-file.mjs';
import { fmt, machineLine, markdownTable } from './lib/report.mjs';
import { expectSize, newSamples, recordRun, resultRow } from './lib/samples.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'packages', 'cli', 'bin', 'run.js');
const PLUGIN = path.join(ROOT, 'packages', 'backend-library');
const require = createRequire(import.meta.url);
const { startLibraryServer } = require(path.join(ROOT, 'packages', 'testkit', 'dist', 'index.js'));

const TARGETS = { pull: 1.2, push: 1.3, rssMb: 150 };
const MiB = 1024 * 1024;
const TINY = 4096;
const USER = 'bench';
const TOKEN = 'bench-library-token';

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '512' },
    rounds: { type: 'string', default: '3' },
    'part-size': { type: 'string' },
    json: { type: 'string' },
  },
});
const sizesMiB = opts.sizes.split(',').map((s) => Number(s.trim()));
if (sizesMiB.some((s) => !(s > 0))) throw new Error(`--sizes takes MiB numbers like 64,512, got ${opts.sizes}`);
const rounds = Number(opts.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, got ${opts.rounds}`);
const partSize = opts['part-size'] === undefined ? undefined : Number(opts['part-size']);
if (partSize !== undefined && !(Number.isInteger(partSize) && partSize >= 5 * MiB))
  throw new Error(`--part-size takes bytes, at least 5 MiB (S3's minimum), got ${opts['part-size']}`);
const withClient = existsSync(path.join(PLUGIN, 'dist', 'backend.js'));
// where the client switches to multipart uploads (push.ts MULTIPART_THRESHOLD), so that curl takes the same path
const multipartThreshold = Number(process.env.SREGISTRY_LIBRARY_MULTIPART_THRESHOLD) || 64 * MiB;
// The client's own settings (SREGISTRY_LIBRARY_CONCURRENCY, _PART_SIZE, _MULTIPART_THRESHOLD…) pass through to it,
// so their effect can be measured; base and token are the bench's.
const clientSettings = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => k.startsWith('SREGISTRY_LIBRARY_') && k !== 'SREGISTRY_LIBRARY_BASE' && k !== 'SREGISTRY_LIBRARY_TOKEN',
  ),
);

const work = mkdtempSync(path.join(os.tmpdir(), 'sregistry-bench-library-'));
const log = (line) => process.stderr.write(`${line}\n`);
const loadAtStart = os.loadavg();
let lib;

try {
  await main();
} finally {
  await lib?.stop();
  rmSync(work, { recursive: true, force: true });
}

async function sha256(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk);
  return hash.digest('hex');
}

async function main() {
  const images = [
    { label: '4 KiB', name: 'tiny', bytes: TINY },
    ...sizesMiB.map((m) => ({ label: `${m} MiB`, name: `img${m}`, bytes: m * MiB })),
  ];
  mkdirSync(path.join(work, 'files'));
  for (const [i, image] of images.entries()) {
    image.file = path.join(work, 'files', `${image.name}.sif`);
    log(`writing ${image.label} of random bytes`);
    await writeRandomFile(image.file, image.bytes, i + 1);
    image.sha256 = await sha256(image.file);
  }
  lib = await startLibraryServer({
    dataDir: path.join(work, 'server'),
    tokens: [{ token: TOKEN, owner: USER }],
    partSize,
    // the pull side: images served from the bench's files in place
    images: images.map((image) => ({ ref: `${USER}/bench/${image.name}:latest`, file: image.file })),
  });
  log(`library listening on ${lib.url}, objects on ${lib.objectUrl}`);
  const cli = withClient ? await cliHome() : undefined;

  const results = [];
  for (const image of images) {
    const seeded = findImage(`${USER}/bench/${image.name}`, image.sha256);
    const ref = `library://${USER}/bench/${image.name}:latest`;
    const pushRef = `library://${USER}/pushed/${image.name}:latest`;
    const samples = { pull: newSamples(), push: newSamples() };
    const tools = withClient ? ['curl', 'sregistry'] : ['curl'];
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 || !withClient ? tools : [...tools].reverse();
      for (const tool of order) {
        if (tool === 'curl') {
          const out = path.join(work, `${image.name}.curl`);
          const url = lib.presignDownload(seeded.id);
          recordRun(samples.pull, tool, await measure('curl', ['-s', '-f', '-o', out, url]));
          expectSize(out, image.bytes, 'curl pull');
          // untimed: what curl's file takes to reach the disk, which the client waits for before cataloguing
          image.curlFsync = [...(image.curlFsync ?? []), fsyncSeconds(out)];
          rmSync(out);
        } else {
          const out = path.join(cli.cwd, `${image.name}.pulled.sif`);
          const run = await measure(process.execPath, [BIN, 'pull', '--quiet', '--json', '--no-cache', '--name', out, ref], cli);
          const pulled = JSON.parse(run.stdout);
          expectSize(out, image.bytes, 'sregistry pull');
          if (pulled.sha256 !== image.sha256) throw new Error(`sregistry pull: sha256 ${pulled.sha256}, expected ${image.sha256}`);
          recordRun(samples.pull, tool, run);
          rmSync(out);
        }
      }
      for (const tool of order) {
        if (tool === 'curl') {
          // an image row of its own (untimed), so the PUT has a presigned URL, as POST /v2/imagefile gives it
          const target = await lib.addImage({ ref: `${USER}/curl/${image.name}:latest`, file: image.file, uploaded: false });
          if (image.bytes > multipartThreshold) {
            const upload = await curlMultipart(image, target.id);
            recordRun(samples.push, tool, upload.run);
            image.curlPushMode = upload.mode;
            if (!lib.state.images.get(target.id)?.uploaded) throw new Error('curl push: the parts did not make the image');
          } else {
            const url = lib.presignUpload(target.id);
            const run = await measure('curl', [
              '-s',
              '-f',
              '-o',
              '/dev/null',
              '-H',
              `x-amz-content-sha256: ${image.sha256}`,
              '-T',
              image.file,
              url,
            ]);
            recordRun(samples.push, tool, run);
            image.curlPushMode = 'single';
            if (lib.storedObject(target.id)?.size !== image.bytes) throw new Error('curl push: the object host did not store the file');
          }
          await lib.removeImage(target.id);
        } else {
          const run = await measure(process.execPath, [BIN, 'push', '--quiet', '--json', image.file, '--name', pushRef], cli);
          const pushed = JSON.parse(run.stdout);
          if (typeof pushed.details?.upload !== 'string' || pushed.details.upload === 'skipped')
            throw new Error(`sregistry push did not upload: ${run.stdout}`);
          image.pushMode = pushed.details.upload;
          recordRun(samples.push, tool, run);
          const stored = findImage(`${USER}/pushed/${image.name}`, image.sha256);
          if (!stored.uploaded || stored.size !== image.bytes) throw new Error('sregistry push: the image is not on the server');
          await lib.removeImage(stored.id);
        }
      }
      const pair = (s) =>
        withClient ? `curl ${fmt(s.curl.at(-1))} s / sregistry ${fmt(s.sregistry.at(-1))} s` : `curl ${fmt(s.curl.at(-1))} s`;
      log(`${image.label} round ${round}: pull ${pair(samples.pull)}, push ${pair(samples.push)}`);
    }
    for (const op of ['pull', 'push'])
      results.push({
        ...resultRow(image, op, samples[op]),
        pushMode: image.pushMode,
        curlPushMode: image.curlPushMode,
        curlFsync: median(image.curlFsync),
      });
  }
  report(results);
}

/** Seconds an fsync of `file` takes (the pull's last step before the catalogue; curl does none). */
function fsyncSeconds(file) {
  const fd = openSync(file, 'r+');
  try {
    const started = performance.now();
    fsyncSync(fd);
    return (performance.now() - started) / 1000;
  } finally {
    closeSync(fd);
  }
}

/** A Library API call with the bench's token (untimed set-up of curl's multipart upload). */
async function api(method, route, json) {
  const res = await fetch(`${lib.url}${route}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(json),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${route}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.data ?? body;
}

/**
 * curl's side of a multipart push: the session, part files and part URLs untimed; one timed curl process PUTs
 * every part (--next between them, as the client sends them one after the other); _multipart_complete untimed.
 */
async function curlMultipart(image, imageId) {
  const { uploadID, partSize, totalParts } = await api('POST', `/v2/imagefile/${imageId}/_multipart`, { filesize: image.bytes });
  if (image.parts?.size !== partSize) image.parts = { size: partSize, files: await cutParts(image.file, image.bytes, partSize) };
  const args = [];
  const headerFiles = [];
  for (let n = 1; n <= totalParts; n++) {
    const part = image.parts.files[n - 1];
    const { presignedURL } = await api('PUT', `/v2/imagefile/${imageId}/_multipart`, {
      uploadID,
      partNumber: n,
      partSize: part.size,
      sha256sum: part.sha256,
    });
    const headers = path.join(work, `part-${n}.headers`);
    headerFiles.push(headers);
    if (n > 1) args.push('--next');
    args.push('-s', '-f', '-o', '/dev/null', '-D', headers, '-H', `x-amz-content-sha256: ${part.sha256}`, '-T', part.file, presignedURL);
  }
  const run = await measure('curl', args);
  const completedParts = headerFiles.map((file, i) => {
    const etag = /^etag:\s*(.+?)\s*$/im.exec(readFileSync(file, 'utf8'))?.[1];
    rmSync(file);
    if (!etag) throw new Error(`curl push: no ETag for part ${i + 1}`);
    return { partNumber: i + 1, token: etag };
  });
  await api('PUT', `/v2/imagefile/${imageId}/_multipart_complete`, { uploadID, completedParts });
  return { run, mode: `multipart (${totalParts} parts of ${partSize} bytes)` };
}

/** The file cut into part files (untimed, once per part size), each with its sha256. */
async function cutParts(file, bytes, partSize) {
  const parts = [];
  for (let start = 0, n = 1; start < bytes; start += partSize, n++) {
    const end = Math.min(bytes, start + partSize);
    const out = `${file}.part${n}`;
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(createReadStream(file, { start, end: end - 1, highWaterMark: MiB }), tap, createWriteStream(out));
    parts.push({ file: out, size: end - start, sha256: hash.digest('hex') });
  }
  return parts;
}

/** The server's image of `entity/collection/container` with this sha256. */
function findImage(path, sha) {
  const [entity, collection, container] = path.split('/');
  const found = lib.state.lookup(entity, collection, container);
  const image = found.container && lib.state.imagesOf(found.container).find((i) => i.hash === `sha256.${sha}`);
  if (!image) throw new Error(`no image ${path} with sha256 ${sha} on the server`);
  return image;
}

async function cliHome() {
  const home = path.join(work, 'home');
  const env = {
    ...homeEnv(home),
    ...clientSettings,
    SREGISTRY_LIBRARY_BASE: lib.url,
    SREGISTRY_LIBRARY_TOKEN: TOKEN,
    NODE_OPTIONS: `--require ${path.join(import.meta.dirname, 'lib', 'no-autotranspile.cjs')}`,
  };
  const cwd = path.join(home, 'work');
  mkdirSync(cwd, { recursive: true });
  await measure(process.execPath, [BIN, 'plugins', 'link', PLUGIN, '--no-install'], { env, cwd });
  return { env, cwd };
}

function report(results) {
  const rows = results.map((r) => ({ ...r, ratio: withClient ? r.sregistry / r.curl : undefined }));
  const table = markdownTable(
    ['size', 'op', 'curl s', 'sregistry s', 'ratio', 'curl CPU s', 'sregistry CPU s', 'peak RSS MB'],
    rows.map((r) => [
      r.size,
      r.op,
      fmt(r.curl),
      fmt(r.sregistry),
      withClient ? `${fmt(r.ratio)}x` : '-',
      fmt(r.curlCpu),
      fmt(r.sregistryCpu),
      withClient ? fmt(r.rssMb, 0) : '-',
    ]),
  );
  const sha = hashRate('sha256');
  const out = [`sregistry library:// benchmark — ${new Date().toISOString()}`, machineLine(loadAtStart)];
  out.push(
    `command: node bench/library.mjs --sizes ${sizesMiB.join(',')} --rounds ${rounds}${partSize ? ` --part-size ${partSize}` : ''}; medians of ${rounds} alternating rounds; RSS: ${rssSource}, max over rounds`,
    `client settings: ${
      Object.keys(clientSettings).length
        ? Object.entries(clientSettings)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')
        : 'the defaults'
    }`,
    `server: testkit startLibraryServer in the bench's process (303 to presigned URLs on a second port; part size ${partSize ?? 'the default 524288000'}); it hashes every uploaded byte (sha256) for curl and sregistry alike`,
    `limit: one core hashes sha256 at ${fmt(sha, 0)} MiB/s (node:crypto, 64 MiB, best of 3; SHA extensions: ${cpuHasShaExtensions() ?? 'none'})`,
    '',
    ...table,
    '',
  );
  const modes = rows.filter((r) => r.op === 'push' && r.pushMode).map((r) => `${r.size}: ${r.pushMode}`);
  if (modes.length) out.push(`sregistry push uploads: ${modes.join('; ')}`);
  const curlModes = rows.filter((r) => r.op === 'push' && r.curlPushMode).map((r) => `${r.size}: ${r.curlPushMode}`);
  if (curlModes.length) out.push(`curl push uploads: ${curlModes.join('; ')}`);
  // What the protocol makes any client pay on top of curl's transfer, with the CLI's fixed cost (the 4 KiB rows
  // minus curl's). A pull checks the sha256 (on another core, overlapping the transfer) and puts the file on disk
  // (fsync) before cataloguing it. A push hashes the whole file before its first byte (the image is named by its
  // sha256, and the first part's x-amz-content-sha256 is signed into its URL); curl's hashes were made untimed.
  const fixed = (op) => {
    const tiny = rows.find((r) => r.op === op && r.bytes === TINY);
    return tiny ? Math.max(0, tiny.sregistry - tiny.curl) : 0;
  };
  for (const r of rows.filter((r) => r.bytes !== TINY && withClient)) {
    const hashS = r.bytes / MiB / sha;
    const [what, bound] =
      r.op === 'pull'
        ? [`max(curl, one sha256 pass) + fsync of curl's file ${fmt(r.curlFsync)} s`, Math.max(r.curl, hashS) + r.curlFsync]
        : [`curl + one sha256 pass ${fmt(hashS)} s`, r.curl + hashS];
    const total = bound + fixed(r.op);
    out.push(
      `${r.op} bound ${r.size}: ${what} + start-up ${fmt(fixed(r.op))} s = ${fmt(total)} s = ${fmt(total / r.curl)}x curl (sregistry ${fmt(r.ratio)}x)`,
    );
  }
  if (!withClient) {
    out.push(
      'sregistry column skipped: packages/backend-library is not built (dist/backend.js); build it (pnpm run build) to compare. Targets not judged.',
    );
  } else {
    const big = rows.filter((r) => r.bytes !== TINY);
    const verdict = (ok) => (ok ? 'met' : 'MISSED');
    for (const op of ['pull', 'push']) {
      const these = big.filter((r) => r.op === op);
      out.push(
        `target ${op} <= ${TARGETS[op]}x curl: ${these.map((r) => `${r.size} ${fmt(r.ratio)}x`).join(', ')} -> ${verdict(these.every((r) => r.ratio <= TARGETS[op]))}`,
      );
    }
    const rss = Math.max(...big.map((r) => r.rssMb));
    out.push(`target peak RSS <= ${TARGETS.rssMb} MB: max ${fmt(rss, 0)} MB -> ${verdict(rss <= TARGETS.rssMb)}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (opts.json)
    writeFileSync(
      opts.json,
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds, partSize, client: withClient, clientSettings, results: rows }, null, 2)}\n`,
    );
}
