import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TempHome {
  home: string;
  /** environment for a CLI run confined to this home (oclif's XDG folders included) */
  env: Record<string, string>;
  cleanup(): void;
}

/** A throw-away HOME with its own secrets file, database, storage and oclif data folders. */
export function makeTempHome(prefix = 'sregistry-home-'): TempHome {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const env: Record<string, string> = {
    HOME: home,
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    npm_config_cache: path.join(home, '.npm'),
  };
  return { home, env, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}

/** The environment of this process without settings that would leak into a CLI under test. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(SREGISTRY_|MESSAGELEVEL$|SINGULARITY_|FORCE_COLOR$)/.test(k)) continue;
    env[k] = v;
  }
  // output compared as text: no colour codes, whatever the terminal this runs from
  env.NO_COLOR = '1';
  env.FORCE_COLOR = '0';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * Runs a CLI entry point (`node <bin> ...args`) asynchronously: a blocking spawn would stall in-process
 * servers (fake registry, verdaccio) that the CLI talks to.
 */
export function runCli(
  bin: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: cleanEnv(options.env), cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as NodeJS.ErrnoException).code === 'number'
            ? Number((error as NodeJS.ErrnoException).code)
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
