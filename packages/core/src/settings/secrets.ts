import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors';
import { jsonErrorPlace } from '../text/json-error-position';
import { CREDENTIAL_WORDS } from '../transfer/redact';
import { writeFileAtomic } from './atomic-write';
import { withFileLock } from './file-lock';

export type SecretsData = Record<string, unknown> & { SREGISTRY_CLIENT?: string };
export type BackendSection = Record<string, string>;

/** A settings file is a few hundred bytes; anything this big is not one. */
const MAX_SECRETS_BYTES = 1024 * 1024;
/** A setting that holds a credential, by its name (the words every redaction uses). */
const CREDENTIAL_NAME = new RegExp(CREDENTIAL_WORDS, 'i');

/**
 * The secrets/settings file (client-spec §3.2): one JSON object, `SREGISTRY_CLIENT` plus one section per
 * backend. Read lazily, so commands that do not need it keep working when it is broken; written atomically
 * with mode 0600 and only with values the user asked to store (never values found in the environment).
 */
export class SecretsFile {
  private data?: SecretsData;
  private warned = false;
  /** the mode of the file as read, when others may read it (0644, as the original client writes it) */
  private readableMode?: number;

  constructor(
    readonly file: string,
    /** where a warning about the file goes (group- or world-writable); silent by default */
    private readonly warn: (message: string) => void = () => {},
  ) {}

  exists(): boolean {
    return fs.existsSync(this.file);
  }

  /** The parsed content; `{}` when the file does not exist. A broken file is a UserError naming it. */
  read(): SecretsData {
    if (this.data) return this.data;
    let text: string;
    try {
      text = this.readRegularFile();
    } catch (error) {
      if (error instanceof UserError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return this.remember({});
      if (code === 'EISDIR') throw this.broken('it is a folder, not a file');
      if (code === 'EACCES' || code === 'EPERM')
        throw this.broken('it cannot be read (permission denied)', `check the permissions of ${this.file}`);
      throw this.broken(`it cannot be read (${code})`);
    }
    if (text.trim() === '') return this.remember({});
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // never Node's message: it quotes the text around the problem, which is often the token itself
      const place = jsonErrorPlace(text);
      throw this.broken(place ? `it is not valid JSON (${place})` : 'it is not valid JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw this.broken('it must hold a JSON object');
    const obj = parsed as Record<string, unknown>;
    if (obj.SREGISTRY_CLIENT !== undefined && typeof obj.SREGISTRY_CLIENT !== 'string') {
      throw this.broken('SREGISTRY_CLIENT must be a string');
    }
    for (const [key, value] of Object.entries(obj)) {
      if (key === 'SREGISTRY_CLIENT') continue;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw this.broken(`the "${key}" section must be an object of settings`);
      }
    }
    this.warnIfTokenReadable(obj);
    return this.remember(obj as SecretsData);
  }

  /** A token in a file others can read (the original wrote it 0644): said once per command, with the fix. */
  private warnIfTokenReadable(data: Record<string, unknown>): void {
    if (this.readableMode === undefined || this.warned) return;
    const holdsOne = Object.values(data).some(
      (section) =>
        section !== null &&
        typeof section === 'object' &&
        Object.entries(section).some(([k, v]) => CREDENTIAL_NAME.test(k) && typeof v === 'string' && v !== ''),
    );
    if (!holdsOne) return;
    this.warned = true;
    this.warn(
      `the secrets file ${this.file} holds a token and can be read by other users (mode ${this.readableMode.toString(8)}); run: chmod 600 ${this.file}`,
    );
  }

  /**
   * The file's text, only if it is a regular file of sane size: a FIFO would block the read for ever and a link
   * to /dev/zero would grow memory until Node aborts. Opened non-blocking and checked on the open descriptor, so
   * what is checked is what is read.
   */
  private readRegularFile(): string {
    const fd = fs.openSync(this.file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      // bigint stats on purpose: Node 20's realpathSync reads the shared buffer of the last plain sync stat, and a
      // FIFO's there makes later require() calls resolve symlinked packages wrongly
      const stat = fs.fstatSync(fd, { bigint: true });
      if (stat.isDirectory()) throw this.broken('it is a folder, not a file');
      if (!stat.isFile())
        throw this.broken('it is not a regular file (a FIFO, device or socket)', `point SREGISTRY_CLIENT_SECRETS at a regular file`);
      if (stat.size > MAX_SECRETS_BYTES) throw this.broken(`it is larger than ${MAX_SECRETS_BYTES / 1024} KiB`);
      if ((Number(stat.mode) & 0o044) !== 0) this.readableMode = Number(stat.mode) & 0o777;
      if ((Number(stat.mode) & 0o022) !== 0 && !this.warned) {
        this.warned = true;
        this.warn(
          `the secrets file ${this.file} can be changed by other users (mode ${(Number(stat.mode) & 0o777).toString(8)}); run: chmod 600 ${this.file}`,
        );
      }
      const buffer = Buffer.alloc(Number(stat.size) + 1);
      let length = 0;
      // reads at most size + 1 bytes: a file that grows meanwhile cannot make this unbounded
      while (length < buffer.length) {
        const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
        if (n === 0) break;
        length += n;
      }
      return buffer.toString('utf8', 0, Math.min(length, MAX_SECRETS_BYTES));
    } finally {
      fs.closeSync(fd);
    }
  }

  private remember(data: SecretsData): SecretsData {
    this.data = data;
    return data;
  }

  activeClient(): string | undefined {
    const value = this.read().SREGISTRY_CLIENT;
    return value || undefined;
  }

  /** Backend names configured in the file (every top-level key but SREGISTRY_CLIENT), in file order. */
  backends(): string[] {
    return Object.keys(this.read()).filter((k) => k !== 'SREGISTRY_CLIENT');
  }

  section(backend: string): BackendSection {
    const value = this.read()[backend];
    if (!value || typeof value !== 'object') return {};
    const out: BackendSection = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string') out[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
      else if (v !== null && v !== undefined) throw this.broken(`"${backend}.${k}" must be a string`);
    }
    return out;
  }

