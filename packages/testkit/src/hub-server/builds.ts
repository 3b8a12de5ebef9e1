import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { HubBuild, HubFormat, HubImageSeed, HubManifest } from './types';

const DAY_MS = 24 * 60 * 60 * 1000;
const FIRST_BUILD = Date.UTC(2019, 0, 1);

async function md5Of(file: string, gunzip = false): Promise<string> {
  const hash = createHash('md5');
  const source = fs.createReadStream(file);
  if (gunzip) await pipeline(source, zlib.createGunzip(), hash);
  else await pipeline(source, hash);
  return hash.digest('hex');
}

function isGzip(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    return fs.readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}

export function formatOf(seed: HubImageSeed): HubFormat {
  if (seed.format) return seed.format;
  if (/\.simg$/i.test(seed.file)) return 'simg';
  if (/\.gz$/i.test(seed.file)) return 'img.gz';
  return 'sif';
}

/** Checks a seed before any work, so a typo in a test fails with a message rather than a 404 later. */
function checkSeed(seed: HubImageSeed): void {
  for (const key of ['user', 'repo', 'tag'] as const) {
    if (typeof seed[key] !== 'string' || seed[key] === '' || /[/\s]/.test(seed[key])) {
      throw new Error(`hub-server seed: ${key} must be a non-empty string without "/" or white space (got ${JSON.stringify(seed[key])})`);
    }
  }
  if (seed.commit !== undefined && !/^[0-9a-f]{40}$/.test(seed.commit)) throw new Error('hub-server seed: commit must be 40 lowercase hex');
  if (seed.buildDate !== undefined && Number.isNaN(Date.parse(seed.buildDate)))
    throw new Error(`hub-server seed: bad buildDate ${seed.buildDate}`);
  if (!fs.existsSync(seed.file)) throw new Error(`hub-server seed: no such file ${seed.file}`);
}

/**
 * Turns a seed into a build the way the archive's data was made: version = md5 of the image (of the
 * decompressed image for legacy `.img.gz`), the file placed at `<user>/<repo>/<tag>/<date>-<commit8>-<version8>/`.
 * `index` is the seed's position, used for stable defaults; `scratch` receives gzipped copies.
 */
export async function makeBuild(seed: HubImageSeed, index: number, scratch: string): Promise<HubBuild> {
  checkSeed(seed);
  const format = formatOf(seed);
  let file = seed.file;
  let version: string;
  if (format === 'img.gz') {
    if (isGzip(seed.file)) {
      version = await md5Of(seed.file, true);
    } else {
      // Tests usually hold a plain image; the archive only ever had the gzip, so make one.
      version = await md5Of(seed.file);
      file = path.join(scratch, `${index}-${version}.img.gz`);
      await pipeline(fs.createReadStream(seed.file), zlib.createGzip(), fs.createWriteStream(file));
    }
  } else {
    version = await md5Of(seed.file);
  }
  const size = fs.statSync(file).size;
  const fileMd5 = format === 'img.gz' ? await md5Of(file) : version;
  const commit = seed.commit ?? createHash('sha1').update(`${seed.user}/${seed.repo}:${seed.tag}#${index}`).digest('hex');
  const buildDate = new Date(seed.buildDate ?? FIRST_BUILD + index * DAY_MS).toISOString();
  const day = buildDate.slice(0, 10);
  const seg = (s: string) => encodeURIComponent(s);
  const archivePath = `/shub/${seg(seed.user)}/${seg(seed.repo)}/${seg(seed.tag)}/${day}-${commit.slice(0, 8)}-${version.slice(0, 8)}/${version}.${format}`;
  const annexPath = `/annex/objects/MD5E-s${size}--${fileMd5}.${format}`;
  const manifest: HubManifest = {
    id: seed.id ?? 1000 + index,
    name: `${seed.user}/${seed.repo}`,
    branch: seed.branch ?? 'master',
    commit,
    tag: seed.tag,
    version,
    size_mb: seed.sizeMb ?? Math.max(1, Math.ceil(size / (1024 * 1024))),
    image: seed.imageNull ? null : archivePath, // made absolute when served (the origin is known then)
  };
  return { manifest: { ...manifest, ...seed.manifest }, buildDate, format, file, size, fileMd5, archivePath, annexPath };
}

/** The manifest with the archive's field order, whatever order overrides came in. */
export function orderedManifest(m: HubManifest, origin: string): HubManifest {
  const image = typeof m.image === 'string' && m.image.startsWith('/') ? `${origin}${m.image}` : m.image;
  return { id: m.id, name: m.name, branch: m.branch, commit: m.commit, tag: m.tag, version: m.version, size_mb: m.size_mb, image };
}
