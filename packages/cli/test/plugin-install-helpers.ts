// What the plugins install tests share: a demo backend plugin published to a test verdaccio, and a data folder's
// exact state (to check that a failed or cancelled install left it as it was).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { VerdaccioHandle } from '../../testkit/src/verdaccio';

/** Publishes `sregistry-backend-demo@<version>` (a plugin with one backend, `demo`) from a folder under `work`. */
export function publishDemo(verdaccio: VerdaccioHandle, work: string, version: string): Promise<void> {
  const pkg = path.join(work, `pkg-${version}`);
  fs.mkdirSync(pkg, { recursive: true });
  const pjson = {
    name: 'sregistry-backend-demo',
    version,
    oclif: { commands: './commands' },
    sregistry: { backends: { demo: './backend.js' } },
  };
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify(pjson));
  fs.writeFileSync(path.join(pkg, 'backend.js'), 'exports.createBackend = (ctx) => ({ name: ctx.name });\n');
  return new Promise((resolve, reject) =>
    execFile('npm', ['publish', '--registry', verdaccio.url, '--userconfig', verdaccio.npmrcPath], { cwd: pkg }, (error, _out, err) =>
      error ? reject(new Error(`npm publish ${version}: ${err}`)) : resolve(),
    ),
  );
}

/** Every file under `dir` (node_modules included) with its content, and every symlink's target. */
export function folderState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      const rel = path.relative(dir, p);
      if (entry.isDirectory()) walk(p);
      else if (entry.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(p)}`;
      else out[rel] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}
