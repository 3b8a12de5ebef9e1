// Shared set-up for the catalogue tests: a fresh temp folder per test and a way to read a database file
// with raw better-sqlite3 (what the Python client would see).
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

export interface RawStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  all(...params: unknown[]): Record<string, unknown>[];
  get(...params: unknown[]): Record<string, unknown> | undefined;
}
export interface RawDb {
  exec(sql: string): void;
  prepare(sql: string): RawStatement;
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  close(): void;
}

// better-sqlite3 ships no types here; it is a dependency of core, so resolve it from there
const requireFromCore = createRequire(path.join(__dirname, '..', 'package.json'));
export const RawDatabase = requireFromCore('better-sqlite3') as new (file: string) => RawDb;

export async function tempDir(t: { after(fn: () => Promise<void> | void): void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sregistry-catalog-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

export function schemaOf(file: string): string[] {
  const db = new RawDatabase(file);
  try {
    return db
      .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
      .all()
      .map((r) => `${r.type}|${r.name}|${r.tbl_name}|${r.sql}`);
  } finally {
    db.close();
  }
}

export const HELLO = 'hello image\n';
export const HELLO_SHA256 = 'cd4abdb93d8aaaca98bf3cda338348a8c1a6902bcdee5ea71f1b09cb6081028e';

/** The metrics the original stores for `add --name vsoch/hello-world:v1` (the parsed name, without the version). */
export const HELLO_METRICS = {
  collection: 'vsoch',
  image: 'hello-world',
  original: 'vsoch/hello-world:v1',
  registry: null,
  storage: 'vsoch/hello-world:v1.sif',
  tag: 'v1',
  type: 'container',
  uri: 'vsoch/hello-world:v1',
  url: 'vsoch/hello-world',
  version: null,
};

export async function writeImage(dir: string, name: string, content = HELLO): Promise<string> {
  const file = path.join(dir, name);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  return file;
}

export async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
