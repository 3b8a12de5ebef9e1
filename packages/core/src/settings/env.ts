import os from 'node:os';
import path from 'node:path';
import { looksLikeUrl } from '../catalog/location';
import { UserError } from '../errors';
import { printable } from '../output/untrusted';

const TRUE_WORDS = new Set(['yes', 'true', 't', '1', 'y']);
/** What a yes/no setting may say for "no" besides being unset (a backend's getBoolean refuses other words). */
const FALSE_WORDS = new Set(['no', 'false', 'f', '0', 'n']);
export const BOOLEAN_WORDS = 'yes/true/t/y/1 or no/false/f/n/0';

/** The original's boolean rule: yes/true/t/1/y, any case. */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && TRUE_WORDS.has(value.trim().toLowerCase());
}

/** A yes/no word (any case, blank is unset: false); undefined for any other text. */
export function yesOrNo(value: string | undefined): boolean | undefined {
  const word = (value ?? '').trim().toLowerCase();
  if (word === '' || FALSE_WORDS.has(word)) return false;
  return TRUE_WORDS.has(word) ? true : undefined;
}

export type Env = Record<string, string | undefined>;

export interface Paths {
  home: string;
  secretsFile: string;
  databaseDir: string;
  databaseFile: string;
  storageDir: string;
  /** the local keyring for signature verification: `$XDG_DATA_HOME/sregistry/keys` (`~/.local/share/…`) */
  keysDir: string;
}

function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/** Where everything lives, from the environment (client-spec §3.1/§3.3). HOME is honoured, so tests can move it. */
export function resolvePaths(env: Env = process.env): Paths {
  const home = env.HOME || os.homedir();
  const abs = (p: string) => path.resolve(expandHome(p, home));
  // a URL (a PostgreSQL team catalogue, or a value refused when the catalogue opens) is no folder: the SQLite
  // paths then stay the default ones, which nothing opens (Session.database says where the catalogue is)
  const database = env.SREGISTRY_DATABASE?.trim();
  const databaseDir = abs(database && !looksLikeUrl(database) ? database : path.join(home, '.singularity'));
  return {
    home,
    secretsFile: abs(env.SREGISTRY_CLIENT_SECRETS || path.join(home, '.sregistry')),
    databaseDir,
    databaseFile: path.join(databaseDir, 'sregistry.db'),
    storageDir: abs(env.SREGISTRY_STORAGE || path.join(home, '.singularity', 'shub')),
    keysDir: path.join(abs(env.XDG_DATA_HOME || path.join(home, '.local', 'share')), 'sregistry', 'keys'),
  };
}

/** sregistry's folder for state worth keeping between runs (the shell's history): $XDG_STATE_HOME/sregistry. */
export function stateDir(env: Env = process.env): string {
  const home = env.HOME || os.homedir();
  return path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'sregistry');
}

/** SREGISTRY_DISABLE or SINGULARITY_DISABLE_CACHE turn the catalogue off. */
export function databaseDisabled(env: Env = process.env): boolean {
  return isTrue(env.SREGISTRY_DISABLE) || isTrue(env.SINGULARITY_DISABLE_CACHE);
}

/**
 * The one refusal of a setting's value, for every yes/no and number setting (core's and the backends' through
 * BackendSettings): one line naming the variable and what it says. A value taken silently for the default (or,
 * worse, for yes) did something else than the user asked, with no word of why.
 */
export function badSetting(name: string, raw: string | undefined, expected: string, fix: string): UserError {
  return new UserError(`${name} is "${printable(raw?.trim(), { max: 40 })}", not ${expected}`, { fix, code: 'ESETTING' });
}

/** How to go back to a setting's default: `unset NAME`, plus the backend's secrets-file entry when it has one. */
function unsetHint(name: string, backend?: string): string {
  return `unset it for the default: unset ${name}${backend ? `, or sregistry backend rm ${backend} ${name}` : ''}`;
}

/** A yes/no setting (BOOLEAN_WORDS, any case; blank is unset: false); any other word is refused. */
export function yesOrNoSetting(name: string, raw: string | undefined, backend?: string): boolean {
  const value = yesOrNo(raw);
  if (value !== undefined) return value;
  throw badSetting(name, raw, 'yes or no', `set it to ${BOOLEAN_WORDS}, or ${unsetHint(name, backend)}`);
}

export interface NumberRule {
  /** a whole number only (a count, milliseconds) */
  whole?: boolean;
  /** 0 is allowed (it turns the setting's check off) */
  zero?: boolean;
  /** what the number counts, for the message: `seconds`, `bytes per second` */
  unit?: string;
  /** the backend whose secrets-file section may hold the setting, for the fix */
  backend?: string;
}

/**
 * The one parser of every number setting: decimal digits (with a fraction `1.5` unless `whole`), nothing else.
 * Number() also took `0x10` (16), `1e2` and `0b1`, so a value said "a whole number" ran as something else.
 */
export function plainNumber(text: string, whole = false): number | undefined {
  if (!(whole ? /^[0-9]+$/ : /^[0-9]+(\.[0-9]+)?$/).test(text)) return undefined;
  const n = Number(text);
  return whole ? (Number.isSafeInteger(n) ? n : undefined) : Number.isFinite(n) ? n : undefined;
}

/** A number setting: undefined when unset or blank; a value outside `rule` is refused in one line. */
export function numberSetting(name: string, raw: string | undefined, rule: NumberRule = {}): number | undefined {
  const text = raw?.trim();
  if (text === undefined || text === '') return undefined;
  const n = plainNumber(text, rule.whole);
  if (n !== undefined && (n > 0 || (rule.zero && n === 0))) return n;
  const kind = rule.whole ? 'whole number' : 'number';
  const range = rule.zero ? '0 or more' : 'above 0';
  const expected = rule.unit ? `a number of ${rule.unit} (${range})` : rule.zero ? `a ${kind} of 0 or more` : `a positive ${kind}`;
  throw badSetting(
    name,
    raw,
    expected,
    `set it to a ${kind} ${rule.zero ? 'of 0 or more' : 'above 0'}, or ${unsetHint(name, rule.backend)}`,
  );
}

/** SREGISTRY_DATABASE_WAL: a database file this client creates uses WAL (existing files keep their journal mode). */
export function databaseWal(env: Env = process.env): boolean {
  return yesOrNoSetting('SREGISTRY_DATABASE_WAL', env.SREGISTRY_DATABASE_WAL);
}

/** SREGISTRY_PULL_VERIFY: every pull verifies the image's signatures before keeping it. */
export function pullVerify(env: Env = process.env): boolean {
  return yesOrNoSetting('SREGISTRY_PULL_VERIFY', env.SREGISTRY_PULL_VERIFY);
}

/**
 * SREGISTRY_DATABASE_TIMEOUT (seconds, 0 or more; 30 when unset): how long a command waits for another process's
 * lock on the database. A value that is no such number is refused in one line: taken silently for 30 s, it made
 * `SREGISTRY_DATABASE_TIMEOUT=abc` wait half a minute while the user asked for something else.
 */
export function databaseTimeoutMs(env: Env = process.env): number {
  const raw = env.SREGISTRY_DATABASE_TIMEOUT;
  const text = raw?.trim();
  if (text === undefined || text === '') return 30_000;
  const seconds = plainNumber(text);
  if (seconds !== undefined) return seconds * 1000;
  throw badSetting(
    'SREGISTRY_DATABASE_TIMEOUT',
    raw,
    'a number of seconds',
    'set it to the seconds to wait for a lock on the catalogue (0 or more), or unset it for the default of 30',
  );
}
