// Apptainer's own remote configuration (`~/.apptainer/remote.yaml`, SingularityCE's `~/.singularity/remote.yaml`):
// the active remote's URI and token, so a user who ran `apptainer remote login` needs nothing more. Read with the
// `yaml` library (the files are written by Go's yaml.v2/v3: block maps, quoted or plain scalars).
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export interface ApptainerRemote {
  /** the remote's name in the file */
  name: string;
  /** `https://<URI>` (http when the remote is marked Insecure), the remote's front end */
  url: string;
  token?: string;
  /** the file it came from */
  file: string;
}

/** Files are small; anything bigger is not a remote configuration. */
const MAX_BYTES = 256 * 1024;

/** The remote files looked at, first found wins: Apptainer's, then SingularityCE's. */
export function remoteFiles(home: string | undefined): string[] {
  if (!home) return [];
  return [path.join(home, '.apptainer', 'remote.yaml'), path.join(home, '.singularity', 'remote.yaml')];
}

export interface RemoteConfig {
  /** the active remote (the only one, when the file marks none active) */
  active?: ApptainerRemote;
  all: ApptainerRemote[];
}

/** The remotes of the first remote file that exists; a broken file is reported (`warn`), not thrown. */
export function readRemotes(home: string | undefined, warn: (message: string) => void): RemoteConfig {
  for (const file of remoteFiles(home)) {
    let text: string;
    try {
      const stat = fs.statSync(file);
      if (!stat.isFile() || stat.size > MAX_BYTES) continue;
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    try {
      return remotesOf(parse(text), file, warn);
    } catch (error) {
      warn(`${file} is not valid YAML (${String((error as Error).message).split('\n')[0]}): its remotes are not used`);
      return { all: [] };
    }
  }
  return { all: [] };
}

function field(object: Record<string, unknown>, name: string): unknown {
  // Go's yaml writes the struct field names (URI, Token, Insecure); older files use lower case
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : object[key];
}

export function remotesOf(doc: unknown, file: string, warn: (message: string) => void = () => undefined): RemoteConfig {
  if (!doc || typeof doc !== 'object') return { all: [] };
  const root = doc as Record<string, unknown>;
  const activeName = field(root, 'Active');
  const remotes = field(root, 'Remotes');
  if (!remotes || typeof remotes !== 'object') return { all: [] };
  const all: ApptainerRemote[] = [];
  for (const [name, value] of Object.entries(remotes as Record<string, unknown>)) {
    if (!value || typeof value !== 'object') continue;
    const entry = value as Record<string, unknown>;
    const uri = field(entry, 'URI');
    if (typeof uri !== 'string' || uri.trim() === '') continue;
    const insecure = field(entry, 'Insecure') === true;
    const trimmed = uri.trim().replace(/\/+$/, '');
    const url = /^https?:\/\//i.test(trimmed) ? trimmed : `${insecure ? 'http' : 'https'}://${trimmed}`;
    const token = field(entry, 'Token');
    all.push({ name, url, token: typeof token === 'string' && token.trim() !== '' ? token.trim() : undefined, file });
  }
  const active = typeof activeName === 'string' ? all.find((r) => r.name === activeName) : all.length === 1 ? all[0] : undefined;
  // a typo in Active would otherwise send the user to the default library without a word
  if (typeof activeName === 'string' && activeName !== '' && !active) {
    const names = all.map((r) => r.name).join(', ') || 'none';
    warn(`${file} names the active remote "${activeName.slice(0, 60)}", which it does not define (remotes: ${names}): it is not used`);
  }
  return { active, all };
}
