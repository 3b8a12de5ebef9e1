// Builds a backend context the way the host does, from the core's sources, with a log that keeps its lines.
import fs from 'node:fs';
import path from 'node:path';
import * as core from '@sregistry/core';
import { processTempDir, userError as sharedUserError } from '@sregistry/testkit';
import { createBackend } from '../src/backend';

export { core };

export interface Harness {
  ctx: import('@sregistry/core').BackendContext;
  backend: import('@sregistry/core').Backend;
  lines: { level: 'debug' | 'info' | 'warn'; message: string }[];
  /** parse as the host does for this backend (case kept) */
  parse(uri: string): import('@sregistry/core').ImageName;
  cleanup(): void;
}

export function harness(env: Record<string, string | undefined> = {}, secrets?: Record<string, unknown>): Harness {
  const dir = processTempDir('backend-hub-test-');
  const file = path.join(dir, 'secrets.json');
  if (secrets) fs.writeFileSync(file, JSON.stringify(secrets));
  const settings = core.backendSettings('hub', new core.SecretsFile(file), env);
  const lines: Harness['lines'] = [];
  const log = {
    debug: (message: string) => lines.push({ level: 'debug', message }),
    info: (message: string) => lines.push({ level: 'info', message }),
    warn: (message: string) => lines.push({ level: 'warn', message }),
  };
  const ctx = core.backendContext('hub', { settings, log });
  return {
    ctx,
    backend: createBackend(ctx),
    lines,
    parse: (uri) => core.parseImageName(uri, { lowercase: false }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `fn`, expecting a UserError; returns it for further checks (the testkit's helper, typed with core's class). */
export const userError = (fn: () => unknown) => sharedUserError<import('@sregistry/core').UserError>(fn);
