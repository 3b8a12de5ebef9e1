/**
 * The local image catalogue: the database rows (client-spec §5) and the files in the storage folder,
 * changed together so that a crash (SIGKILL, power cut) at any moment keeps this invariant:
 *
 *   I1. every row's `image` file exists (rows whose file the user deleted by hand are theirs to fix);
 *   I2. no non-temporary file lies in the storage folder without a row, except a file whose row the user
 *       removed with `rm` while asking to keep the file.
 *
 * How: a change that touches both a file and a row first writes an intent (a JSON file in
 * `<root>/.tmp/journal/`, written whole and fsynced), then moves the file (atomic rename, or copy into a temp
 * file next to the destination + fsync + rename), then commits the row, then deletes the intent.
 * Files are placed before rows are written, and rows are deleted before files.
 *
 * Recovery (`recover()`, run by `openCatalog`) looks only at intents of processes that are no longer running:
 *   - add:    if the source still exists, place it again (copy or move as asked); then, if the destination
 *             exists, upsert the row recorded in the intent. Neither exists: nothing happened, drop it.
 *   - move:   (mv and rename) if the old file still exists, move it again; then, if the new file exists and
 *             the row still exists, apply the recorded changes (image path, and for rename the new name).
 *   - remove: delete the row if still there, then the file unless another row uses it.
 *   - sign:   nothing: it only holds the record's turn; its add and remove have intents of their own, and its
 *             signed temp copy is in the temp ledger, which the sweep empties.
 * Two changes of one record (mv, rename, rmi, sign; rm writes no intent but looks too) never overlap: each reads the
 * journal for another running change of the record once its own intent is written, and gives way (takeTurn); the
 * row is then changed only while it is still what the command read (same id, same image path, in the statement
 * itself), so a command that lost the race to one that finished changes nothing and says so.
 * Every intent is written only after all checks passed, so finishing it is what the user asked for:
 * recovery rolls forward, and it rolls back only the parts that cannot be finished (a half-written temp
 * copy is deleted, the untouched source stays). Each step is idempotent, so recovering twice, or two
 * processes recovering at once, is safe. Finally, temp files older than the age limit are deleted.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Database, type NewImageRow, RowChanged } from '../contracts/database';
import type { ImageName } from '../contracts/image-name';
import type { ImageRecord } from '../contracts/records';
import { knownCode, UserError } from '../errors';
import { shellWord } from '../output/shell-word';
import { fileSystemProblem } from '../storage/fs-errors';
import { isInside } from '../storage/layout';
import { isPlaceTaken, placeTaken } from '../storage/place';
import { createStorage, DEFAULT_TEMP_MAX_AGE_MS, type FileStorage } from '../storage/storage';
import { HOST_TAG } from '../storage/temp-files';
import { holdPoint, pausePoint } from '../testing-hooks';
import { redactUrl } from '../transfer/redact';
import { cancelled } from '../transfer/retry';
import { withVersion } from '../uri/parse';
import { openDatabase } from './database';
import type { LockWait } from './db-errors';
import { fileDigests, sha256File } from './hash';
import { type Intent, type IntentBody, Journal } from './journal';
import { inOtherStorage, otherStorageHolding } from './other-storage';
import { recordName, unreachable } from './record-name';
import { isUniqueViolation } from './retry';
import { markSwept, removeLegacyMarker, sweepDue, sweepMarkerFor } from './sweep-marker';
import { kindOf, TargetGuard } from './targets';
import { formatTimestamp } from './timestamp';
import { openPostgresDatabase } from './typeorm-lazy';

export interface CatalogAddOptions {
  /** the image file to catalogue */
  file: string;
  name: ImageName;
  /** backend name stored with the row (`hub`, `registry`, …) */
  client: string;
  /** keep `file` where it is (default: move it into storage) */
  copy?: boolean;
  /** `file`'s bytes are on disk already (its writer fsynced it and nothing wrote it since): not synced again */
  synced?: boolean;
  /** used when the name carries no `@version`; default: SHA-256 of the file */
  version?: string;
  /** the file's SHA-256 when already known (spares a second read) */
  sha256?: string;
  /** where the image came from; default `name.url` */
  url?: string;
  /** extra metadata (e.g. a server manifest), merged over the name fields */
  metrics?: Record<string, unknown>;
  /** when a new row was first catalogued (a copy keeps its original's; null: unknown); default now */
  createdAt?: Date | null;
  /** custom destination instead of the storage path */
  dest?: string;
  /** what a refused destination is called in the message (`pull --name`, `add`) */
  purpose?: string;
  /** replace a file that no image owns at the storage path (the user's --force) */
  force?: boolean;
  /** this image's own file is replaced only by the same bytes or with `force` (add; a pull refreshes it) */
  keepOwnBytes?: boolean;
  /** Ctrl-C: until the file is placed, the add is given up and nothing of it is left */
  signal?: AbortSignal;
}

export interface CatalogAddResult {
  record: ImageRecord;
  created: boolean;
  /** absolute path of the stored file */
  path: string;
  /** the file given was a symbolic link: its target's bytes were copied, link and target left as they were */
  linked: boolean;
}

