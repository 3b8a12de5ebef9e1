// A real OCI registry for tests: Debian's `docker-registry` (Distribution 2.8) started per suite on 127.0.0.1
// with a generated config, its storage in a temp folder removed by close(). Set-ups: no auth, htpasswd Basic
// auth (plain http or TLS with a generated CA), and token auth trusting the testkit's token server.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { hashSync } from 'bcryptjs';
import { makeCertificates } from './certs';
import { startTokenServer, type TokenServerHandle } from './token-server';

export const DISTRIBUTION_BINARY = process.env.SREGISTRY_TEST_DOCKER_REGISTRY || '/usr/bin/docker-registry';

export interface DistributionOptions {
  /** default 'htpasswd' */
  auth?: 'none' | 'htpasswd' | 'token';
  /** serve https with a certificate for 127.0.0.1 signed by a CA the suite makes (`caFile`) */
  tls?: boolean;
  /** username → password (htpasswd entries, or the token server's users) */
  users?: Record<string, string>;
  /** token set-up: repositories anonymous callers may pull */
  publicRepositories?: string[];
  /** token set-up: the tokens' lifetime in seconds (negative: already expired) */
  tokenLifetimeSeconds?: number;
  /** allow DELETE of manifests (default true) */
  deleteEnabled?: boolean;
}

export interface DistributionHandle {
  /** `http://127.0.0.1:<port>` or `https://…` */
  url: string;
  /** `127.0.0.1:<port>`, as an image reference names it */
  host: string;
  /** the CA to trust for the TLS set-up (NODE_EXTRA_CA_CERTS) */
  caFile?: string;
  tokenServer?: TokenServerHandle;
  /** the registry's storage root */
  storage: string;
  /** where the registry keeps a blob's bytes on disk */
  blobPath(digest: string): string;
  /** what the registry wrote to stderr (for failure messages) */
  log(): string;
  close(): Promise<void>;
}

/**
 * Whether the registry binary is there. Missing in CI is an error (the CI script installs it); elsewhere the
 * caller skips with this message.
 */
export function distributionAvailable(): { ok: true } | { ok: false; reason: string } {
  if (fs.existsSync(DISTRIBUTION_BINARY)) return { ok: true };
  const reason = `${DISTRIBUTION_BINARY} is missing: apt-get install docker-registry (or set SREGISTRY_TEST_DOCKER_REGISTRY)`;
  if (process.env.CI === 'true') throw new Error(`CI needs the OCI registry: ${reason}`);
  return { ok: false, reason };
}

/** A port that is free now: the registry cannot listen on port 0 and report it back. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startDistribution(options: DistributionOptions = {}): Promise<DistributionHandle> {
  const available = distributionAvailable();
  if (!available.ok) throw new Error(available.reason);
  const auth = options.auth ?? 'htpasswd';
  const users = options.users ?? {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sregistry-oci-'));
  const storage = path.join(dir, 'storage');
  let tokenServer: TokenServerHandle | undefined;
  let child: ChildProcess | undefined;
  try {
    const certs = options.tls || auth === 'token' ? makeCertificates(path.join(dir, 'certs')) : undefined;
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config: Record<string, unknown> = {
      version: 0.1,
      log: { level: 'info', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: storage }, delete: { enabled: options.deleteEnabled ?? true } },
      http: {
        addr: host,
        secret: 'sregistry-testkit-secret',
        ...(options.tls && certs ? { tls: { certificate: certs.serverCert, key: certs.serverKey } } : {}),
      },
    };
    if (auth === 'htpasswd') {
      const file = path.join(dir, 'htpasswd');
      // cost 5: the registry checks the hash on every request, and the tests make many
      fs.writeFileSync(
        file,
        Object.entries(users)
          .map(([user, password]) => `${user}:${hashSync(password, 5)}\n`)
          .join(''),
      );
      config.auth = { htpasswd: { realm: 'sregistry-test', path: file } };
    } else if (auth === 'token' && certs) {
      tokenServer = await startTokenServer({
        issuer: 'sregistry-testkit',
        service: 'sregistry-test-registry',
        signingKey: certs.signingKey,
        signingCert: certs.signingCert,
        users,
        publicRepositories: options.publicRepositories,
        lifetimeSeconds: options.tokenLifetimeSeconds,
      });
      config.auth = {
        token: {
          realm: tokenServer.url,
          service: 'sregistry-test-registry',
          issuer: 'sregistry-testkit',
          rootcertbundle: certs.signingCert,
        },
      };
    }
    // JSON is YAML: the registry reads it as its config file
    const configFile = path.join(dir, 'config.yml');
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    let log = '';
    child = spawn(DISTRIBUTION_BINARY, ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-64 * 1024);
    });
    const url = `${options.tls ? 'https' : 'http'}://${host}`;
    await waitUntilServing(url, child, certs?.caFile, () => log);
    const running = child;
    return {
      url,
      host,
      caFile: options.tls ? certs?.caFile : undefined,
      tokenServer,
      storage,
      blobPath: (digest) => {
        const [algorithm, hex] = digest.split(':');
        return path.join(storage, 'docker', 'registry', 'v2', 'blobs', algorithm, hex.slice(0, 2), hex, 'data');
      },
      log: () => log,
      async close() {
        await stopProcess(running);
        await tokenServer?.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child) await stopProcess(child);
    await tokenServer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function waitUntilServing(url: string, child: ChildProcess, ca: string | undefined, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  const caPem = ca ? fs.readFileSync(ca) : undefined;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
    const answered = await new Promise<boolean>((resolve) => {
      const get = url.startsWith('https:') ? https.get : http.get;
      const req = get(`${url}/v2/`, caPem ? { ca: caPem } : {}, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.setTimeout(2000, () => req.destroy());
    });
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry did not answer on ${url} within 30 s: ${log()}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
