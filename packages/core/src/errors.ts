/**
 * The codes a UserError carries: `error.code` in the `--json` error envelope, and what a script tests instead
 * of the message. Each is described here once; docs/errors.md lists them (a test keeps the two the same).
 * File-system codes keep Node's (errno) names, so `EACCES` means what it means to `ls`.
 */
export const ERROR_CODES = {
  EUSER: 'a failure you can act on that has no more specific code',
  EUSAGE: 'the command was called wrongly: a missing argument, an unknown flag, an empty value',
  EINTERNAL: 'a bug in sregistry (not your input); re-run with --debug and report it',
  ECANCELLED: 'the command was interrupted (Ctrl-C); exits 130, and nothing half-written is left',
  EBADNAME: 'the image name (URI) cannot be parsed, or does not suit the backend',
  EBADURL: 'a URL that cannot be parsed',
  EBADBASE: 'the base URL set for a backend is not an http(s) URL',
  EBADPATH: 'the image name cannot be turned into a storage path',
  ESETTING: 'a setting is missing, unknown to the backend, or has a value outside its range (a yes/no or number setting)',
  ESECRETS: 'the secrets file cannot be used (not a regular file, too large, not JSON)',
  ECONFIG: 'a configuration file of another tool (such as a registry login file) cannot be read',
  EDISABLED: 'the local database is needed but SREGISTRY_DISABLE turns it off',
  EDBURL:
    'SREGISTRY_DATABASE is neither a folder nor a supported database URL (postgresql://…), or is a URL with a mistyped scheme separator or an unencoded password',
  EDBPATH: 'the database folder does not exist or is a file',
  EDBPERM: 'the database folder or file cannot be written',
  EDBLOCKED: 'another process holds the catalogue database’s lock past the timeout (SREGISTRY_DATABASE_TIMEOUT)',
  EDBIO: 'the catalogue database could not be written (disk full or failing)',
  EDBCORRUPT: 'the database file is not a usable sregistry database',
  EDBSCHEMA: 'the database holds tables of another program or of another shape, or a schema of a newer sregistry',
  ESQLITEDRIVER: 'the SQLite module (better-sqlite3) cannot be loaded',
  EDBUNREACHABLE: 'the PostgreSQL server of the catalogue cannot be reached, or went away mid-command',
  EDBAUTH: 'the PostgreSQL server refused the login (user, password, pg_hba.conf)',
  EDBMISSING: 'the PostgreSQL database named in SREGISTRY_DATABASE does not exist',
  EPGDRIVER: 'the PostgreSQL module (pg) cannot be loaded',
  ENOBACKEND: 'the backend is not installed (the message names the plugin to install)',
  EINCOMPATIBLE: 'the plugin was made for another version of @sregistry/core',
  EPLUGIN:
    'a plugin is broken: its backend or command cannot be loaded or started, it declares unusable names, or its backend answers what core cannot use',
  ENOTSUPPORTED: 'the backend cannot do this (a read-only archive, a registry without deletes, no push)',
  ENOBASE: 'no registry address is set and none was found',
  ENOTFOUND: 'the image (or collection, key, record, plugin package) does not exist where it was looked for',
  EAMBIGUOUS: 'the name fits several catalogued versions and the command would delete one: give the version',
  ENOTSTORED: 'the registry said it stored an upload but does not hold it',
  EEXIST: 'the destination exists already; use --force, another name, or remove it first',
  EPROTECTED: 'the destination is one of the catalogue’s own files or folders, or named like its temporary files',
  ECATALOGUED: 'the file is catalogued already under another name',
  ENAMETAKEN: 'the catalogue name holds an image pulled from another source (an OCI tag that differs only in case)',
  EOTHERSTORAGE: 'the catalogue keeps the image’s file in another storage folder (a team catalogue used with a storage of one’s own)',
  ESAMEPATH: 'the source and destination are the same path',
  ENOFILE: 'a file that was named (or that a catalogue row points to) does not exist or cannot be read',
  ENOTFILE: 'the path is not a regular file',
  EISDIR: 'the path is a folder where a file is needed',
  ENODIR: 'the folder does not exist or is a file',
  ENOTDIR: 'a file is where a folder is needed',
  EACCES: 'permission denied by the file system',
  EPERM: 'permission denied (by the file system, or by the registry for this account)',
  EROFS: 'the destination is on a read-only file system',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is reached',
  EWRITE: 'the destination cannot be written',
  EFILECHANGED:
    'the file changed while it was read (for an upload), or another command is changing it (sign), or took its lock over while this sign was stopped (kill -STOP past 10 s): nothing was replaced',
  EFILEREPLACED: "the file at a record's path is no longer its image (rmi, mv and rename leave it alone)",
  ECHANGED: 'another command moved, renamed, removed or signed the image while this one ran, or is doing so now: nothing was changed',
  ENOAUTH: 'credentials (token, username) are not set',
  ENOCREDENTIAL: 'the registry needs a login and there is none',
  EAUTH: 'the registry’s login or token service failed or refused',
  ETOKEN: 'the registry refused its own token service’s token',
  ECREDHELPER: 'the credential helper named in the login file is not installed, or could not get, store or erase a login',
  ECLOCK: 'the local clock is too far from the server’s for signed requests',
  EFROZEN: 'the image is frozen on the registry',
  ERATELIMIT: 'the service is limiting requests; try again later',
  ETOOLARGE: 'the answer or the upload is larger than the limit',
  ENETWORK: 'the server cannot be reached, or the connection broke',
  ETLS: 'the TLS connection failed (untrusted, mismatched or expired certificate, wrong scheme)',
  ETIMEOUT: 'no answer or no progress in time',
  ESLOW: 'the transfer is slower than the speed floor',
  EREDIRECT: 'too many redirects, or a redirect from https to plain http (never followed)',
  EHTTP: 'the server answered with an HTTP status that is not success (the message has the status)',
  EBADANSWER: 'the server answered something that is not what the API promises',
  EDIGEST: 'the content does not match its digest',
  ESIZE: 'the content is not the size the service announced',
  EVERSION: 'the version (digest) is not the one asked for, or not a valid one',
  ENOTIMAGE: 'the download is not a container image and there is no digest to check it against',
  ENOTSIF: 'the file is not a SIF image',
  EBADSIF: 'the file is not a valid SIF file (also a pulled image that begins as a SIF but is cut short or damaged)',
  ESIFFULL: 'the SIF file has no free descriptor slot',
  ENOKEY: 'no signing key was given, or the keyring has no such key',
  ENOKEYFILE: 'the key file does not exist or cannot be read',
  EBADKEY:
    'the key file cannot be used (not a key, encrypted PEM, unsupported type, an OpenPGP key that cannot sign: expired, revoked, no signing key)',
  ENOPRIVATE: 'a public key was given where a private key is needed',
  EPASSPHRASE: 'the passphrase of the key is wrong',
  ENOPASSPHRASE: 'a locked key needs a passphrase and none was given (an empty answer, Ctrl-D, nothing on stdin)',
  ENOGROUP: 'the SIF object group to sign does not exist or there is none',
  EVERIFY_UNSIGNED: 'verify: the image has no signatures',
  EVERIFY_LEGACY_ONLY: 'verify: the image has only legacy signatures (check them with --legacy)',
  EVERIFY_NOT_COVERED: 'verify: the objects asked for are not covered by the signatures',
  EVERIFY_NOT_FOUND: 'verify: the image has no such object or group',
  EVERIFY_TAMPERED: 'verify: the image does not match its signature',
  EVERIFY_UNKNOWN_KEY: 'verify: no key given or kept verifies the signature',
  EVERIFY_UNSUPPORTED: 'verify: the signature is of a kind that cannot be checked',
  EVERIFY_INVALID_IMAGE: 'verify: the file is not a valid image',
} as const satisfies Record<string, string>;

