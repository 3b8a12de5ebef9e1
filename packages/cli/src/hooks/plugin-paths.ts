import fs from 'node:fs';
import path from 'node:path';
import type { Hook } from '@oclif/core';
import { errorJson, errorLine, jsonErrorPlace, jsonText, printable, UserError } from '@sregistry/core';
import { rememberPluginsInvocation } from '../plugins-invocation';

/**
 * `plugins install` and `plugins link` given a folder, checked before @oclif/plugin-plugins sees it: install turns a
 * path into a GitHub URL (the folder's name goes out to github.com, and the command hangs until npm gives up), and
 * link of a folder without a readable package.json prints oclif's internal state over several lines (and one whose
 * package.json has no "oclif" section fails without a word). Each is one
 * line with the fix instead.
 */
const hook: Hook.Init = async function ({ id, argv }) {
  rememberPluginsInvocation(id);
  if (id !== 'plugins:install' && id !== 'plugins:link') return;
  const words = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : undefined);
  const positionals = words.filter((w) => !w.startsWith('-'));
  const error = id === 'plugins:install' ? installProblem(positionals) : linkProblem(positionals[0]);
  if (!error) return;
  if (words.includes('--json')) {
    process.stdout.write(`${jsonText(errorJson(error.message, { fix: error.fix, code: error.code, exitCode: error.exitCode }))}\n`);
  } else process.stderr.write(`ERROR ${errorLine(error)}\n`);
  this.exit(error.exitCode);
};

/** An npm name or a GitHub `user/repo` never starts like a path. */
const PATH_LIKE = /^(?:\.{1,2}(?:[/\\]|$)|[/\\~])/;

function installProblem(names: string[]): UserError | undefined {
  const given = names.find((name) => PATH_LIKE.test(name));
  if (given === undefined) return undefined;
  const shown = printable(given);
  const isFolder = safeStat(given)?.isDirectory() === true;
  return new UserError(
    isFolder
      ? `${shown} is a folder, and plugins install takes an npm package name`
      : `${shown} is a path, and plugins install takes an npm package name`,
    { fix: `use a plugin's folder with: sregistry plugins link ${shown}`, code: 'EUSAGE' },
  );
}

function linkProblem(folder: string | undefined): UserError | undefined {
  if (folder === undefined) return undefined;
  const shown = printable(folder);
  const stat = safeStat(folder);
  if (!stat) return new UserError(`${shown} does not exist`, { fix: 'give the folder of a backend plugin', code: 'ENODIR' });
  if (!stat.isDirectory()) return new UserError(`${shown} is not a folder`, { fix: 'give the folder of a backend plugin', code: 'ENODIR' });
  const file = path.join(path.resolve(folder), 'package.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return new UserError(`${printable(file)} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`, {
      fix: 'a plugin folder holds a package.json with an "oclif" section (see docs/writing-a-backend.md)',
      code: 'ENOFILE',
    });
  }
  const place = jsonErrorPlace(text);
  if (place !== undefined || text.trim() === '') {
    return new UserError(`${printable(file)} is not valid JSON${place ? ` (${place})` : ''}`, {
      fix: 'fix it, then link the folder again',
      code: 'EPLUGIN',
    });
  }
  // plugin-plugins refuses such a folder with an error it prints only after its progress line (nothing at all under
  // --json), so the refusal is made here
  const pjson = JSON.parse(text) as unknown;
  if (pjson === null || typeof pjson !== 'object' || Array.isArray(pjson) || !('oclif' in pjson)) {
    return new UserError(`${shown} is not an sregistry plugin (${printable(file)} has no "oclif" section)`, {
      fix: 'a plugin folder holds a package.json with an "oclif" section (see docs/writing-a-backend.md)',
      code: 'EPLUGIN',
    });
  }
  return undefined;
}

function safeStat(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

export default hook;
