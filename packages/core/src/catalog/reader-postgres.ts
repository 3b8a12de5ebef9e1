// The plain reader of a team catalogue: `images`, `get` and `inspect` on PostgreSQL through `pg` alone, the same
// SQL the full catalogue sends (reader.ts's SELECT, match.ts's PostgreSQL match), without TypeORM, which costs
// more at start-up than such a command. Like the SQLite reader it opens only a catalogue that needs no upkeep, and
// gives up (undefined: the caller opens the full catalogue, which migrates, recovers or says what is wrong in one
// line) on any failure: a server that cannot be reached, a refused login, tables not made yet.
import type * as Pg from 'pg';
import { requireBundled } from '../bundled';
import type { ImageName } from '../contracts/image-name';
import type { ImageRecord } from '../contracts/records';
import { isListAll, matchParameters, matchSql } from './match';
import { catalogTypes, pgDriver } from './postgres/driver';
import { postgresTarget } from './postgres/target';
import { type CatalogReader, type ListOptions, SELECT, storageNeedsUpkeep } from './reader';
import { type RawRecordRow, rowToRecord } from './row-mapping';

/**
 * The schema migrations, oldest first (postgres/migrations.ts, not imported here: it loads TypeORM). A database
 * without the last recorded is the full catalogue's to migrate, and one with a migration not in this list (made by
 * a newer sregistry) the full catalogue's to refuse; a test keeps the two lists the same.
 */
export const KNOWN_MIGRATIONS = ['CreateCatalogTables1764633600000'];
export const LATEST_MIGRATION = KNOWN_MIGRATIONS[KNOWN_MIGRATIONS.length - 1];
const MIGRATIONS_TABLE = 'sregistry_migrations';
const CONNECT_TIMEOUT_MS = 10_000;

export async function openPostgresReader(options: {
  url: string;
  storageDir: string;
  env?: Record<string, string | undefined>;
}): Promise<CatalogReader | undefined> {
  if (storageNeedsUpkeep(options.storageDir)) return undefined;
  let client: Pg.Client | undefined;
  try {
    const pg = pgModule();
    const target = postgresTarget(options.url, options.env);
    client = new pg.Client({
      ...target.config,
      types: catalogTypes(pg),
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'sregistry',
    });
    // a connection lost later fails the query that needs it; pg would otherwise print the error itself
    client.on('error', () => {});
    await client.connect();
    const ready = await client.query<{ ready: boolean }>(
      `SELECT to_regclass('collection') IS NOT NULL AND to_regclass('container') IS NOT NULL
         AND to_regclass('${MIGRATIONS_TABLE}') IS NOT NULL AS ready`,
    );
    if (!ready.rows[0]?.ready) throw new Error('no catalogue tables yet');
    const migrated = await client.query<{ latest: boolean | null; known: boolean | null }>(
      `SELECT bool_or(name = $1) AS latest, bool_and(name = ANY($2)) AS known FROM "${MIGRATIONS_TABLE}"`,
      [LATEST_MIGRATION, KNOWN_MIGRATIONS],
    );
    if (migrated.rows[0]?.latest !== true) throw new Error('schema migration pending');
    if (migrated.rows[0]?.known !== true) throw new Error('schema of a newer sregistry');
    return new PostgresReader(client);
  } catch {
    await client?.end().catch(() => {});
    return undefined;
  }
}

/**
 * pg as one bundled file when built (scripts/bundle.js: ~30 modules in one, without its Cloudflare check that
 * loads Node's undici), else the package through pgDriver (sources run through tsx).
 */
function pgModule(): typeof Pg {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return requireBundled(
    () => require('./pg-bundle'),
    'pg-bundle',
    () => pgDriver(),
  );
}

class PostgresReader implements CatalogReader {
  constructor(private readonly client: Pg.Client) {}

  async find(name: ImageName): Promise<ImageRecord | undefined> {
    const params = [name.collection, name.image, name.tag];
    if (name.version !== undefined) params.push(name.version);
    const sql = `${SELECT.replace('%METRICS%', 'c.metrics')} WHERE col.name = $1 AND c.name = $2 AND c.tag = $3${
      name.version !== undefined ? ' AND c.version = $4' : ''
    } ORDER BY c.id DESC LIMIT 1`;
    const { rows } = await this.client.query<RawRecordRow>(sql, params);
    return rows[0] ? rowToRecord(rows[0]) : undefined;
  }

  async list(term?: string, options: ListOptions = {}): Promise<Iterable<ImageRecord>> {
    const metrics = options.metrics === false ? 'NULL' : 'c.metrics';
    const select = SELECT.replace('%METRICS%', metrics);
    const { rows } = isListAll(term)
      ? await this.client.query<RawRecordRow>(`${select} ORDER BY c.id ASC`)
      : await this.client.query<RawRecordRow>(
          `${select} WHERE ${positional(matchSql('postgres'), ['term', 'pattern'])} ORDER BY c.id ASC`,
          Object.values(pick(matchParameters(term), ['term', 'pattern'])),
        );
    return mapRows(rows);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

function* mapRows(rows: RawRecordRow[]): Generator<ImageRecord> {
  for (const row of rows) yield rowToRecord(row);
}

/** `:name` parameters (TypeORM's and better-sqlite3's form, in match.ts's one text) as pg's `$n`, in `names` order. */
function positional(sql: string, names: string[]): string {
  return sql.replace(/:([a-z]+)\b/g, (whole, name: string) => {
    const index = names.indexOf(name);
    return index === -1 ? whole : `$${index + 1}`;
  });
}

function pick<T extends Record<string, string>>(values: T, names: (keyof T)[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, values[n]]));
}
