// A fake registry (the testkit's real HTTP server) plus a backend pointed at it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { type RegistryServerHandle, type RegistryServerOptions, startRegistryServer } from '@sregistry/testkit';
import type { RuntimeOptions } from '../src/runtime';
import { type Harness, harness } from './helpers';

export const TOKEN = 'testtoken123'.padEnd(40, '0');
export const USER = 'dinosaur';

export interface Setup {
  server: RegistryServerHandle;
  h: Harness;
}

/** Server with user dinosaur, public vanessa/tacos:latest and private dinosaur/secret:latest. */
export async function setup(
  t: TestContext,
  options: {
    server?: RegistryServerOptions;
    env?: Record<string, string | undefined>;
    secrets?: Record<string, unknown>;
    runtime?: RuntimeOptions;
  } = {},
): Promise<Setup> {
  const server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [
      { name: 'vanessa', owners: [USER], containers: [{ name: 'tacos', tag: 'latest', file: Buffer.from('tacos image bytes\n') }] },
      {
        name: 'dinosaur',
        private: true,
        owners: [USER],
        containers: [{ name: 'secret', tag: 'latest', file: Buffer.from('secret image bytes\n') }],
      },
    ],
    ...options.server,
  });
  const h = harness(
    { SREGISTRY_REGISTRY_BASE: server.url, ...options.env },
    options.secrets ?? { registry: { username: USER, token: TOKEN } },
    options.runtime,
  );
  t.after(async () => {
    h.cleanup();
    await server.close();
  });
  return { server, h };
}

export function writeImage(dir: string, name: string, content: string | Buffer): { file: string; size: number; md5: string } {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return { file, size: fs.statSync(file).size, md5: createHash('md5').update(content).digest('hex') };
}

/** Neither the token nor any signature may appear in what the backend logged or in an error's text. */
export function assertNothingSecret(s: Setup, ...texts: (string | undefined)[]): void {
  for (const line of [...s.h.lines.map((l) => l.message), ...texts]) {
    if (!line) continue;
    if (line.includes(TOKEN)) throw new Error(`the token leaked into: ${line}`);
    if (/SREGISTRY-HMAC-SHA256|Signature=/.test(line)) throw new Error(`an Authorization value leaked into: ${line}`);
  }
}