/** A code from {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * A failure the user can act on. The CLI prints {@link errorLine} (problem, then the fix) and exits with
 * `exitCode`; stacks are shown only with --debug. Anything that is not a UserError is a bug and is reported
 * with a hint to re-run with --debug.
 */
export class UserError extends Error {
  readonly fix?: string;
  readonly exitCode: number;
  readonly code: ErrorCode;
  /** what the command found before failing, printed beside the error with --json (e.g. a verification report) */
  readonly data?: Record<string, unknown>;

  constructor(
    message: string,
    options: { fix?: string; exitCode?: number; code?: ErrorCode; cause?: unknown; data?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.fix = options.fix;
    // a usage error exits 2 wherever it is raised, as oclif's own parse errors do (the README's exit codes)
    this.exitCode = options.exitCode ?? (options.code === 'EUSAGE' ? 2 : 1);
    this.code = options.code ?? 'EUSER';
    if (options.data) this.data = options.data;
  }

  /** The single line shown to the user (the same as {@link errorLine}). */
  get line(): string {
    return errorLine(this);
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof Error && (error as UserError).name === 'UserError' && typeof (error as UserError).exitCode === 'number';
}

/**
 * The one line printed for a failure, by the oclif commands and the CLI's fast path alike: `<problem>; <fix>`
 * for a UserError, and for anything else (a bug) the message with a hint to re-run with --debug.
 */
export function errorLine(error: unknown, options: { debug?: boolean } = {}): string {
  // a message that ends a sentence ("No containers found.") loses its full stop before the fix: not ".;"
  if (isUserError(error)) return error.fix ? `${error.message.replace(/(?<!\.)\.$/, '')}; ${error.fix}` : error.message;
  const message = error instanceof Error ? error.message : String(error);
  // under --debug the details follow the line already
  return `unexpected failure: ${message}; ${options.debug ? 'please report it with the details below' : 're-run with --debug for details'}`;
}

/** `code` when it is one of ours (a file-system errno such as EROFS is), otherwise `fallback`. */
export function knownCode(code: string | undefined, fallback: ErrorCode): ErrorCode {
  return code !== undefined && Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : fallback;
}

/** The one JSON shape of a failure under --json (`{"error": {message, fix?, code, exitCode}}`). */
export function errorJson(message: string, details: { fix?: string; code: ErrorCode; exitCode: number }) {
  return { error: { message, ...details } };
}
