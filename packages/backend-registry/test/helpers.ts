// Builds a backend context the way the host does (core from source, settings from env + a secrets file) with a
// log that keeps its lines, so tests can assert on warnings and check that no secret reaches a line.
import fs from 'node:fs';
import path from 'node:path';
import * as core from '@sregistry/core';
import { processTempDir, userError as sharedUserError } from '@sregistry/testkit';
import { createRegistryBackend } from '../src/backend';
import { Runtime, type RuntimeOptions } from '../src/runtime';

export { core };

export type Line = { level: 'debug' | 'info' | 'warn'; message: string };

export interface Harness {
  ctx: core.BackendContext;
  backend: core.Backend;
  runtime: Runtime;
  lines: Line[];
  secretsFile: string;
  dir: string;
  /** parse as the host does for this backend (lower-cased, defaults on) */
  parse(uri: string, options?: core.ParseOptions): core.ImageName;
  cleanup(): void;
}

export function harness(
  env: Record<string, string | undefined> = {},
  secrets?: Record<string, unknown>,
  options: RuntimeOptions = {},
): Harness {
  const dir = processTempDir('backend-registry-test-');
  const secretsFile = path.join(dir, 'secrets.json');
  if (secrets) fs.writeFileSync(secretsFile, JSON.stringify(secrets));
  const settings = core.backendSettings('registry', new core.SecretsFile(secretsFile), env);
  const lines: Line[] = [];
  const log = {
    debug: (message: string) => lines.push({ level: 'debug', message }),
    info: (message: string) => lines.push({ level: 'info', message }),
    warn: (message: string) => lines.push({ level: 'warn', message }),
  };
  const ctx = core.backendContext('registry', { settings, log });
  return {
    ctx,
    backend: createRegistryBackend(ctx, options),
    runtime: new Runtime(ctx, options),
    lines,
    secretsFile,
    dir,
    parse: (uri, parseOptions) => core.parseImageName(uri, parseOptions),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `fn`, expecting a UserError; returns it for further checks (the testkit's helper, typed with core's class). */
export const userError = (fn: () => unknown) => sharedUserError<core.UserError>(fn);

/** Every line the backend logged plus the error's text: none of it may contain `secret`. */
export function assertNoSecret(h: Harness, secret: string, ...extra: (string | undefined)[]): void {
  for (const line of [...h.lines.map((l) => l.message), ...extra]) {
    if (line?.includes(secret)) throw new Error(`a secret leaked into: ${line}`);
  }
}
