// Shared by the library tests: a temp HOME with this plugin linked and pointed at a testkit Library API server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LibraryServerHandle } from '../../testkit/src/index';
import { type CliResult, makeTempHome, runCli } from '../../testkit/src/index';

export { assertOneLineError } from '../../testkit/src/index';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const BIN = path.join(REPO, 'packages', 'cli', 'bin', 'run.js');
export const PLUGIN_DIR = path.join(REPO, 'packages', 'backend-library');

export const USER = 'alice';
export const TOKEN = 'lib-e2e-t0ken-4b1c9e77d2';

export interface LibraryHome {
  home: string;
  storage: string;
  work: string;
  /** the environment the CLI runs with */
  env: Record<string, string | undefined>;
  run(args: string[], options?: { env?: Record<string, string | undefined>; input?: string }): Promise<CliResult>;
  cleanup(): void;
}

/** A temp HOME whose CLI talks to `server` (SREGISTRY_LIBRARY_BASE), with the token unless told not to. */
export async function libraryHome(server: LibraryServerHandle, options: { token?: boolean } = {}): Promise<LibraryHome> {
  const temp = makeTempHome('sregistry-library-');
  const work = path.join(temp.home, 'work');
  fs.mkdirSync(work);
  const env: Record<string, string | undefined> = {
    ...temp.env,
    SREGISTRY_LIBRARY_BASE: server.url,
    SREGISTRY_LIBRARY_TOKEN: options.token === false ? undefined : TOKEN,
    SREGISTRY_LIBRARY_ARCH: 'amd64',
  };
  const runIt = (args: string[], o: { env?: Record<string, string | undefined>; input?: string } = {}) =>
    runCli(BIN, args, { cwd: work, input: o.input, env: { ...env, ...o.env } });
  const linked = await runIt(['plugins', 'link', PLUGIN_DIR, '--no-install']);
  assert.equal(linked.code, 0, `plugins link failed: ${linked.stderr}`);
  return { home: temp.home, storage: path.join(temp.home, '.singularity', 'shub'), work, env, run: runIt, cleanup: temp.cleanup };
}

export const sha256Hex = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
export const fileSha256 = (file: string) => sha256Hex(fs.readFileSync(file));
