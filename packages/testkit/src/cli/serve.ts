// `sregistry-testkit serve`: the fake registry as a process, for manual testing, demos and cross-process
// acceptance tests (including the original Python client). Prints one line, or JSON with --json.

import { existsSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { demoSeed } from '../registry-server/demo';
import { startRegistryServer } from '../registry-server/server';
import { randomToken } from '../registry-server/state';
import type { RegistryServerHandle, RegistryServerOptions, SeedCollection } from '../registry-server/types';

export const SERVE_USAGE = `Usage: sregistry-testkit serve [options]

  --port N              port to listen on (default: any free port)
  --host H              address to bind (default 127.0.0.1)
  --data DIR            keep container files in DIR (default: a temp dir, removed on exit)
  --seed demo|none      demo: vanessa/tacos:latest, vanessa/tacolicious:gobacktosleep, private dinosaur/secret:latest
  --image FILE=URI      also serve FILE (your own image, any size: it is copied, not read into memory) as
                        collection/name[:tag], owned by the user so it can be pushed over; repeatable
  --user U              username of the demo user (default dinosaur)
  --token T             its token (default: 40 random hex)
  --print-secrets FILE  write {"registry":{"token","username","base"}} to FILE (mode 0600)
  --json                print {"url","username","token"} instead of the listening line
`;

export interface ServeIo {
  stdout: (line: string) => void;
}

export interface RunningServe {
  handle: RegistryServerHandle;
  username: string;
  token: string;
  stop(): Promise<void>;
}

/** Starts the server per argv; the caller decides when to stop (main wires SIGINT/SIGTERM). */
export async function serve(argv: string[], io: ServeIo = { stdout: (l) => process.stdout.write(`${l}\n`) }): Promise<RunningServe> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      seed: { type: 'string' },
      user: { type: 'string' },
      token: { type: 'string' },
      'print-secrets': { type: 'string' },
      json: { type: 'boolean' },
      image: { type: 'string', multiple: true },
    },
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535, got ${values.port}`);
  const seedName = values.seed ?? 'demo';
  if (seedName !== 'demo' && seedName !== 'none') throw new UsageError(`--seed must be demo or none, got ${seedName}`);
  const username = (values.user ?? 'dinosaur').toLowerCase();
  const token = values.token ?? randomToken();

  const fixtures = await mkdtemp(join(tmpdir(), 'sregistry-testkit-seed-'));
  const options: RegistryServerOptions = { host: values.host ?? '127.0.0.1', port, dataDir: values.data };
  try {
    if (seedName === 'demo') Object.assign(options, await demoSeed(fixtures, { username, token }));
    else options.users = [{ username, token }];
    options.seed = withImages(options.seed ?? [], values.image ?? [], username);
    const handle = await startRegistryServer(options);
    // The seed files were copied into the data dir; the fixtures are no longer needed.
    await rm(fixtures, { recursive: true, force: true });
    if (values['print-secrets']) await writeSecrets(values['print-secrets'], { token, username, base: handle.url });
    io.stdout(values.json ? JSON.stringify({ url: handle.url, username, token }) : `registry listening on ${handle.url}`);
    return { handle, username, token, stop: () => handle.close() };
  } catch (err) {
    await rm(fixtures, { recursive: true, force: true });
    throw err;
  }
}

/** The client's secrets file, written atomically and readable by the owner only (it holds the token). */
async function writeSecrets(file: string, registry: { token: string; username: string; base: string }): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify({ registry }, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** `--image FILE=collection/name[:tag]` entries added to the seed, in collections the user owns. */
function withImages(seed: SeedCollection[], images: string[], owner: string): SeedCollection[] {
  const collections = seed.map((c) => ({ ...c, containers: [...(c.containers ?? [])] }));
  for (const spec of images) {
    const at = spec.lastIndexOf('=');
    const file = at > 0 ? spec.slice(0, at) : '';
    const match = /^([a-z0-9][a-z0-9._-]*)\/([a-z0-9][a-z0-9._-]*)(?::([A-Za-z0-9._-]+))?$/.exec(spec.slice(at + 1));
    if (!file || !match) throw new UsageError(`--image takes FILE=collection/name[:tag], got ${spec}`);
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`--image: ${file} is not a file`);
    const [, collection, name, tag = 'latest'] = match as unknown as [string, string, string, string | undefined];
    let target = collections.find((c) => c.name === collection);
    if (!target) {
      target = { name: collection, owners: [owner], containers: [] };
      collections.push(target);
    }
    target.containers.push({ name, tag, file: resolve(file) });
  }
  return collections;
}

export class UsageError extends Error {}
