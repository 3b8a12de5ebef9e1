// Shared by the oras tests: a temp HOME with the plugin linked and a Docker login, the catalogue rows, and an
// artifact written by hand with curl in Apptainer's layout (independent of this plugin's push).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DistributionHandle } from '@sregistry/testkit';
import { type CliResult, makeTempHome, runCli } from '@sregistry/testkit';

export { assertOneLineError } from '@sregistry/testkit';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const BIN = path.join(REPO, 'packages', 'cli', 'bin', 'run.js');
export const PLUGIN_DIR = path.join(REPO, 'packages', 'backend-oras');

export const USER = 'alice';
export const PASSWORD = 'oras-e2e-p4ss-w0rd';
export const USERS = { [USER]: PASSWORD };

const run = promisify(execFile);

export interface OrasHome {
  home: string;
  dockerConfig: string;
  storage: string;
  work: string;
  /** the environment the CLI runs with (before testkit's cleanEnv) */
  env: Record<string, string | undefined>;
  run(args: string[], options?: { env?: Record<string, string | undefined>; input?: string }): Promise<CliResult>;
  cleanup(): void;
}

/** A temp HOME whose CLI talks to `registry` (plain http unless it has a CA), logged in as USER unless told not to. */
export async function orasHome(registry: DistributionHandle, options: { login?: boolean } = {}): Promise<OrasHome> {
  const temp = makeTempHome('sregistry-oras-');
  const work = path.join(temp.home, 'work');
  fs.mkdirSync(work);
  const dockerConfig = path.join(temp.home, '.docker', 'config.json');
  if (options.login !== false) writeLogin(dockerConfig, registry.host, USER, PASSWORD);
  const env: Record<string, string | undefined> = {
    ...temp.env,
    DOCKER_CONFIG: undefined,
    SREGISTRY_ORAS_NOHTTPS: registry.caFile ? undefined : 'true',
    NODE_EXTRA_CA_CERTS: registry.caFile,
  };
  const runIt = (args: string[], o: { env?: Record<string, string | undefined>; input?: string } = {}) =>
    runCli(BIN, args, { cwd: work, input: o.input, env: { ...env, ...o.env } });
  // push and delete are core's commands, which this plugin registers: no other plugin is needed
  const linked = await runIt(['plugins', 'link', PLUGIN_DIR, '--no-install']);
  assert.equal(linked.code, 0, `plugins link failed: ${linked.stderr}`);
  return {
    home: temp.home,
    dockerConfig,
    storage: path.join(temp.home, '.singularity', 'shub'),
    work,
    env,
    run: runIt,
    cleanup: temp.cleanup,
  };
}

export function writeLogin(file: string, host: string, user: string, password: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }), {
    mode: 0o600,
  });
}

export const sha256Hex = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
export const fileSha256 = (file: string) => sha256Hex(fs.readFileSync(file));

/** Every regular file under `dir`, relative to it. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((rel) => fs.statSync(path.join(dir, rel)).isFile()).sort();
}

async function curl(args: string[]): Promise<{ status: number; headers: string }> {
  const { stdout } = await run('curl', ['-sS', '-D', '-', '-o', '/dev/null', ...args]);
  const blocks = stdout.trim().split(/\r?\n\r?\n/);
  const last = blocks[blocks.length - 1];
  return { status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(last)?.[1]), headers: last };
}

/**
 * Pushes `file` the way Apptainer lays out an ORAS artifact, with curl and Basic auth: the SIF blob, the `{}`
 * config blob, and an OCI manifest whose one layer is `layerType` titled with the file name (`copies` lists that
 * layer more than once, a broken artifact).
 */
export async function pushByHand(
  registry: DistributionHandle,
  repository: string,
  tag: string,
  file: string,
  layerType = 'application/vnd.sylabs.sif.layer.v1.sif',
  copies = 1,
): Promise<{ manifestDigest: string; manifestSize: number; layerDigest: string }> {
  const auth = ['-u', `${USER}:${PASSWORD}`, ...(registry.caFile ? ['--cacert', registry.caFile] : [])];
  const blob = async (data: { file?: string; bytes?: string }, digest: string) => {
    const started = await curl([...auth, '-X', 'POST', `${registry.url}/v2/${repository}/blobs/uploads/`]);
    assert.equal(started.status, 202, started.headers);
    const location = new URL(/^location: (.+)$/im.exec(started.headers)![1].trim(), registry.url);
    location.searchParams.set('digest', digest);
    const source = data.file ? `@${data.file}` : data.bytes!;
    const put = await curl([...auth, '-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '--data-binary', source, location.href]);
    assert.equal(put.status, 201, put.headers);
  };
  const layerDigest = `sha256:${fileSha256(file)}`;
  const configDigest = `sha256:${sha256Hex('{}')}`;
  await blob({ file }, layerDigest);
  await blob({ bytes: '{}' }, configDigest);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.sylabs.sif.config.v1+json', digest: configDigest, size: 2 },
    layers: Array.from({ length: copies }, () => ({
      mediaType: layerType,
      digest: layerDigest,
      size: fs.statSync(file).size,
      annotations: { 'org.opencontainers.image.title': path.basename(file) },
    })),
  });
  const put = await curl([
    ...auth,
    '-X',
    'PUT',
    '-H',
    'Content-Type: application/vnd.oci.image.manifest.v1+json',
    '--data-binary',
    manifest,
    `${registry.url}/v2/${repository}/manifests/${tag}`,
  ]);
  assert.equal(put.status, 201, put.headers);
  return { manifestDigest: `sha256:${sha256Hex(manifest)}`, manifestSize: Buffer.byteLength(manifest), layerDigest };
}

/** An OCI index under `tag` naming manifests already pushed, each with its platform (as a multi-arch push writes). */
export async function pushIndexByHand(
  registry: DistributionHandle,
  repository: string,
  tag: string,
  entries: { digest: string; size: number; architecture?: string; os?: string }[],
): Promise<void> {
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: entries.map((m) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: m.digest,
      size: m.size,
      ...(m.architecture ? { platform: { architecture: m.architecture, os: m.os ?? 'linux' } } : {}),
    })),
  });
  const put = await curl([
    '-u',
    `${USER}:${PASSWORD}`,
    ...(registry.caFile ? ['--cacert', registry.caFile] : []),
    '-X',
    'PUT',
    '-H',
    'Content-Type: application/vnd.oci.image.index.v1+json',
    '--data-binary',
    index,
    `${registry.url}/v2/${repository}/manifests/${tag}`,
  ]);
  assert.equal(put.status, 201, put.headers);
}
