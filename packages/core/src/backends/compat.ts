// Whether a plugin fits the installed core: its `peerDependencies["@sregistry/core"]` range, checked with semver
// before any of its code is loaded. A plugin that states no range is taken as fitting (plugins written before
// ranges were checked); one whose range is not valid semver does not fit, since nothing says it would work.
/* eslint-disable @typescript-eslint/no-require-imports */
import type satisfiesFn from 'semver/functions/satisfies';
import type validRangeFn from 'semver/ranges/valid';
import { requireBundled } from '../bundled';
import { UserError } from '../errors';
import { printable } from '../output/untrusted';
import { CORE_VERSION } from '../version';
import { brokenPluginFix, pluginErrorText, unfitPluginFix } from './plugin-fixes';
import { recallVerdict, rememberVerdict } from './range-verdicts';

export { coreRangeVerdicts } from './range-verdicts';

export const CORE_PACKAGE = '@sregistry/core';

/** Why a plugin cannot be used with this core. */
export interface CoreMismatch {
  /** the range the plugin declares */
  range: string;
  /** the installed core's version */
  core: string;
}

/**
 * The mismatch between a declared peer range and the installed core, or undefined when they fit. A pnpm
 * `workspace:` range (a plugin linked from this repository) is read without its prefix.
 */
export function coreMismatch(peerDependencies: unknown, core: string = CORE_VERSION): CoreMismatch | undefined {
  if (!peerDependencies || typeof peerDependencies !== 'object') return undefined;
  const declared = (peerDependencies as Record<string, unknown>)[CORE_PACKAGE];
  if (declared === undefined) return undefined;
  const range = typeof declared === 'string' ? declared.trim() : String(declared);
  const plain = range.replace(/^workspace:/, '');
  if (plain === '*' || plain === '^' || plain === '~' || plain === '') return undefined;
  const key = `${plain} ${core}`;
  let fits = recallVerdict(key);
  if (fits === undefined) {
    const { validRange, satisfies } = semverParts();
    // prereleases of core (0.2.0-next.1) count as inside a range like >=0.1.0 <1
    fits = validRange(plain) !== null && satisfies(core, plain, { includePrerelease: true });
    rememberVerdict(key, fits);
  }
  return fits ? undefined : { range, core };
}

/** semver's two functions as one bundled file when built (scripts/bundle.js), else the package (sources run through tsx). */
function semverParts(): { validRange: typeof validRangeFn; satisfies: typeof satisfiesFn } {
  return requireBundled(
    () => require('./semver-bundle'),
    'semver-bundle',
    () => ({ validRange: require('semver/ranges/valid'), satisfies: require('semver/functions/satisfies') }),
  );
}

/** The one line shown for a plugin that does not fit (backend ls, and any attempt to use it). */
export function mismatchLine(plugin: string, version: string | undefined, mismatch: CoreMismatch): string {
  return `${plugin}${version ? `@${version}` : ''} needs ${CORE_PACKAGE} ${mismatch.range}, but the installed core is ${mismatch.core}`;
}

/**
 * The refusal of a command of a plugin that does not fit this core (`commandId` as oclif has it, `topic:name`):
 * the CLI's start-up hook and the command base give the same one line.
 */
export function unfitCommandError(
  commandId: string,
  plugin: { name: string; version?: string; type?: string; root?: string },
  mismatch: CoreMismatch,
): UserError {
  return new UserError(
    `The command "${commandId.replace(/:/g, ' ')}" cannot be used: ${mismatchLine(plugin.name, plugin.version, mismatch)}`,
    {
      fix: unfitPluginFix({ name: plugin.name, source: plugin.type, root: plugin.root }),
      code: 'EINCOMPATIBLE',
    },
  );
}

/** The refusal of a command of an installed or linked plugin whose file throws when it is loaded. */
export function brokenCommandError(commandId: string, plugin: { name: string; type?: string; root?: string }, cause: unknown): UserError {
  const where = plugin.type === 'link' && plugin.root ? ` (linked from ${plugin.root})` : '';
  return new UserError(
    `The command "${commandId.replace(/:/g, ' ')}" of ${plugin.name}${where} cannot be loaded (${printable(pluginErrorText(cause))})`,
    { fix: brokenPluginFix({ name: plugin.name, source: plugin.type, root: plugin.root }), code: 'EPLUGIN', cause },
  );
}
