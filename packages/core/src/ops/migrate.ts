import fs from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/index';
import { formatTimestamp } from '../catalog/lazy';
import { type DatabaseLocation, parseDatabaseLocation } from '../catalog/location';
import type { CatalogView } from '../catalog/reader';
import type { ImageName } from '../contracts/image-name';
import type { ImageRecord } from '../contracts/records';
import { isUserError, UserError } from '../errors';
import { Session } from './session';

export interface MigrateOptions {
  /** the target catalogue: `postgresql://…` (a team catalogue) or a folder (a SQLite file) */
  to: string;
  /** the target's storage folder (default: SREGISTRY_STORAGE, the current one) */
  storage?: string;
  /** report what would be copied, change nothing */
  dryRun?: boolean;
}

export interface MigrateReport {
  /** the target, as the announce line shows it (never a password) */
  to: string;
  storage: string;
  /** images whose row (and file) were copied */
  copied: string[];
  /** images the target has already, with their file: left alone */
  present: string[];
  /** rows whose file is gone from this catalogue's storage: not copied */
  missing: string[];
  dryRun: boolean;
}

/**
 * `catalog migrate --to <postgresql://…|folder>`: copies this catalogue (SREGISTRY_DATABASE and its storage)
 * into another, a user's SQLite file into the team database or back. Files are copied into the target's storage
 * at its layout's path; an image the target has already (same collection/name/tag@version, file present) is not
 * copied again, so a second run, or two users moving the same image, add nothing. This catalogue is left as it
 * was. A target storage that is this catalogue's own is refused: the two catalogues would own the same files,
 * and an `rmi` in one would delete the other's image (`--storage` defaults to SREGISTRY_STORAGE, which in a
 * team set-up is the team's folder).
 */
export async function migrateCatalog(session: Session, options: MigrateOptions): Promise<MigrateReport> {
  if (options.to.trim() === '') {
    throw new UserError('--to is empty', { fix: 'give the target: postgresql://user@host:port/db, or a folder', code: 'EUSAGE' });
  }
  if (options.storage?.trim() === '') {
    throw new UserError('--storage is empty', { fix: "give the target's storage folder", code: 'EUSAGE' });
  }
  const source = session.database;
  const target = targetLocation(options.to, session);
  const storage = path.resolve(options.storage ?? session.paths.storageDir);
  if (sameLocation(source, target)) {
    throw new UserError(`--to ${target.announce} is the catalogue being copied`, {
      fix: 'name another database (SREGISTRY_DATABASE is the one copied from)',
      code: 'ESAMEPATH',
    });
  }
  if (sameFolder(storage, session.paths.storageDir)) {
    throw new UserError(
      `the target's storage ${storage} is this catalogue's storage too (${options.storage === undefined ? '--storage defaults to SREGISTRY_STORAGE' : 'SREGISTRY_STORAGE'}): both catalogues would own the same files`,
      { fix: `give --storage a folder of the target's own, such as --storage ${suggestedStorage(target)}`, code: 'ESAMEPATH' },
    );
  }
  const from = await session.catalog('catalog migrate');
  const records = await from.list();
  // the target is opened as a command with SREGISTRY_DATABASE set to it would open it: one way to open a catalogue
  const targetSession = new Session({
    env: { ...session.env, SREGISTRY_DATABASE: options.to, SREGISTRY_STORAGE: storage },
    output: session.out,
    backends: session.backends,
  });
  const report: MigrateReport = { to: target.announce, storage, copied: [], present: [], missing: [], dryRun: Boolean(options.dryRun) };
  try {
    // a dry run only reads the target, and not at all when it does not exist yet
    const into = report.dryRun ? undefined : await targetSession.catalog('catalog migrate');
    const view: CatalogView = into ?? (targetSession.hasCatalogue() ? await targetSession.catalogView('catalog migrate') : NOTHING);
    for (const record of records) {
      const uri = record.uri ?? `${record.collection}/${record.name}:${record.tag}@${record.version ?? ''}`;
      const outcome = await copyRecord(record, view, into);
      report[outcome].push(uri);
      if (outcome === 'copied') session.out.result(`[container][${report.dryRun ? 'would copy' : 'copied'}] ${uri}`);
      else if (outcome === 'missing')
        session.out.warn(`${uri}: its file ${record.image} is gone; not copied (sregistry rm ${uri} drops the row)`);
      else session.out.info(`[container][already there] ${uri}`);
    }
  } finally {
    await targetSession.close();
  }
  session.out.info(
    `${report.copied.length} ${report.dryRun ? 'to copy' : 'copied'}, ${report.present.length} already in ${report.to}, ${report.missing.length} without their file`,
  );
  return report;
}

const NOTHING: CatalogView = { find: async () => undefined, list: async () => [] };

/** Copies one record unless the target has it; without `into` (a dry run) only says what it would do. */
async function copyRecord(record: ImageRecord, view: CatalogView, into: Catalog | undefined): Promise<'copied' | 'present' | 'missing'> {
  const version = record.version ?? '';
  const url = `${record.collection}/${record.name}`;
  const uri = `${url}:${record.tag}${version ? `@${version}` : ''}`;
  const name: ImageName = {
    original: uri,
    collection: record.collection,
    image: record.name,
    tag: record.tag,
    ...(version ? { version } : {}),
    url,
    uri,
    storage: `${uri}.sif`,
  };
  const there = await view.find(name);
  if (there && (there.version ?? '') === version && (there.image === null || fs.existsSync(there.image))) return 'present';
  if (record.image !== null && !fs.existsSync(record.image)) return 'missing';
  if (!into) return 'copied';
  const row = {
    collection: record.collection,
    name: record.name,
    tag: record.tag,
    version,
    url: record.url,
    client: record.client,
    metrics: record.metrics,
  };
  // the copy was catalogued when its original was, not now (the date `images` shows)
  const createdAt = record.createdAt;
  if (record.image === null) {
    // a row that only knows a URL: nothing to place
    await into.database.upsert({ ...row, image: null, createdAt: createdAt && formatTimestamp(createdAt) });
  } else {
    await into.add({
      file: record.image,
      name,
      copy: true,
      version,
      client: record.client,
      url: record.url ?? undefined,
      metrics: record.metrics,
      createdAt,
    });
  }
  return 'copied';
}

/** `--to` as SREGISTRY_DATABASE would be read, but a refusal names --to, the value that is wrong. */
function targetLocation(to: string, session: Session): DatabaseLocation {
  try {
    return parseDatabaseLocation(to, session.env);
  } catch (error) {
    if (isUserError(error) && error.code === 'EDBURL') {
      throw new UserError(error.message.replace(/^SREGISTRY_DATABASE\b/, '--to'), {
        fix: 'give --to a folder (a SQLite catalogue) or postgresql://user@host:port/db (a team catalogue)',
        code: 'EDBURL',
        cause: error.cause,
      });
    }
    throw error;
  }
}

/** The same folder, however spelled (a symlink, `..`): compared by device and inode when both exist. */
function sameFolder(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const [x, y] = [fs.statSync(a), fs.statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Where the target's files would go by default: `shub` beside a SQLite file, as ~/.singularity has it. */
function suggestedStorage(target: DatabaseLocation): string {
  return target.kind === 'sqlite' ? path.join(target.folder, 'shub') : '<a folder for the team catalogue>';
}

function sameLocation(a: DatabaseLocation, b: DatabaseLocation): boolean {
  if (a.kind === 'sqlite' && b.kind === 'sqlite') return path.resolve(a.file) === path.resolve(b.file);
  if (a.kind === 'postgres' && b.kind === 'postgres') return a.redacted === b.redacted;
  return false;
}