export interface CatalogRemoveResult {
  /** the record's image path (null when it had none) */
  path: string | null;
  /** true when the file was deleted (rmi) */
  fileRemoved: boolean;
  /** true when the record named a file that did not exist */
  fileMissing: boolean;
}

export interface RecoveryReport {
  /** interrupted changes that were finished */
  intents: number;
  /** stale temp files deleted */
  tempFiles: number;
  /** true when the whole storage tree was walked (after a crash, or when the daily sweep was due) */
  swept: boolean;
  /** true when storage has no `.tmp` yet: nothing was ever written there, so nothing is left to sweep */
  untouched?: boolean;
  /** intents that could not be finished now (kept for the next recovery) */
  failed: { file: string; error: string }[];
}

export interface OpenCatalogOptions {
  /** the SQLite file (ignored when `databaseUrl` names a PostgreSQL database) */
  databaseFile: string;
  /** `postgresql://…`: the team catalogue in PostgreSQL, with `storageDir` on a folder every node shares */
  databaseUrl?: string;
  /** where PGPASSWORD is read from, so that it is masked in messages too (default: process.env) */
  env?: Record<string, string | undefined>;
  storageDir: string;
  /** temp files younger than this are left alone by recovery (default 24 h) */
  tempMaxAgeMs?: number;
  /** create a new database file in WAL mode (SREGISTRY_DATABASE_WAL); existing files keep their journal mode */
  wal?: boolean;
  /** how long to wait for another process's lock on the database (default 30 s), and whom to tell after 2 s */
  lockWait?: LockWait;
}

