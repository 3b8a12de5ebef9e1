// A temporary HOME (secrets file, catalogue, storage) and a Session on it with only the backend under test, the way
// a plain script uses @sregistry/core: no oclif, no plugins discovered, no settings from the real environment.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type * as Core from '@sregistry/core';
import type { ConformanceService, CoreModule } from './types';

export interface Captured {
  stdout: string[];
  stderr: string[];
  text(): string;
}

export interface Sandbox {
  home: string;
  env: Record<string, string>;
  storageDir: string;
  registry: Core.BackendRegistry;
  /** a new Session (close it when done) and what it printed */
  session(): { session: Core.Session; out: Captured };
  cleanup(): void;
}

function sink(lines: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
}

export function makeSandbox(core: CoreModule, name: string, module: Core.BackendModule, service: ConformanceService): Sandbox {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `sregistry-conformance-${name}-`));
  const env: Record<string, string> = { HOME: home, MESSAGELEVEL: 'INFO', ...service.env };
  if (service.secrets) fs.writeFileSync(path.join(home, '.sregistry'), JSON.stringify(service.secrets), { mode: 0o600 });
  const registry = new core.BackendRegistry().register(name, module, 'conformance');
  const storageDir = core.resolvePaths(env).storageDir;
  return {
    home,
    env,
    storageDir,
    registry,
    session() {
      const out: Captured = { stdout: [], stderr: [], text: () => [...out.stdout, ...out.stderr].join('') };
      const output = new core.Output({
        level: core.LEVELS.DEBUG,
        json: false,
        quiet: false,
        stdout: sink(out.stdout),
        stderr: sink(out.stderr),
      });
      return { session: new core.Session({ env, output, backends: registry }), out };
    },
    cleanup: () => fs.rmSync(home, { recursive: true, force: true }),
  };
}

/** Values that look like credentials in the service's settings, plus the ones it names. */
export function secretValues(service: ConformanceService): string[] {
  const found = new Set(service.secretValues ?? []);
  const visit = (key: string, value: unknown) => {
    if (typeof value === 'string' && value.length >= 6 && /token|secret|password|credential/i.test(key)) found.add(value);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(k, v);
  };
  for (const [k, v] of Object.entries(service.env ?? {})) visit(k, v);
  visit('', service.secrets);
  return [...found];
}

export function sha256Of(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Every file below `dir` (relative paths), folders left out. */
export function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((rel) => fs.statSync(path.join(dir, rel)).isFile()).sort();
}
