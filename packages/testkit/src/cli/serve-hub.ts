// `sregistry-testkit serve-hub`: the fake Singularity Hub archive as a process, for manual testing and demos
// (`SREGISTRY_HUB_BASE=<url> sregistry pull shub://vsoch/hello-world`). Prints one line, or JSON with --json.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeExt3, writeSimg } from '../fixtures/legacy-images';
import { sampleSif } from '../fixtures/sample-sif';
import { fakeSquashfs } from '../fixtures/squashfs';
import { startHubServer } from '../hub-server/server';
import type { HubImageSeed, HubServer } from '../hub-server/types';
import { UsageError } from './serve';

export const SERVE_HUB_USAGE = `Usage: sregistry-testkit serve-hub [options]

  --port N            port to listen on, on 127.0.0.1 (default: any free port)
  --seed demo|none    demo: vsoch/hello-world:latest (SIF), singularityhub/busybox:latest (.simg),
                      vsoch/singularity-hello-world:latest (legacy .img.gz of an ext3 image)
  --corrupt           serve image bytes that do not match the manifest's version (md5)
  --redirect          answer image URLs with a 302 to the annex path
  --drop-after N      cut each of the first --drop-count downloads after N bytes (default: every download)
  --drop-count N
  --json              print {"url","images"} instead of the listening line

Use the printed URL as SREGISTRY_HUB_BASE. Names are case-sensitive, as on the Hub.
`;

export interface ServeHubIo {
  stdout: (line: string) => void;
}

export interface RunningHub {
  hub: HubServer;
  /** `user/repo:tag` of every seeded build */
  images: string[];
  stop(): Promise<void>;
}

/** The demo archive: one build per era of the Hub, so each format a client meets can be pulled. */
export async function demoHubSeed(dir: string): Promise<HubImageSeed[]> {
  const sif = await sampleSif(join(dir, 'hello-world.sif'), { labels: { 'org.sregistry.demo': 'vsoch/hello-world:latest' } });
  // Distinct squashfs/ext3 contents so every build has its own version (md5).
  const simg = await writeSimg(join(dir, 'busybox.simg'), fakeSquashfs({ size: 8192 }));
  const ext3 = await writeExt3(join(dir, 'hello-world.img'), { launchScript: true });
  return [
    { user: 'vsoch', repo: 'hello-world', tag: 'latest', file: sif.path, format: 'sif' },
    { user: 'singularityhub', repo: 'busybox', tag: 'latest', file: simg.path, format: 'simg' },
    // A plain image seeded as img.gz: the server gzips it and versions it by the unpacked md5, as the archive did.
    { user: 'vsoch', repo: 'singularity-hello-world', tag: 'latest', file: ext3.path, format: 'img.gz' },
  ];
}

function count(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a whole number, got ${value}`);
  return n;
}

/** Starts the archive per argv; the caller decides when to stop (main wires SIGINT/SIGTERM). */
export async function serveHub(argv: string[], io: ServeHubIo = { stdout: (l) => process.stdout.write(`${l}\n`) }): Promise<RunningHub> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      seed: { type: 'string' },
      corrupt: { type: 'boolean' },
      redirect: { type: 'boolean' },
      'drop-after': { type: 'string' },
      'drop-count': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const port = count('--port', values.port) ?? 0;
  if (port > 65535) throw new UsageError(`--port must be 0-65535, got ${values.port}`);
  const seedName = values.seed ?? 'demo';
  if (seedName !== 'demo' && seedName !== 'none') throw new UsageError(`--seed must be demo or none, got ${seedName}`);

  // The server streams seed files from disk while it runs, so the fixtures live until stop().
  const fixtures = await mkdtemp(join(tmpdir(), 'sregistry-testkit-hub-'));
  try {
    const images = seedName === 'demo' ? await demoHubSeed(fixtures) : [];
    const hub = await startHubServer({
      port,
      images,
      corrupt: values.corrupt ?? false,
      redirectDownloads: values.redirect ?? false,
      dropAfterBytes: count('--drop-after', values['drop-after']),
      dropCount: count('--drop-count', values['drop-count']),
    });
    const names = images.map((s) => `${s.user}/${s.repo}:${s.tag}`);
    io.stdout(values.json ? JSON.stringify({ url: hub.origin, images: names }) : `hub listening on ${hub.origin}`);
    return {
      hub,
      images: names,
      async stop() {
        await hub.close();
        await rm(fixtures, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(fixtures, { recursive: true, force: true });
    throw err;
  }
}