export async function openCatalog(options: OpenCatalogOptions): Promise<Catalog> {
  const postgres = options.databaseUrl !== undefined;
  const database = postgres
    ? await openPostgresDatabase(options.databaseUrl as string, { lockWait: options.lockWait, env: options.env })
    : await openDatabase(options.databaseFile, { wal: options.wal, lockWait: options.lockWait });
  const databaseFile = postgres ? undefined : options.databaseFile;
  const catalog = new Catalog(database, createStorage(options.storageDir), { databaseFile });
  try {
    const report = await catalog.recover(options.tempMaxAgeMs, { sweepMarker: sweepMarkerFor(options.storageDir) });
    if ((report.swept || report.untouched) && databaseFile) removeLegacyMarker(databaseFile);
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  return catalog;
}

export class Catalog {
  private readonly journal: Journal;
  /**
   * The sweep marker to write once this process has made `<storage>/.tmp` (its first intent): a storage without
   * it held no temp of ours, so there is nothing to sweep, and the marker lets the next reads take the plain
   * reader. A crash after that leaves the intent, and the next open sweeps. A read never makes the folder
   * (sweep-marker.ts), so it writes no marker either.
   */
  private markOnFirstWrite: string | undefined;
  /** what a command may write to (never the database, storage's hidden folders or another image's file) */
  readonly targets: TargetGuard;
  /** this process's sign intents (signing()): the add and remove it makes under them do not give way to them */
  private readonly ownTurns = new Set<string>();

  constructor(
    readonly database: Database,
    readonly storage: FileStorage,
    options: { databaseFile?: string } = {},
  ) {
    this.journal = new Journal(storage.journalDir, database.intentLiveness);
    this.targets = new TargetGuard(database, storage.root, options.databaseFile);
  }

  /** client-spec §5.2: place the file, then insert or update its row. */
  async add(options: CatalogAddOptions): Promise<CatalogAddResult> {
    let source = path.resolve(options.file);
    await requireFile(source);
    let copy = options.copy ?? false;
    // moving a symlink would store the link, not the image: its target's bytes are copied, link and target stay
    const linked = (await fs.lstat(source)).isSymbolicLink();
    if (linked) {
      source = await fs.realpath(source);
      copy = true;
    }
    const version = options.name.version ?? (options.version || undefined) ?? options.sha256 ?? (await sha256File(source));
    const named = withVersion(options.name, version);
    const dest = options.dest ? path.resolve(options.dest) : this.storage.pathFor({ ...named, version: named.version ?? '' });
    const sameImage = (r: ImageRecord) =>
      r.collection === named.collection && r.name === named.image && r.tag === named.tag && (r.version ?? '') === (named.version ?? '');
    if (!copy) {
      // moving another record's file away would leave that record pointing at nothing
      const owner = (await this.targets.recordsUsing(source)).find((r) => !sameImage(r));
      if (owner) {
        throw new UserError(`${options.file} is already catalogued as ${recordName(owner)}`, {
          fix: 'add it with --copy to catalogue a second copy, or use rename to give it another name',
          code: 'ECATALOGUED',
        });
      }
    }
    // a file at dest now is one the checks below approve replacing; one that appears later is another command's
    const approved = (await fs.lstat(dest).catch(() => undefined)) !== undefined;
    if (options.dest) await this.targets.check(dest, { purpose: options.purpose ?? 'the destination', force: true, mayOwn: sameImage });
    else if (approved) {
      // A file at the storage path that no row owns was put there by hand or by another tool: replacing it loses
      // it, unless it holds the same bytes (a catalogue made again over the same storage folder). This image's
      // own file is replaced as a pull refreshes it; with keepOwnBytes (add) only by the same bytes or --force.
      // The usual case, nothing there, costs the one lstat.
      const owners = await this.targets.recordsUsing(dest);
      const own = owners.length > 0 && owners.every(sameImage);
      if (!own || options.keepOwnBytes) {
        const replaceable = options.force || (await sameBytes(dest, source, options.sha256));
        if (!own) {
          await this.targets
            .check(dest, { purpose: options.purpose ?? 'add', force: replaceable, mayOwn: sameImage })
            .catch(async (error) => {
              // a file without its row yet: another command's add of it, between its placing and its row
              throw (await this.journal.placing(dest)) ? placeTaken(dest) : error;
            });
        }
        // Passing the check without replaceable bytes, the file is this image's own: at the first look, or its row
        // appeared between the two looks (another add of this name finishing). A pull refreshes it; an add
        // (keepOwnBytes) does not replace other bytes.
        if (!replaceable && options.keepOwnBytes) {
          throw new UserError(`${named.uri} is catalogued already, with other bytes (${dest})`, {
            fix: 'use --force to replace its file, or give the new file another version',
            code: 'EEXIST',
          });
        }
      }
    }
    // the row may now point at another file (pull --name of a stored image): the old one is removed afterwards
    const held = await this.database.find({
      collection: named.collection,
      name: named.image,
      tag: named.tag,
      version: named.version ?? '',
    });
    const previous = held?.image;
    if (!options.force) await this.refuseOtherStorage(held, named.uri, dest);
    const replaces = previous && previous !== dest && this.storage.contains(previous) ? previous : undefined;
    const row: NewImageRow = {
      collection: named.collection,
      name: named.image,
      tag: named.tag,
      version: named.version ?? '',
      image: dest,
      // a backend's source URL may carry credentials (user:password@, a signed query, a secret path segment); the
      // catalogue is read by anyone with the database file (and by the original client): keep them masked
      url: options.url !== undefined ? redactUrl(options.url) : options.name.url,
      client: options.client,
      metrics: { ...nameMetrics(options.name), ...options.metrics },
      ...(options.createdAt === undefined ? {} : { createdAt: options.createdAt && formatTimestamp(options.createdAt) }),
    };
    if (!copy) await requireMovable(options.file, source);
    const destExisted = await isFile(dest);
    let rowWritten = false;
    // another add of the same name at the same moment got there first: its file stays, this add changed nothing
    let taken = false;
    const { record, created } = await this.journaled(
      { op: 'add', source, dest, copy, row, ...(replaces ? { replaces } : {}) },
      async () => {
        try {
          await this.storage.place(source, dest, { copy, signal: options.signal, noClobber: !approved, synced: options.synced });
        } catch (error) {
          taken = isPlaceTaken(error);
          // the other command placed the very same bytes (two pulls of one image): as if this one had placed them
          if (!taken || !(await sameBytes(dest, source, options.sha256))) throw error;
          taken = false;
          if (!copy) await fs.rm(source, { force: true });
        }
        pausePoint('add-after-place-before-row');
        const result = await this.database.upsert(row);
        rowWritten = true;
        if (replaces) await this.removeIfUnused(replaces);
        return result;
      },
      async () => !taken && (await isFile(dest)),
      async () => {
        if (rowWritten || destExisted) return false; // the old file at dest is gone: only finishing helps
        if (copy) await fs.rm(dest, { force: true });
        else await this.storage.place(dest, source);
        await removeEmptyFolders(path.dirname(dest), this.storage.root);
        return true;
      },
    );
    return { record, created, path: dest, linked };
  }

  /**
   * Refuses (EOTHERSTORAGE) to point `held`, the record an add or pull of `uri` to `dest` would update, away from
   * a file of another storage folder that is still there (other-storage.ts); pull calls it before its download.
   */
  async refuseOtherStorage(held: ImageRecord | undefined, uri: string, dest: string): Promise<void> {
    if (!held?.image || held.image === dest || this.storage.contains(held.image)) return;
    const root = await otherStorageHolding(held, this.storage.root);
    if (root) throw inOtherStorage(uri, held.image, root, this.storage.root);
  }

  /** The record for collection/name/tag (and version when the name has one); the newest of several versions. */
  find(name: ImageName): Promise<ImageRecord | undefined> {
    return this.database.find({ collection: name.collection, name: name.image, tag: name.tag, version: name.version });
  }

  list(term?: string): Promise<ImageRecord[]> {
    return this.database.list(term);
  }

  /**
   * client-spec §2.8: moves the record's file to `destPath` (an existing folder keeps the file name; the
   * parent folder of a file path must exist) and records the new path.
   */
  async move(record: ImageRecord, destPath: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<ImageRecord> {
    const from = await this.existingImage(record);
    await requireOwnBytes(record, from, 'mv', this.storage.contains(from), options.signal);
    let to = path.resolve(destPath);
    const stat = await fs.stat(to).catch(() => undefined);
    // `dir/` names a folder, as for cp and mv: never a file called `dir`
    if (/[\\/]$/.test(destPath) && !stat?.isDirectory()) {
      if (stat) throw new UserError(`${to} is a file, not a folder`, { fix: 'give a folder, or a path inside one', code: 'ENODIR' });
      throw new UserError(`${to} does not exist. Ensure exists first.`, { fix: `mkdir -p ${shellWord(to)}`, code: 'ENODIR' });
    }
    if (stat?.isDirectory()) to = path.join(to, path.basename(from));
    if (to === from || (await sameFile(from, to))) {
      throw new UserError(`${destPath} is already the name.`, { fix: 'give another path', code: 'ESAMEPATH' });
    }
    const dir = path.dirname(to);
    const dirStat = await fs.stat(dir).catch(() => undefined);
    if (dirStat && !dirStat.isDirectory())
      throw new UserError(`${dir} is a file, not a folder`, { fix: 'give a folder, or a path inside one', code: 'ENODIR' });
    if (!dirStat) throw new UserError(`${dir} does not exist. Ensure exists first.`, { fix: `mkdir -p ${shellWord(dir)}`, code: 'ENODIR' });
    if (!(await writable(dir))) {
      throw new UserError(`${dir} is not writable`, { fix: 'choose a folder you can write to', code: 'EACCES' });
    }
    // a move takes the file out of its folder: a folder the user may not change is the one to name, not the
    // destination, which the copy would reach before the unlink failed
    const fromDir = path.dirname(from);
    if (!(await writable(fromDir))) {
      throw new UserError(`cannot move ${from}: its folder ${fromDir} is not writable, and a move removes the file from it`, {
        fix: "ask the folder's owner for write permission, or copy the image instead",
        code: 'EACCES',
      });
    }
    const approved = await isFile(to);
    await this.targets.check(to, { purpose: 'mv', force: options.force, mayOwn: (r) => r.id === record.id });
    if ((await this.database.findByImagePath(to)).some((r) => r.id !== record.id)) {
      throw new UserError(`Cannot move ${path.basename(from)} to ${to}`, {
        fix: 'that file belongs to another image; choose another path',
        code: 'EEXIST',
      });
    }
    return this.relocate(record, from, to, { image: to }, { signal: options.signal, replace: approved });
  }

  /**
   * client-spec §2.9: gives the record a new collection/name/tag (its version is kept) and moves the file to
   * the storage path of the new name.
   */
  async rename(record: ImageRecord, newName: ImageName, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<ImageRecord> {
    const from = await this.existingImage(record, 'its file is missing; pull it again, then rename it');
    await requireOwnBytes(record, from, 'rename', this.storage.contains(from), options.signal);
    // a rename keeps the version (it names the bytes): another one asked for is refused, not dropped in silence
    if (newName.version && newName.version.toLowerCase() !== (record.version ?? '').toLowerCase()) {
      throw new UserError(`rename keeps the version: ${record.version ?? 'none'}, not ${newName.version}`, {
        fix: `leave @${newName.version} out of the new name`,
        code: 'EBADNAME',
      });
    }
    const named = withVersion(newName, record.version ?? undefined);
    const version = named.version ?? '';
    const to = this.storage.pathFor({ ...named, version });
    const clash = await this.database.find({ collection: named.collection, name: named.image, tag: named.tag, version });
    if (clash && clash.id !== record.id && clash.client === record.client) {
      throw new UserError(`${clash.uri ?? named.uri} already exists`, { fix: 'remove it first or choose another name', code: 'EEXIST' });
    }
    // a file already at the new path (one rm kept, another image's moved there, one put there by hand) is kept,
    // as mv keeps it, unless it holds the very same bytes (as add and pull take those)
    const approved = to !== from && (await fs.lstat(to).catch(() => undefined)) !== undefined;
    if (approved) {
      const force = options.force || (await sameBytes(to, from));
      await this.targets.check(to, { purpose: 'rename', force, mayOwn: (r) => r.id === record.id });
    }
    const uri = `${named.collection}/${named.image}:${named.tag}${version ? `@${version}` : ''}`;
    const changes = { collection: named.collection, name: named.image, tag: named.tag, uri, image: to };
    return this.relocate(record, from, to, changes, { signal: options.signal, replace: approved });
  }

  /**
   * `rm` (deleteFile false: the row goes, the file stays) and `rmi` (row and file). rmi deletes only the record's
   * bytes: another file now at its path is refused unless `force` (see requireOwnBytes).
   */
  async remove(record: ImageRecord, options: { deleteFile: boolean; force?: boolean }): Promise<CatalogRemoveResult> {
    const file = record.image;
    const exists = file ? await isFile(file) : false;
    if (file && !exists) {
      // behind a folder closed to this user the file is there, not missing: rm would say it "did not exist", and
      // rmi could not delete it
      const denied = await fs.stat(file).then(
        () => undefined,
        (error: NodeJS.ErrnoException) => (error.code === 'EACCES' || error.code === 'EPERM' ? error.code : undefined),
      );
      if (denied) throw unreachable(record, file, denied);
    }
    if (!options.deleteFile || !file) {
      // not while another command moves or removes it, and only the row this command read
      await this.takeTurn(record, file, async () => undefined);
      if (!(await this.database.remove(record.id, { image: file }))) throw changedMeanwhile(record);
      return { path: file, fileRemoved: false, fileMissing: Boolean(file) && !exists };
    }
    if (!exists) {
      // something else took the file's place (a folder made at its path): never deleted, --force or not
      const found = await fs.lstat(file).catch(() => undefined);
      if (found && !found.isFile() && !found.isSymbolicLink()) {
        const uri = recordName(record);
        throw new UserError(`${file} is no longer the image ${uri} (it is ${kindOf(found)}): rmi left it alone`, {
          fix: `\`sregistry rm ${shellWord(uri)}\` drops the record and keeps what is there`,
          code: 'EFILEREPLACED',
        });
      }
    }
    if (exists && !options.force) await requireOwnBytes(record, file, 'rmi', this.storage.contains(file));
    if (exists) await requireDeletable(record, file);
    await this.journaled(
      { op: 'remove', id: record.id, file },
      () => this.finishRemove(record.id, file),
      // the file goes first: while it is there and so is the row, nothing changed and nothing is left to finish
      async () => (exists && !(await isFile(file))) || (await this.database.findByImagePath(file)).every((r) => r.id !== record.id),
      undefined,
      { record, file },
    );
    return { path: file, fileRemoved: exists, fileMissing: !exists };
  }

  /**
   * sign of a catalogued image: `work` (make the signed copy, then replace the record's file and row with it) runs
   * as the record's one change, as mv, rename, rm and rmi do. Its intent is written and the journal read first:
   * another running change of the record makes sign give way (ECHANGED, nothing made yet), and while sign runs
   * those give way to it. Without it, an rmi that finished mid-sign was followed by sign adding the signed file
   * under the removed name, and a mv or rename by a second row. `work` calls `unchanged()` right before it
   * changes the catalogue: a change that finished before sign's turn (rm, which writes no intent) fails it there.
   */
  async signing<T>(record: ImageRecord, file: string, work: (unchanged: () => Promise<void>) => Promise<T>): Promise<T> {
    await this.database.ensureWritable();
    const entry = (await this.takeTurn(record, file, () => this.beginIntent({ op: 'sign', id: record.id, file }))) as string;
    this.ownTurns.add(entry);
    const unchanged = async () => {
      if (!(await this.database.findByImagePath(file)).some((r) => r.id === record.id)) throw changedMeanwhile(record);
    };
    try {
      return await work(unchanged);
    } finally {
      this.ownTurns.delete(entry);
      await this.journal.end(entry);
    }
  }

  /**
   * For a record whose file is not where the row says: the error of the running change of it (an rmi removing its
   * file, then its row), if one runs; undefined otherwise (the file is missing).
   */
  async runningChange(record: ImageRecord): Promise<UserError | undefined> {
    const other = (await this.journal.changing(record.id, [...this.ownTurns]))[0];
    return other ? beingChanged(record, other) : undefined;
  }

  /** Finishes what interrupted processes left (see the top of this file) and removes stale temp files. */
  async recover(tempMaxAgeMs = DEFAULT_TEMP_MAX_AGE_MS, options: { sweepMarker?: string } = {}): Promise<RecoveryReport> {
    const pending = await this.journal.abandoned();
    const failed: RecoveryReport['failed'] = [];
    for (const { file, intent } of pending) {
      try {
        await this.rollForward(intent);
        pausePoint('recover-after-roll-forward');
        await this.journal.end(file);
      } catch (error) {
        // one stuck intent (say, an unreadable source) must not make the catalogue unusable; it stays for later
        await this.journal.release(file);
        failed.push({ file, error: error instanceof Error ? error.message : String(error) });
      }
    }
    // Temp files next to images need a walk of every image folder: done after a crash, and otherwise at most
    // once a day (the marker's mtime), so opening a catalogue of 10,000 images stays cheap.
    const untouched = !existsSync(this.storage.tempDir);
    if (untouched) this.markOnFirstWrite = options.sweepMarker;
    const fullSweep = pending.length > 0 || (options.sweepMarker ? sweepDue(options.sweepMarker, tempMaxAgeMs) : true);
    const tempFiles = await this.storage.cleanTemp(tempMaxAgeMs, { fullSweep });
    if (fullSweep && options.sweepMarker) markSwept(options.sweepMarker);
    return { intents: pending.length - failed.length, tempFiles, swept: fullSweep, failed, ...(untouched ? { untouched } : {}) };
  }

  close(): Promise<void> {
    return this.database.close();
  }

  private async rollForward(intent: Intent): Promise<void> {
    switch (intent.op) {
      case 'add':
        if (await isFile(intent.source)) await this.storage.place(intent.source, intent.dest, { copy: intent.copy });
        if (await isFile(intent.dest)) {
          await this.database.upsert(intent.row);
          if (intent.replaces) await this.removeIfUnused(intent.replaces);
        }
        return;
      case 'move':
        if (await isFile(intent.from)) await this.storage.place(intent.from, intent.to);
        if (await isFile(intent.to)) {
          // the row points at the old path until the change committed, at the new one afterwards
          const rows = [...(await this.database.findByImagePath(intent.from)), ...(await this.database.findByImagePath(intent.to))];
          if (rows.some((r) => r.id === intent.id)) await this.database.update(intent.id, intent.changes);
        }
        return;
      case 'remove':
        await this.finishRemove(intent.id, intent.file);
        return;
      case 'sign':
        return;
    }
  }

  private async relocate(
    record: ImageRecord,
    from: string,
    to: string,
    changes: Extract<Intent, { op: 'move' }>['changes'],
    options: { signal?: AbortSignal; replace: boolean },
  ): Promise<ImageRecord> {
    const { signal } = options;
    let rowWritten = false;
    // `replace`: the caller saw a file at `to` and approved replacing it (--force, the same bytes); one that appears
    // after the caller looked, from another command, is not replaced: this command then changed nothing
    let taken = false;
    return this.journaled(
      { op: 'move', id: record.id, from, to, changes },
      async () => {
        // across file systems a move is a copy: Ctrl-C gives it up until the file is in place
        try {
          await this.storage.place(from, to, { signal, noClobber: !options.replace });
        } catch (error) {
          taken = isPlaceTaken(error);
          throw error;
        }
        pausePoint('move-after-place-before-row');
        await holdPoint('move-placed-held');
        // only while the row is what this command read: a row that `rm` dropped meanwhile is not brought back
        // pointing at the moved file (the undo below puts the file back where rm left it)
        const updated = await this.database.update(record.id, changes, { image: from }).catch((error) => {
          if (error instanceof RowChanged) throw changedMeanwhile(record);
          // another command gave an image this name meanwhile: one line, and the undo below puts the file back
          if (!isUniqueViolation(error)) throw error;
          throw new UserError(`${changes.uri ?? to} already exists`, { fix: 'remove it first or choose another name', code: 'EEXIST' });
        });
        rowWritten = true;
        return updated;
      },
      async () => !taken && (await isFile(to)),
      async () => {
        if (rowWritten || (await isFile(from))) return false;
        // a row of another image that now uses `to` keeps its file: this one gets a copy back
        const shared = (await this.database.findByImagePath(to)).some((r) => r.id !== record.id);
        await this.storage.place(to, from, { copy: shared });
        return true;
      },
      { record, file: from },
    );
  }

  /**
   * The file, then the row. A file that cannot be deleted (a folder of another user, a read-only file system)
   * fails the command with the row and the file as they were, so no intent is left for recovery to finish: in a
   * team catalogue, another user's next command would otherwise delete what this user had no right to.
   */
  private async finishRemove(id: number, file: string): Promise<void> {
    await this.removeIfUnused(file, id);
    pausePoint('remove-after-unlink-before-row');
    // only the row of that file: recovery must not delete a row another command has moved since
    await this.database.remove(id, { image: file });
  }

  /** Deletes a file no row (but `leaving`, on its way out) points to; kept while another row uses it. */
  private async removeIfUnused(file: string, leaving?: number): Promise<void> {
    if ((await this.database.findByImagePath(file)).every((r) => r.id === leaving)) await fs.rm(file, { force: true });
  }

  /**
   * Runs a change under an intent. If it fails before anything changed (`changed` says false) the intent is
   * dropped and the error is all that remains; otherwise the intent stays for recovery to finish the change.
   */
  private async journaled<T>(
    intent: IntentBody,
    work: () => Promise<T>,
    changed: () => Promise<boolean>,
    undo?: () => Promise<boolean>,
    turn?: { record: ImageRecord; file: string },
  ): Promise<T> {
    await holdPoint(`${intent.op}-before-intent-held`);
    // a locked, read-only or full database is found out now, while nothing has changed
    await this.database.ensureWritable();
    const begin = () => this.beginIntent(intent);
    const entry = turn ? ((await this.takeTurn(turn.record, turn.file, begin)) as string) : await begin();
    let result: T;
    try {
      result = await work();
    } catch (error) {
      // a failed command changes nothing visible: undo what can be undone here (the file placed, its row not
      // written); only what cannot is left to recovery, which finishes it
      const done = await changed().catch(() => true);
      if (!done || (undo && (await undo().catch(() => false)))) await this.journal.end(entry);
      else await this.journal.release(entry);
      throw await fileSystemProblem(error);
    }
    pausePoint(`${intent.op}-before-intent-end`);
    await this.journal.end(entry);
    return result;
  }

  private async beginIntent(intent: IntentBody): Promise<string> {
    // disk full, read-only or a file in the way: one line the user can act on, not "unexpected failure"
    const file = await this.journal.begin(intent).catch(async (error) => Promise.reject(await fileSystemProblem(error)));
    if (this.markOnFirstWrite) {
      markSwept(this.markOnFirstWrite);
      this.markOnFirstWrite = undefined;
    }
    pausePoint(`${intent.op}-intent-written`);
    return file;
  }

  /**
   * A change of a record (mv, rename, rm, rmi, sign) runs alone: its intent (`begin`; rm writes none) is written, then the
   * journal is read for another running change of the same record. One found, this command gives way (its intent
   * dropped) and looks again a little later, so that of two that started together one goes on; after a second
   * the other is named. Then the row must still be what this command read (its id at `file`): another change
   * that finished meanwhile moved or removed it, and this command changes nothing.
   */
  private async takeTurn(record: ImageRecord, file: string | null, begin: () => Promise<string | undefined>): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
      const entry = await begin();
      // this process's own sign of the record is not another change: its add and remove run under it
      const others = await this.journal.changing(record.id, [entry ?? '', ...this.ownTurns]);
      const other = others[0];
      if (!other) {
        if (file === null || (await this.database.findByImagePath(file)).some((r) => r.id === record.id)) return entry;
        if (entry) await this.journal.end(entry);
        throw changedMeanwhile(record);
      }
      if (entry) await this.journal.end(entry);
      if (attempt === TURN_ATTEMPTS) throw beingChanged(record, other);
      // random, so that two commands that gave way together do not meet again
      await sleep(TURN_WAIT_MS * attempt * (0.5 + Math.random()));
    }
  }

  private async existingImage(record: ImageRecord, detail?: string): Promise<string> {
    if (record.image) {
      const found = await fs.stat(record.image).catch((error: NodeJS.ErrnoException) => error);
      if (!(found instanceof Error) && found.isFile()) return record.image;
      // another user's image in a folder closed to this one is there, not missing
      if (found instanceof Error && (found.code === 'EACCES' || found.code === 'EPERM'))
        throw unreachable(record, record.image, found.code);
    }
    // gone because an rmi is removing it right now (its file first, then its row): that command's, not missing
    const other = await this.runningChange(record);
    if (other) throw other;
    // or because one has just finished removing it (its row is gone too): that command's, not missing
    if (record.image && !(await this.database.findByImagePath(record.image)).some((r) => r.id === record.id))
      throw changedMeanwhile(record);
    const uri = recordName(record);
    throw new UserError(`${uri} not found`, { fix: detail ?? 'its file is missing; pull or add it again', code: 'ENOFILE', exitCode: 0 });
  }
}

/** How often, and how long, a change waits for another change of the same record (Catalog.takeTurn): 1 s in all. */
const TURN_ATTEMPTS = 5;
const TURN_WAIT_MS = 100;

/** The line of a command that gave way to another running change of the same record (`other`, from the journal). */
function beingChanged(record: ImageRecord, other: { op: string; pid: number; host?: string; hostTag?: string }): UserError {
  const what = other.op === 'move' ? 'moves or renames' : other.op === 'sign' ? 'signs' : 'removes';
  const where = other.hostTag === HOST_TAG || other.host === os.hostname() ? '' : ` on ${other.host}`;
  return new UserError(
    `${recordName(record)} is being changed by another command (pid ${other.pid}${where} ${what} it): nothing was changed`,
    {
      fix: 'run this again once that command has finished',
      code: 'ECHANGED',
    },
  );
}

/** The record was moved, renamed or removed by another command between this one's read and its change. */
function changedMeanwhile(record: ImageRecord): UserError {
  return new UserError(`${recordName(record)} was removed, moved or renamed by another command while this one ran: nothing was changed`, {
    fix: 'see what is there now with: sregistry images',
    code: 'ECHANGED',
  });
}

// kept beside recordName, so that sign and verify say it without loading the catalogue
export { unreachable };

/** A version that is the file's own SHA-256 by construction: the bare 64 hex digits `add` writes or checks. */
const OWN_DIGEST_VERSION = /^[0-9a-f]{64}$/;

/**
 * rmi, mv and rename act on the file at the record's path: if the user has since put another file there (a new
 * build written over a path `mv` gave the image), deleting or moving it would lose their work. Refused, with the
 * file and the row as they were, when the file is plainly not the record's bytes. What is checked, and why:
 *   - the size, when the record knows it (a pull's metrics.size; sign keeps it current): one stat, done everywhere;
 *   - the SHA-256, when the size does not settle it, only for a file outside the storage folder (the catalogue
 *     writes the storage folder; users write their own folders, where `mv` puts images) and only for a bare
 *     64-hex version in a record without metrics.size, i.e. one `add` wrote: there the version is the file's
 *     SHA-256, computed or checked by add, and sign gives the signed file its new SHA-256. A pull's version may
 *     name the download rather than the stored bytes (`--gunzip` keeps an oras or library digest; library's
 *     `sha256.<hex>` stays as is through sign; Singularity Hub's md5 is the compressed build's), so a pulled file is
 *     checked by size only, and other versions (a tag, a server's md5) are not hashes to check at all.
 * Images are gigabytes: inside storage nothing is read, outside only the add-written records are hashed.
 */
async function requireOwnBytes(
  record: ImageRecord,
  file: string,
  op: 'rmi' | 'mv' | 'rename',
  inStorage: boolean,
  signal?: AbortSignal,
): Promise<void> {
  const size = record.metrics?.size;
  const knownSize = typeof size === 'number' && Number.isSafeInteger(size) ? size : undefined;
  let why: string | undefined;
  if (knownSize !== undefined) {
    const actual = (await fs.stat(file)).size;
    if (actual !== knownSize) why = `it is ${actual} bytes, the image was ${knownSize}`;
  } else if (!inStorage && record.version && OWN_DIGEST_VERSION.test(record.version)) {
    // Ctrl-C stops the read of gigabytes: nothing has changed yet
    const digest = await fileDigests(file, ['sha256'], signal).catch((error) => {
      throw signal?.aborted ? cancelled(signal, op) : error;
    });
    if (digest.sha256 !== record.version) why = "its SHA-256 is not the image's";
  }
  if (!why) return;
  const uri = recordName(record, true);
  throw new UserError(`${file} is no longer the image ${uri} (${why}): ${op} left it alone`, {
    fix:
      `\`sregistry rm ${shellWord(uri)}\` drops the record and keeps the file` +
      (op === 'rmi' ? ', `rmi --force` deletes the file anyway' : '; add the file again to catalogue it'),
    code: 'EFILEREPLACED',
  });
}

/** The parsed-name fields the original stores as metrics (its inspect output shows exactly these). */
function nameMetrics(name: ImageName): Record<string, unknown> {
  return {
    collection: name.collection,
    image: name.image,
    original: name.original,
    registry: name.registry ?? null,
    storage: name.storage,
    tag: name.tag,
    type: 'container',
    uri: name.uri,
    url: name.url,
    version: name.version ?? null,
  };
}

async function requireFile(file: string): Promise<void> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) throw new UserError(`Cannot find ${file}`, { fix: 'check the path of the image file', code: 'ENOFILE' });
  if (!stat.isFile()) throw new UserError(`${file} is not a file`, { fix: 'give the path of an image file', code: 'ENOTFILE' });
}