  /**
   * Applies a change to a fresh read of the file and writes it back atomically (0600), under the file's lock: two
   * commands changing it at once each see the other's change.
   */
  async update(change: (data: SecretsData) => void): Promise<SecretsData> {
    return withFileLock(
      this.file,
      async (lock) => {
        this.data = undefined;
        const data = structuredClone(this.read());
        change(data);
        this.refuseReadOnly();
        // a lock taken over while this command was stopped: writing now would drop the other command's change
        await lock.check();
        await writeFileAtomic(this.file, `${JSON.stringify(data, null, 4)}\n`, 0o600).catch((error) => {
          throw this.unwritable(error);
        });
        this.data = data;
        return data;
      },
      `The secrets file ${this.file}`,
    );
  }

  /**
   * A file the user made read-only (no write bit for anyone) stays as it is: the atomic rename would replace it
   * with a new 0600 file and drop that protection without a word (root included, whom permissions do not stop).
   */
  private refuseReadOnly(): void {
    const stat = fs.statSync(this.file, { throwIfNoEntry: false });
    if (stat?.isFile() && (stat.mode & 0o222) === 0) {
      throw new UserError(
        `The secrets file ${this.file} is read-only (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}): nothing was changed`,
        {
          fix: `make it writable (chmod 600 ${this.file}) to change it, or point SREGISTRY_CLIENT_SECRETS at another file`,
          code: 'EACCES',
        },
      );
    }
  }

  /** A write refused by the folder (the new file is made beside the old one, then renamed over it). */
  private unwritable(error: unknown): unknown {
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return error;
    const dir = path.dirname(this.file);
    // a missing folder that cannot be made (its parent is not ours) is that, not an unwritable folder
    if (!fs.existsSync(dir)) {
      return new UserError(
        `The secrets file ${this.file} cannot be written: its folder ${dir} does not exist and cannot be made (${code})`,
        {
          fix: `create ${dir} (or ask its parent's owner to), or point SREGISTRY_CLIENT_SECRETS at a file in a folder you can write to`,
          code: code === 'EROFS' ? 'EROFS' : 'EACCES',
          cause: error,
        },
      );
    }
    return new UserError(`The secrets file ${this.file} cannot be written: its folder ${dir} is not writable (${code})`, {
      fix: `make ${dir} writable (the new file is written beside the old one), or point SREGISTRY_CLIENT_SECRETS at a file in a folder you can write to`,
      code: code === 'EROFS' ? 'EROFS' : 'EACCES',
      cause: error,
    });
  }

  private broken(problem: string, fix?: string): UserError {
    return new UserError(`The secrets file ${this.file} is unusable: ${problem}`, {
      fix: fix ?? `fix or remove it, or point SREGISTRY_CLIENT_SECRETS at another file`,
      code: 'ESECRETS',
    });
  }
}
