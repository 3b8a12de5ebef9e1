import fs from 'node:fs';
import path from 'node:path';
import { checkedRemoteImage } from '../backends/remote-image-check';
import type { Catalog } from '../catalog/catalog';
import { sha256File } from '../catalog/hash';
import { TargetGuard } from '../catalog/targets';
import type { RemoteImage } from '../contracts/backend';
import type { ImageName } from '../contracts/image-name';
import type { ImageRecord } from '../contracts/records';
import { isUserError, UserError } from '../errors';
import { MAX_JSON_DEPTH, printable, redactJson } from '../output/untrusted';
import { pullVerify } from '../settings/env';
// the format check only: sif/index would load the SIF reader and gzip's zlib into every pull
import { classifyPrefix, detectImageFormat } from '../sif/detect';
import { discardTemp, noteTemp, releaseTemp, removeStaleTempsBeside, siblingTemp, tempBeside } from '../storage/temp-files';
import { holdPoint, pausePoint } from '../testing-hooks';
import { downloadToFile } from '../transfer/download';
import { transferLabel } from '../transfer/progress';
import { urlOrigin } from '../transfer/redact';
import { cancelled } from '../transfer/retry';
import { withVersion } from '../uri/parse';
import { announcement } from './announce';
import type { PullEvent, PullResult } from './pull-events';
import type { Session } from './session';

export interface PullImageOptions {
  uri: string;
  /** --name: file to write (with --no-cache) or custom storage destination */
  name?: string;
  noCache?: boolean;
  force?: boolean;
  /** skip md5/sha256 checks against the service's manifest */
  noVerify?: boolean;
  /** decompress gzip'd legacy images after the download */
  gunzip?: boolean;
  /** verify the image's signatures before keeping it (default: SREGISTRY_PULL_VERIFY) */
  verify?: boolean;
  /** public key files for that, besides the keyring */
  keyFiles?: string[];
  /** --arch: the architecture to pull, for backends that store one image per architecture */
  arch?: string;
  signal?: AbortSignal;
  /**
   * Called with each step (the announce line, progress, warnings, the result); nothing is printed without it.
   * `pullPrinter(session.out)` prints what `sregistry pull` prints.
   */
  onEvent?: (event: PullEvent) => void;
}

/**
 * The file a pull without a catalogue (--no-cache, SREGISTRY_DISABLE) writes into the current folder, for every
 * backend: `<collection>-<name>:<tag>.sif` of the name the backend catalogues under. The original did this for
 * registry pulls but used the storage basename (`<name>:<tag>@<version>.sif`) for the hub; one rule that does not
 * depend on a version (unknown before a registry download) is easier to script against.
 */