/**
 * A move takes the file away from its folder: refused up front when that folder cannot be changed (a read-only
 * file system, a folder of another user), instead of copying the image into storage and failing at the unlink.
 */
async function requireMovable(given: string, source: string): Promise<void> {
  const denied = await fs.access(path.dirname(source), fs.constants.W_OK).then(
    () => undefined,
    (error: NodeJS.ErrnoException) => error.code,
  );
  if (!denied) return;
  const why = denied === 'EROFS' ? 'is on a read-only file system' : 'lies in a folder you cannot change';
  throw new UserError(`Cannot move ${given} into storage: it ${why}`, { fix: 'add it with --copy', code: knownCode(denied, 'EACCES') });
}

/**
 * Deleting a file changes its folder, not the file: a folder the user may not change (another user's, a read-only
 * file system) is named, with the operation, before anything is tried, instead of "permission denied writing
 * <file>" from the unlink.
 */
async function requireDeletable(record: ImageRecord, file: string): Promise<void> {
  const folder = path.dirname(file);
  const denied = await fs.access(folder, fs.constants.W_OK).then(
    () => undefined,
    (error: NodeJS.ErrnoException) => error.code,
  );
  if (!denied || denied === 'ENOENT') return;
  const why = denied === 'EROFS' ? 'is on a read-only file system' : 'is not writable';
  const uri = recordName(record);
  throw new UserError(`cannot delete ${file}: its folder ${folder} ${why}, and deleting a file changes its folder`, {
    fix: `ask the folder's owner for write permission, or \`sregistry rm ${shellWord(uri)}\` drops the record and keeps the file`,
    code: knownCode(denied, 'EACCES'),
  });
}

