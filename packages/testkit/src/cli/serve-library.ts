// `sregistry-testkit serve-library`: the fake Library API server (and its object host) as a process, for manual
// testing, demos and benches. Prints one line, or JSON with --json.
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { demoLibrarySeed } from '../library-server/demo';
import { parseSeedRef } from '../library-server/refs';
import { startLibraryServer } from '../library-server/server';
import type { LibrarySeedImage, LibraryServerHandle, LibraryServerOptions } from '../library-server/types';
import { randomToken } from '../registry-server/state';
import { UsageError } from './serve';

export const SERVE_LIBRARY_USAGE = `Usage: sregistry-testkit serve-library [options]

  --port N              API port (default: any free port)
  --object-port N       object host port for presigned URLs (default: any free port)
  --host H              address to bind (default 127.0.0.1)
  --data DIR            keep uploads in DIR (default: a temp dir, removed on exit)
  --seed demo|none      demo: <user>/demo/hello:latest (amd64, arm64), :v1.0, private <user>/secret/thing:latest
  --image FILE=REF      also serve FILE (used in place, any size) as entity/collection/container[:tag,…];
                        repeatable; entities are owned by --user
  --arch A              arch of the --image files (default amd64)
  --user U              the token's user (default: demo)
  --token T             its Bearer token (default: 40 random hex)
  --api-version V       /version apiVersion (default 2.0.0-alpha.2; 2.0.0-alpha.1 as the Registry Server, 1.0.0 v1 only)
  --download MODE       303 (default, Sylabs Cloud), 302 (Registry Server) or direct
  --part-size BYTES     multipart part size the server hands out (default 524288000)
  --no-multipart        _multipart answers 404 (clients fall back to one PUT)
  --no-search           no /v1/search (as the Registry Server)
  --no-token-status     no /v1/token-status (a server that cannot check a token)
  --no-delete           DELETE answers 405
  --presign-expiry S    presigned URL lifetime in seconds (default 300)
  --json                print {"url","objectUrl","user","token","images"} instead of the listening line
`;

export interface RunningLibrary {
  handle: LibraryServerHandle;
  user: string;
  token: string;
  stop(): Promise<void>;
}

function whole(flag: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`${flag} must be a whole number 0-${max}, got ${value}`);
  return n;
}

export async function serveLibrary(
  argv: string[],
  io = { stdout: (l: string) => void process.stdout.write(`${l}\n`) },
): Promise<RunningLibrary> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      'object-port': { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      seed: { type: 'string' },
      image: { type: 'string', multiple: true },
      arch: { type: 'string' },
      user: { type: 'string' },
      token: { type: 'string' },
      'api-version': { type: 'string' },
      download: { type: 'string' },
      'part-size': { type: 'string' },
      'no-multipart': { type: 'boolean' },
      'no-search': { type: 'boolean' },
      'no-token-status': { type: 'boolean' },
      'no-delete': { type: 'boolean' },
      'presign-expiry': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const seedName = values.seed ?? 'demo';
  if (seedName !== 'demo' && seedName !== 'none') throw new UsageError(`--seed must be demo or none, got ${seedName}`);
  const download = values.download ?? '303';
  if (!['303', '302', 'direct'].includes(download)) throw new UsageError(`--download must be 303, 302 or direct, got ${download}`);
  const user = (values.user ?? 'demo').toLowerCase();
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(user)) throw new UsageError(`--user must be a lowercase library name, got ${values.user}`);
  const token = values.token ?? randomToken();
  const partSize = whole('--part-size', values['part-size']);
  if (partSize === 0) throw new UsageError('--part-size must be over 0');
  const expiry = whole('--presign-expiry', values['presign-expiry']);
  const images = (values.image ?? []).map((spec) => imageSpec(spec, values.arch ?? 'amd64'));

  const fixtures = await mkdtemp(join(tmpdir(), 'sregistry-testkit-library-seed-'));
  try {
    const seeded = seedName === 'demo' ? await demoLibrarySeed(fixtures, user) : [];
    const options: LibraryServerOptions = {
      host: values.host ?? '127.0.0.1',
      port: whole('--port', values.port, 65535) ?? 0,
      objectPort: whole('--object-port', values['object-port'], 65535) ?? 0,
      dataDir: values.data,
      apiVersion: values['api-version'],
      download: download === 'direct' ? 'direct' : (Number(download) as 302 | 303),
      partSize,
      multipart: !values['no-multipart'],
      search: !values['no-search'],
      tokenStatus: !values['no-token-status'],
      delete: !values['no-delete'],
      presignExpiryMs: expiry === undefined ? undefined : expiry * 1000,
      tokens: [{ token, owner: user }],
      // Entities of --image refs are owned by the user, so pushes over them work.
      entities: [...new Set([...seeded, ...images].map((i) => parseSeedRef(i.ref).entity))].map((name) => ({ name, owner: user })),
      images: [...seeded, ...images],
    };
    const handle = await startLibraryServer(options);
    const refs = [...seeded, ...images].map((i) => `${i.ref} (${i.arch ?? 'amd64'})`);
    io.stdout(
      values.json
        ? JSON.stringify({ url: handle.url, objectUrl: handle.objectUrl, user, token, images: refs })
        : `library listening on ${handle.url} (objects on ${handle.objectUrl})`,
    );
    return {
      handle,
      user,
      token,
      async stop() {
        await handle.stop();
        await rm(fixtures, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(fixtures, { recursive: true, force: true });
    throw err;
  }
}

function imageSpec(spec: string, arch: string): LibrarySeedImage {
  const at = spec.lastIndexOf('=');
  const file = at > 0 ? spec.slice(0, at) : '';
  const ref = spec.slice(at + 1);
  if (!file) throw new UsageError(`--image takes FILE=entity/collection/container[:tag], got ${spec}`);
  try {
    parseSeedRef(ref);
  } catch (err) {
    throw new UsageError(`--image: ${(err as Error).message.replace(/^library-server: /, '')}`);
  }
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`--image: ${file} is not a file`);
  return { ref, file: resolve(file), arch };
}
