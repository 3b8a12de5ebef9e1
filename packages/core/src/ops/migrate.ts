import fs from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/index';
import { type DatabaseLocation, parseDatabaseLocation } from '../catalog/location';
import type { CatalogView } from '../catalog/reader';
import type { ImageName } from '../contracts/image-name';
import type { ImageRecord } from '../contracts/records';
import { UserError } from '../errors';
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
 * at its layout's path (or left where they are when both catalogues share the storage folder); an image the
 * target has already (same collection/name/tag@version, file present) is not copied again, so a second run, or
 * two users moving the same image, add nothing. This catalogue is left as it was.
 */
export async function migrateCatalog(session: Session, options: MigrateOptions): Promise<MigrateReport> {
  const source = session.database;
  const target = parseDatabaseLocation(options.to, session.env);
  const storage = path.resolve(options.storage ?? session.paths.storageDir);
  if (sameLocation(source, target)) {
    throw new UserError(`--to ${target.announce} is the catalogue being copied`, {
      fix: 'name another database (SREGISTRY_DATABASE is the one copied from)',
      code: 'ESAMEPATH',
    });
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
    const sharedStorage = path.resolve(from.storage.root) === storage;
    for (const record of records) {
      const uri = record.uri ?? `${record.collection}/${record.name}:${record.tag}@${record.version ?? ''}`;
      const outcome = await copyRecord(record, view, into, sharedStorage);
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
async function copyRecord(
  record: ImageRecord,
  view: CatalogView,
  into: Catalog | undefined,
  sharedStorage: boolean,
): Promise<'copied' | 'present' | 'missing'> {
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
  if (record.image === null) {
    // a row that only knows a URL: nothing to place
    await into.database.upsert({ ...row, image: null });
  } else if (sharedStorage && into.storage.contains(record.image)) {
    // both catalogues use the same storage folder: the file is in place already, for either
    await into.database.upsert({ ...row, image: record.image });
  } else {
    await into.add({
      file: record.image,
      name,
      copy: true,
      version,
      client: record.client,
      url: record.url ?? undefined,
      metrics: record.metrics,
    });
  }
  return 'copied';
}

function sameLocation(a: DatabaseLocation, b: DatabaseLocation): boolean {
  if (a.kind === 'sqlite' && b.kind === 'sqlite') return path.resolve(a.file) === path.resolve(b.file);
  if (a.kind === 'postgres' && b.kind === 'postgres') return a.redacted === b.redacted;
  return false;
}