/** The folders an undone placement made (`<collection>/<name>/`), while empty, up to the storage root. */
async function removeEmptyFolders(dir: string, root: string): Promise<void> {
  for (let d = dir; isInside(root, d) && d !== root; d = path.dirname(d)) {
    if (
      !(await fs.rmdir(d).then(
        () => true,
        () => false,
      ))
    )
      return; // not empty (or not ours to remove)
  }
}

/** Whether two paths name one file (device + inode), whatever their spelling. */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([fs.stat(a).catch(() => undefined), fs.stat(b).catch(() => undefined)]);
  return Boolean(x && y && x.dev === y.dev && x.ino === y.ino);
}

/** Whether `existing` is a regular file with the bytes of `source` (whose SHA-256 may be known already). */
async function sameBytes(existing: string, source: string, sourceSha256?: string): Promise<boolean> {
  const [there, here] = await Promise.all([fs.lstat(existing).catch(() => undefined), fs.stat(source)]);
  if (!there?.isFile() || there.size !== here.size) return false;
  const [a, b] = await Promise.all([sha256File(existing), sourceSha256 ?? sha256File(source)]);
  return a === b;
}

async function isFile(file: string): Promise<boolean> {
  return (await fs.stat(file).catch(() => undefined))?.isFile() ?? false;
}

function writable(dir: string): Promise<boolean> {
  return fs.access(dir, fs.constants.W_OK).then(
    () => true,
    () => false,
  );
}