function noCacheName(name: ImageName): string {
  return `${name.collection}/${name.image}:${name.tag}.sif`.replace(/\//g, '-');
}

/**
 * The file --name names. `dir/` (a trailing slash) or an existing folder names a folder, as for cp and mv: the
 * image goes into it (made when missing, as missing parent folders of a file are) under the --no-cache file name,
 * never into a file called `dir`.
 */
async function fileNamed(name: string | undefined, image: ImageName): Promise<string | undefined> {
  if (name === undefined) return undefined;
  // asynchronous, as the lstat in pullImage (see there)
  const folder = /[\\/]$/.test(name) || (await fs.promises.stat(name).catch(() => undefined))?.isDirectory();
  return folder ? path.join(name, noCacheName(image)) : name;
}

/** Makes --name's folder and the missing ones above it; one of them that is a file is said so, not EEXIST. */
async function makeFolder(dir: string): Promise<void> {
  try {
    await fs.promises.mkdir(dir, { recursive: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw error;
    for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
      const found = await fs.promises.stat(d).catch(() => undefined);
      if (found && !found.isDirectory()) {
        throw new UserError(`${d} is a file, not a folder`, { fix: 'give a folder, or a path inside one, as --name', code: 'ENODIR' });
      }
    }
    throw error;
  }
}

/**
 * `pull <uri>`: the backend resolves the name, the core streams the bytes into a temporary file (hashing on the
 * way), checks them, and only then places the file and writes the record. An interrupted pull leaves no file
 * where the user would use it and no record.
 */
export async function pullImage(session: Session, options: PullImageOptions): Promise<PullResult> {
  const emit = options.onEvent ?? (() => {});
  // read before any download: a SREGISTRY_PULL_VERIFY that is no yes/no word is refused, not taken for "no"
  const verify = options.verify ?? pullVerify(session.env);
  const active = await session.backend(options.uri);
  if (!active.backend.resolve) {
    throw new UserError(`pull is not implemented for ${active.name}`, { fix: 'use a backend that can pull: sregistry backend ls' });
  }
  if (options.name !== undefined && options.name.trim() === '') {
    throw new UserError('--name is empty', { fix: 'give the file to write, or leave --name out', code: 'EUSAGE' });
  }
  const useCatalog = !options.noCache && !session.databaseDisabled;
  emit({ type: 'announce', ...announcement(session, active) });
  const requested = active.parse(options.uri);
  let refused = false;
  const resolving = Promise.resolve(active.backend.resolve(requested, { signal: options.signal, arch: options.arch })).catch(
    (error: unknown) => {
      refused = true;
      throw error;
    },
  );
  // The catalogue opens (its modules load, SQLite opens) while the service answers, from the next turn of the
  // event loop, when the request is on its way: 3-8 ms of every pull. As with the original, which opens it when
  // the client starts, a pull the service refuses later has created it; one refused at once has not. A failure
  // to open is reported after the service's, as when it opened second.
  const opening = useCatalog
    ? new Promise<void>((ready) => setImmediate(ready)).then(() => (refused ? undefined : session.catalog('pull')))
    : undefined;
  opening?.catch(() => {});
  // checked before anything is written: a name no command can type would be stored for good
  const remote: RemoteImage = checkedRemoteImage(session.backends, active.name, await resolving);

  // Where the bytes go: a temporary file next to the final place, so the final rename is atomic.
  const named = await fileNamed(options.name, remote.name);
  let finalPath: string | undefined;
  let temp: string;
  const catalog = await opening;
  if (useCatalog) {
    if (named) finalPath = path.resolve(named);
    temp = finalPath ? tempBeside(finalPath) : await catalog!.storage.tempPath(remote.name.image);
  } else {
    finalPath = path.resolve(named ?? noCacheName(remote.name));
    temp = tempBeside(finalPath);
  }
  const wanted = remote.name;
  const isThisImage = (r: ImageRecord) =>
    r.collection === wanted.collection &&
    r.name === wanted.image &&
    r.tag === wanted.tag &&
    (remote.version === undefined || r.version === remote.version);
  if (catalog && remote.otherSource) await refuseOtherSource(catalog, active.name, remote, options.uri);
  // the version it will be catalogued under, when the service says it before the download
  const expectedVersion = remote.version ?? remote.sha256?.toLowerCase();
  if (catalog && !finalPath && expectedVersion !== undefined && !options.force) {
    // a file no image owns where this one is stored: refused now rather than after the download (catalog.add
    // checks again once the bytes are here)
    const stored = catalog.storage.pathFor({ ...wanted, version: expectedVersion });
    const found = await fs.promises.lstat(stored).catch(() => undefined);
    if (found && !(await mayBeThisImage(found, stored, remote)))
      await catalog.targets.check(stored, { purpose: 'pull', mayOwn: isThisImage });
  }
  // the record this pull would update keeps its file in another storage folder (a team catalogue used with a
  // storage of one's own): refused now rather than after the download (catalog.add checks again)
  if (catalog && expectedVersion !== undefined && !options.force) {
    const dest = finalPath ?? catalog.storage.pathFor({ ...wanted, version: expectedVersion });
    await catalog.refuseOtherStorage(
      await catalog.find(withVersion(wanted, expectedVersion)),
      withVersion(wanted, expectedVersion).uri,
      dest,
    );
  }
  // a file at --name that no image owns, kept unless the download has its very bytes (then nothing is lost)
  let unowned: { path: string; size: number; sha256?: string } | undefined;
  if (finalPath) {
    // asynchronous on purpose: Node 20's realpathSync reads the shared buffer of the last synchronous stat, so
    // a sync lstat of a FIFO here made the next require() resolve symlinked packages wrongly
    const found = await fs.promises.lstat(finalPath).catch(() => undefined);
    const exists = found !== undefined;
    // an existing file may be another image's: without the catalogue open, open it to know (only then, and only
    // when there is a database: --no-cache must not create one, and without one no image owns any file)
    const guard =
      catalog?.targets ??
      (exists && session.hasCatalogue()
        ? (await session.catalog('pull')).targets
        : new TargetGuard(undefined, session.paths.storageDir, session.paths.databaseFile));
    let force = options.force;
    if (found?.isFile() && !options.force) {
      const owners = await guard.recordsUsing(finalPath, found);
      // this image's own file (pulled to this --name before): a re-pull refreshes it, as one to the storage path
      // does; another image's file is refused by the guard below
      if (owners.length > 0 && owners.every(isThisImage)) force = true;
      else if (owners.length === 0) {
        unowned = await unownedFile(finalPath, found, remote, options.gunzip);
        force = true;
      }
    }
    await guard.check(finalPath, { purpose: 'pull --name', force, mayOwn: isThisImage });
    await makeFolder(path.dirname(finalPath));
    const removed = await removeStaleTempsBeside(finalPath);
    if (removed > 0)
      emit({ type: 'debug', message: `removed ${removed} partial file(s) that an interrupted pull left beside ${finalPath}` });
  }
  // a temp beside a --name destination is noted in storage's .tmp, where the next command's sweep finds it
  const ledger = finalPath ? catalog?.storage.tempDir : undefined;
  await noteTemp(ledger, temp);

  const label = transferLabel('pull', remote.name);
  const cleanup = () => discardTemp(ledger, temp);
  // what could not be checked, said once the image is kept: a pull refused later says one line, not two
  let unchecked: string | undefined;
  try {
    const result = await downloadToFile({
      url: remote.url,
      headers: remote.headers,
      insecure: remote.insecure,
      dest: temp,
      // the md5 exists only to be checked, and costs more than the sha256 (no CPU support for it)
      hashes: remote.md5 && !options.noVerify ? ['sha256', 'md5'] : ['sha256'],
      expectedSize: remote.size,
      parts: remote.parts,
      onProgress: (done, total) => emit({ type: 'progress', label, done, total }),
      onHead: async (head, announced) => {
        unchecked = await checkHead(remote, head, announced);
      },
      signal: options.signal,
      debug: (message) => emit({ type: 'debug', message }),
    });
    emit({ type: 'progress-end' });
    pausePoint('pull-downloaded');
    await holdPoint('pull-downloaded-held', options.signal);
    if (!options.noVerify) verifyDigests(remote, result);
    let sha256 = result.sha256;
    let size = result.size;
    let format = (await detectImageFormat(temp)).format;
    // the download's writer fsynced it (FileSink.finish); the unpacked copy below is not
    let synced = true;
    await mustBeWholeSif(temp, format, remote);
    if (format === 'gzip' && options.gunzip) {
      synced = false;
      const unpackedPath = siblingTemp(temp);
      await noteTemp(ledger, unpackedPath);
      // zlib and the unpacking stream only for the legacy images that need them
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { gunzipFile } = require('./gunzip') as typeof import('./gunzip');
      const unpacked = await gunzipFile(temp, unpackedPath).catch(async (error) => {
        await discardTemp(ledger, unpackedPath);
        throw error;
      });
      await cleanup();
      temp = unpacked.path;
      sha256 = unpacked.sha256;
      size = unpacked.size;
      format = (await detectImageFormat(temp)).format;
      await mustBeWholeSif(temp, format, remote);
      if (!options.noVerify && remote.manifest.expectGunzippedMd5 && unpacked.md5 !== String(remote.manifest.expectGunzippedMd5)) {
        throw new UserError(
          `the unpacked image's md5 ${unpacked.md5} does not match the service's version ${remote.manifest.expectGunzippedMd5}`,
          {
            fix: 'pull again; use --no-verify only if you trust the source',
            code: 'EDIGEST',
          },
        );
      }
    } else if (format === 'gzip') {
      emit({ type: 'warning', message: 'this is a gzip-compressed legacy image; pull it with --gunzip to store it unpacked' });
    }

    if (remote.expectArch && format === 'sif') await warnOtherArch(emit, temp, remote, remote.expectArch);
    if (verify) {
      // the signature code (OpenPGP, DSSE, the keyring) loads only for pulls that verify signatures
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { verifyPulled } = require('./verify') as typeof import('./verify');
      const verified = await verifyPulled(session, temp, remote.name.uri, { verify: true, keyFiles: options.keyFiles });
      if (verified) emit({ type: 'info', message: verified });
    }
    if (unowned && !(await sameBytesAs(unowned, size, sha256))) throw imageExists(unowned.path);
    // the download was private while incomplete (0600); the finished image gets the user's usual mode
    fs.chmodSync(temp, 0o666 & ~process.umask());
    const version = ownVersion(remote, result.sha256, emit) ?? sha256;
    const name = withVersion(remote.name, version);
    if (unchecked) emit({ type: 'warning', message: unchecked });
    if (!catalog) {
      fs.renameSync(temp, finalPath!);
      await releaseTemp(ledger, temp);
      const pulled = { path: finalPath!, uri: name.uri, version, backend: active.name, size, sha256, format, cached: false };
      emit({ type: 'done', result: pulled, shown: named ?? noCacheName(remote.name) });
      return pulled;
    }
    pausePoint('pull-before-catalog');
    const added = await catalog.add({
      file: temp,
      name,
      client: active.name,
      version,
      sha256,
      url: remote.sourceUrl ?? remote.url,
      metrics: { manifest: storableManifest(emit, remote.manifest), format, size },
      dest: finalPath,
      synced,
      purpose: finalPath ? 'pull --name' : 'pull',
      force: options.force,
    });
    await releaseTemp(ledger, temp);
    const pulled: PullResult = {
      path: added.path,
      uri: added.record.uri ?? name.uri,
      version,
      backend: active.name,
      size,
      sha256,
      format,
      created: added.created,
      cached: true,
    };
    emit({ type: 'done', result: pulled });
    return pulled;
  } catch (error) {
    emit({ type: 'progress-end' });
    await cleanup();
    // Ctrl-C after the last byte: the signal's handler has already removed the temp file, so whatever step came
    // next fails on a missing file; the user pressed Ctrl-C, and that is what the command says (exit 130)
    if (options.signal?.aborted && !(isUserError(error) && error.code === 'ECANCELLED')) throw cancelled(options.signal, 'pull');
    throw error;
  }
}

/**
 * A pull whose catalogue name holds a record of this backend pulled from another source (an OCI tag that differs
 * only in case, `:V1` and `:v1`): refused before anything is fetched or written, as both would be one name and
 * `get` of it would give whichever was catalogued last (the backend's `otherSource` tells them apart).
 */
async function refuseOtherSource(catalog: Catalog, client: string, remote: RemoteImage, uri: string): Promise<void> {
  const wanted = remote.name;
  const local = `${wanted.collection}/${wanted.image}:${wanted.tag}`;
  const held = (await catalog.list(wanted.image)).filter(
    (r) => r.client === client && r.collection === wanted.collection && r.name === wanted.image && r.tag === wanted.tag,
  );
  for (const record of held) {
    const other = remote.otherSource?.(record);
    if (other === undefined) continue;
    throw new UserError(
      `${printable(uri)} would be catalogued as ${local}, which holds the pull of ${printable(other)} (${printable(record.uri ?? local)}); names that differ only in case cannot share one catalogue name`,
      {
        fix: `pull it outside the catalogue with --no-cache (--name <file> to choose the file), or rename the image catalogued first: sregistry rename ${printable(record.uri ?? local)} <new name>`,
        code: 'ENAMETAKEN',
      },
    );
  }
}

/**
 * Bytes that begin as a SIF must be a whole SIF: the header, the descriptor table, every object and the data area
 * inside the file. Whatever the backend, a server that gives no digest (or a digest of a damaged push) leaves
 * nothing else to stop a cut-off image from being catalogued as a success and failing at its first use. A backend
 * that promised a SIF (`remote.format`) also has bytes of another kind refused: the registry's digest is of
 * whatever was pushed under the SIF type. Checked with --no-verify too (the file is of no use either way); the
 * caller removes the temp file.
 */
async function mustBeWholeSif(temp: string, format: string, remote: RemoteImage): Promise<void> {
  const promised = remote.format === 'sif';
  if (format !== 'sif' && !promised) return;
  const origin = urlOrigin(remote.url);
  const refuse = (what: string) =>
    promised
      ? new UserError(`the image ${remote.name.uri} from ${origin} is not a valid SIF (${what}); nothing was kept`, {
          fix: 'the registry holds other bytes under the SIF type: ask whoever pushed it to push a SIF again',
          code: 'ENOTSIF',
        })
      : new UserError(`the image ${remote.name.uri} from ${origin} is not a whole SIF (${what}); nothing was kept`, {
          fix: 'pull it again; if this repeats, the service holds a damaged image: ask whoever pushed it to push it again',
          code: 'EBADSIF',
        });
  if (format !== 'sif') throw refuse(format === 'unknown' ? 'not an image format sregistry knows' : `a ${format} file`);
  // header and descriptors only: the metadata and signature parts of the SIF reader stay unloaded for a pull
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { checkSifStructure } = require('../sif/structure') as typeof import('../sif/structure');
  await checkSifStructure(temp).catch((error: unknown) => {
    // the reader's reason without the temp file's path, which is not where the image will be
    const why = isUserError(error) ? / is not a valid SIF file: (.*)$/.exec(error.message)?.[1] : undefined;
    // a SIF version this reader does not know is not a damaged file: only a promised SIF must be one it reads
    if (!promised && why?.startsWith('unsupported SIF version')) return;
    throw refuse(why ?? 'its header cannot be read');
  });
}

/**
 * `pull --arch` for an image the service could not choose by architecture (`remote.expectArch`): a SIF built for
 * another architecture is kept, as asked, but the user hears that the flag did not pick it.
 */
async function warnOtherArch(emit: (event: PullEvent) => void, temp: string, remote: RemoteImage, asked: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readSif } = require('../sif/read-sif') as typeof import('../sif/read-sif');
  const arch = (await readSif(temp).catch(() => undefined))?.arch;
  // a SIF that names no architecture (or one this reader does not know) is not said to differ
  if (!arch || !/^[a-z0-9_]+$/.test(arch) || arch === asked.toLowerCase()) return;
  emit({
    type: 'warning',
    message: `--arch ${printable(asked, { max: 40 })} could not choose: ${printable(remote.name.uri)} from ${urlOrigin(remote.url)} is a single image, not one per architecture, and it is built for ${arch}`,
  });
}

/**
 * The first bytes of the download, before the rest is awaited. When the service gives no digest, nothing else
 * stands between the user's catalogue and a login page, an empty answer or an endless stream: so the bytes must
 * at least be an image. An image that cannot be checked for its content is said so: the warning is returned, to be
 * shown once the image is kept. (With a digest the check at the end decides; --no-verify is the user's own choice
 * to skip it.)
 */
async function checkHead(remote: RemoteImage, head: Buffer, announced: number | undefined): Promise<string | undefined> {
  if (remote.md5 || remote.sha256) return undefined;
  const origin = urlOrigin(remote.url);
  const size = announced ?? remote.size ?? Number.MAX_SAFE_INTEGER;
  const info = await classifyPrefix(head, size, async (offset, length) => head.subarray(offset, offset + length));
  if (info.format !== 'unknown') {
    // a legacy gzip build's digest is of the unpacked image: checked with --gunzip, and the pull says to use it
    if (remote.manifest.expectGunzippedMd5) return undefined;
    // whatever the service put in place of a digest (null, "garbage", a path), the user is told that the content
    // went unchecked, as the README promises
    return announced === undefined && remote.size === undefined
      ? `${origin} did not say how large the image is and gave no digest: nothing can check this download`
      : `${origin} gave no digest for the image: its size and format are checked, its content cannot be`;
  }
  const what =
    head.length === 0
      ? 'is empty'
      : /^\s*</.test(head.subarray(0, 256).toString('latin1'))
        ? 'is a web page, not an image'
        : 'is not an image';
  throw new UserError(`the download from ${origin} ${what}, and the service gave no digest to check it against`, {
    fix: 'check the registry address and your access to it (a login page or a proxy may answer instead); nothing was stored',
    code: 'ENOTIMAGE',
  });
}

/**
 * The manifest as the catalogue keeps it: credential-shaped values masked (a library push leaves `pushSecret`
 * in the metadata), and a hostile nesting cut short so that writing the intent and the row cannot overflow.
 */
function storableManifest(emit: (event: PullEvent) => void, manifest: RemoteImage['manifest']): unknown {
  return redactJson(manifest, () =>
    emit({
      type: 'warning',
      message: `the service's manifest is nested deeper than ${MAX_JSON_DEPTH} levels: the catalogue keeps it cut there`,
    }),
  );
}

/** The original's line for an existing file at --name (a folder or a device is refused by the guard, --force or not). */
function imageExists(file: string): UserError {
  return new UserError(`Image exists! ${file}`, { fix: 'remove it first, or use --force to overwrite', code: 'EEXIST' });
}

/**
 * A file no image owns at --name, without --force: replaced only by its very bytes, which the download's sha256
 * decides. When the service says the size or the sha256 of what it will send (and no --gunzip changes the bytes
 * kept), other bytes are refused now rather than after the download.
 */
async function unownedFile(
  file: string,
  found: fs.Stats,
  remote: RemoteImage,
  gunzip: boolean | undefined,
): Promise<{ path: string; size: number; sha256?: string }> {
  if (gunzip) return { path: file, size: found.size };
  if (remote.size !== undefined && remote.size !== found.size) throw imageExists(file);
  if (!remote.sha256) return { path: file, size: found.size };
  const sha256 = await sha256File(file);
  if (sha256 !== remote.sha256.toLowerCase()) throw imageExists(file);
  return { path: file, size: found.size, sha256 };
}

/** Whether the file found at --name holds the bytes downloaded: the sizes, then (only if equal) the sha256s. */
async function sameBytesAs(found: { path: string; size: number; sha256?: string }, size: number, sha256: string): Promise<boolean> {
  if (found.size !== size) return false;
  const now = await fs.promises.lstat(found.path).catch(() => undefined);
  if (!now?.isFile() || now.size !== size) return false;
  return (found.sha256 ?? (await sha256File(found.path))) === sha256.toLowerCase();
}

/**
 * Whether a file found where the image would be stored may hold its very bytes: the size and, when the service
 * gives it, the sha256 agree. A file of the right size without a digest to compare is left to catalog.add.
 */
async function mayBeThisImage(found: fs.Stats, file: string, remote: RemoteImage): Promise<boolean> {
  if (!found.isFile() || (remote.size !== undefined && found.size !== remote.size)) return false;
  if (remote.sha256) return (await sha256File(file)) === remote.sha256.toLowerCase();
  return remote.size !== undefined;
}

/**
 * The version to record. A service's version that is the content's sha256 (oras, library) names the file only if
 * the bytes have it: pulled with --no-verify and another hash, the file is catalogued under its own, in the same
 * form, with a warning, so the record never claims a digest its file does not have.
 */
function ownVersion(remote: RemoteImage, downloaded: string, emit: (event: PullEvent) => void): string | undefined {
  const claimed = remote.version;
  const expected = remote.sha256?.toLowerCase();
  if (!claimed || !expected || versionHex(claimed) !== expected || downloaded.toLowerCase() === expected) return claimed;
  const own = claimed.replace(/[0-9a-f]{64}$/i, downloaded.toLowerCase());
  emit({ type: 'warning', message: `the file's sha256 is ${downloaded}, not the ${claimed} the service names: catalogued as ${own}` });
  return own;
}

/** The hex digest a version names, in any of the forms services write (`<hex>`, `sha256.<hex>`, `sha256:<hex>`). */
function versionHex(version: string | undefined): string | undefined {
  return version
    ?.trim()
    .toLowerCase()
    .replace(/^sha256[.:]/, '');
}

function verifyDigests(remote: RemoteImage, result: { sha256: string; md5?: string }): void {
  const requested = versionHex(remote.requestedVersion);
  const check = (kind: string, expected: string | undefined, actual: string | undefined) => {
    if (expected && actual && expected.toLowerCase() !== actual.toLowerCase()) {
      if (requested && expected.toLowerCase() === requested) {
        throw new UserError(`the downloaded image is not the requested version ${remote.requestedVersion} (its ${kind} is ${actual})`, {
          fix: 'the service now holds another version under this name: pull it without @version to take the current one',
          code: 'EVERSION',
        });
      }
      throw new UserError(`the downloaded image's ${kind} ${actual} does not match the service's ${expected}`, {
        fix: 'pull again (the file was corrupted in transit or on the server); --no-verify skips this check',
        code: 'EDIGEST',
      });
    }
  };
  check('md5', remote.md5, result.md5);
  check('sha256', remote.sha256, result.sha256);
}
