import childProcess, { type ChildProcess, execFile } from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { type Command, ux } from '@oclif/core';
import { printable, redactUrl, UserError } from '@sregistry/core';
import { Interrupt } from '@sregistry/core/local';
import { backupPrefix } from '../../install-backups';
import { type PluginsCommandClass, pluginsCommand } from '../../plugins-commands';

/** What plugin-plugins' parsePlugin makes of one name given: an npm package (with its tag) or a URL. */
interface ParsedPlugin {
  name?: string;
  url?: string;
  type: string;
}

type InstallCommand = Command & {
  run(): Promise<unknown>;
  parsePlugin(plugins: unknown, input: string): Promise<ParsedPlugin>;
};

const Base = pluginsCommand('plugins:install') as unknown as Omit<PluginsCommandClass, 'prototype'> &
  (new (
    ...args: ConstructorParameters<typeof Command>
  ) => InstallCommand);

// plugin-plugins' failures here name nothing: "Invalid npm package name." and, for a package that is no plugin,
// "plugin is invalid" with a fix over two lines telling the user to contact the CLI's developer. It also leaves
// such a package in the data folder's node_modules (it drops it from package.json only). The plugin being
// installed is the one parsePlugin saw last: plugin-plugins installs one name at a time and stops at a failure.
export default class PluginsInstall extends Base {
  private current?: {
    input: string;
    parsed?: ParsedPlugin;
    dependencies: Set<string>;
    folders: Set<string>;
    locks: Map<string, Buffer | undefined>;
    /** a plugin installed before (an upgrade, a reinstall): the data folder as it was, put back if this fails */
    previous?: { pjson: Buffer; snapshot: string };
  };

  override async parsePlugin(plugins: unknown, input: string): Promise<ParsedPlugin> {
    this.dropSnapshot();
    this.current = { input, ...this.installed(), locks: this.locks() };
    this.askRegistryOurselves(plugins as PluginsLike);
    try {
      this.current.parsed = await super.parsePlugin(plugins, input);
      if (this.cancel?.aborted) throw cancelled();
      const name = this.current.parsed.name;
      if (name && this.current.dependencies.has(name)) this.keepPrevious(plugins as PluginsLike, name);
      return this.current.parsed;
    } catch (error) {
      if ((error as Error).message === 'Invalid npm package name.') {
        throw new UserError(`${printable(input)} is not a valid npm package name`, {
          fix: 'give a plugin\'s npm name, such as @sregistry/backend-oras, or a plugin\'s folder to "sregistry plugins link"',
          code: 'EUSAGE',
        });
      }
      throw error;
    }
  }

  override async run(): Promise<unknown> {
    const restoreAction = quietFailure();
    // npm's own lines (its errors included) would go to stdout, before our one line: they are asked for by name
    // in the fix below instead
    process.env.SREGISTRY_NPM_LOG_LEVEL ??= 'silent';
    // npm's defaults wait about 70 s (two retries, 10 s then 60 s apart) before it says a registry that refuses
    // connections cannot be reached, and up to 15 min for one that never answers: bounded unless the user set them
    // (docs/writing-a-backend.md §4)
    for (const [key, value] of Object.entries(NPM_FETCH_LIMITS)) process.env[key] ??= value;
    // Ctrl-C: npm is stopped (a signal sent to this process alone does not reach it), and the failure path below
    // puts the data folder back and removes the backup, instead of a silent death that leaves both half-done
    const interrupt = new Interrupt();
    this.cancel = interrupt.signal;
    const npm = trackChildren(this.cancel);
    // npm takes a SIGINT as "roll back at the next step", which waits for the download in flight, however long:
    // what it leaves is undone here anyway (the backup goes back), so after a moment it is ended
    const stopNpm = () => {
      const running = () => [...npm.children].filter((child) => child.exitCode === null && child.signalCode === null);
      for (const child of running()) child.kill('SIGINT');
      setTimeout(() => {
        for (const child of running()) child.kill('SIGKILL');
      }, NPM_STOP_MS).unref();
    };
    this.cancel.addEventListener('abort', stopNpm, { once: true });
    try {
      const result = await super.run();
      this.dropSnapshot();
      return result;
    } catch (error) {
      const current = this.current;
      if (current?.previous) this.restorePrevious(current);
      else if (current) this.removeLeftovers(current);
      if (this.cancel.aborted) throw cancelled();
      if (current && (error as Error).message === 'plugin is invalid') {
        const name = printable(current.parsed?.name ?? current.parsed?.url ?? current.input);
        throw new UserError(`${name} is not an sregistry plugin (its package.json has no "oclif" section)`, {
          fix: 'install a backend plugin, such as @sregistry/backend-oras (docs/writing-a-backend.md says what makes a package one)',
          code: 'EPLUGIN',
        });
      }
      const exited = /\bexited with code (\d+)$/.exec((error as Error).message ?? '');
      if (current && exited) {
        const name = printable(current.input);
        throw new UserError(
          `npm could not install ${name} (it exited with code ${exited[1]}: a version the registry does not have, a registry it cannot reach, or a failed build)`,
          {
            fix: `see npm's own words with: SREGISTRY_NPM_LOG_LEVEL=notice sregistry plugins install ${name}`,
            code: 'EPLUGIN',
          },
        );
      }
      throw error;
    } finally {
      this.cancel.removeEventListener('abort', stopNpm);
      npm.restore();
      interrupt.release();
      restoreAction();
    }
  }

  private cancel?: AbortSignal;

  /**
   * plugin-plugins asks the registry for the package with `npm view` and, when that fails for any reason, says the
   * package "does not exist in the registry". npm says why in its --json error: a registry that cannot be reached
   * (refused, unknown host, timed out) is said so, naming it, and a missing package names the registry asked.
   */
  private askRegistryOurselves(plugins: PluginsLike): void {
    const npm = plugins.npm;
    if (typeof plugins.npmHasPackage !== 'function' || !npm || typeof npm.findNpm !== 'function') return;
    const findNpm = npm.findNpm.bind(npm);
    const config = this.config as typeof this.config & { npmRegistry?: string };
    const dataDir = this.config.dataDir;
    plugins.npmHasPackage = async (name: string, throwOnNotFound = false) => {
      const bin = await findNpm();
      const args = ['view', name, 'name', '--json', '--loglevel=silent'];
      if (config.npmRegistry) args.push(`--registry=${config.npmRegistry}`);
      const answer = await viewPackage(bin, args, dataDir);
      if (answer.ok) return true;
      if (!throwOnNotFound) return false;
      const registry = registryShown(config.npmRegistry ?? process.env.npm_config_registry, answer.summary);
      if (answer.code && UNREACHABLE.has(answer.code)) {
        throw new UserError(`the npm registry ${registry} could not be reached (${printable(answer.code)})`, {
          fix: `check the address and the network, or set SREGISTRY_NPM_REGISTRY=<url> to the registry that holds ${printable(name)}`,
          code: 'ENETWORK',
        });
      }
      if (answer.code === 'E404' || answer.code === undefined) {
        throw new UserError(`${printable(name)} does not exist in the npm registry ${registry}`, {
          fix: 'check the name, or set SREGISTRY_NPM_REGISTRY=<url> to the registry that holds it',
          code: 'ENOTFOUND',
        });
      }
      throw new UserError(`the npm registry ${registry} refused to answer for ${printable(name)} (${printable(answer.code)})`, {
        fix: `see npm's own words with: npm view ${printable(name)}${config.npmRegistry ? ' --registry <SREGISTRY_NPM_REGISTRY>' : ''}`,
        code: 'EPLUGIN',
      });
    };
  }

  /**
   * plugin-plugins answers a failed install by uninstalling the package (`npm uninstall`, and its entry in
   * package.json), which for a plugin that was installed before (`plugins install x@<a version that does not exist>`)
   * removes the working copy. Here that uninstall is skipped for it, and the data folder's node_modules is kept as
   * hard links (cheap: no bytes are copied; npm replaces folders rather than writing into files) with package.json,
   * so a failure puts everything back as it was, whatever npm had done by then.
   */
  private keepPrevious(plugins: PluginsLike, name: string): void {
    const current = this.current;
    if (!current) return;
    const dataDir = this.config.dataDir;
    const snapshot = fs.mkdtempSync(backupPrefix(dataDir));
    try {
      const modules = path.join(dataDir, 'node_modules');
      if (fs.existsSync(modules)) linkTree(modules, path.join(snapshot, 'node_modules'));
      current.previous = { pjson: fs.readFileSync(path.join(dataDir, 'package.json')), snapshot };
    } catch (error) {
      fs.rmSync(snapshot, { recursive: true, force: true });
      throw error;
    }
    if (typeof plugins.uninstall === 'function') {
      const uninstall = plugins.uninstall.bind(plugins);
      plugins.uninstall = async (which: string) => (which === name ? undefined : uninstall(which));
    }
  }

  /** The data folder as keepPrevious saw it: node_modules, package.json and npm's lockfiles. */
  private restorePrevious(current: NonNullable<PluginsInstall['current']>): void {
    const previous = current.previous;
    if (!previous) return;
    const dataDir = this.config.dataDir;
    const modules = path.join(dataDir, 'node_modules');
    const kept = path.join(previous.snapshot, 'node_modules');
    if (fs.existsSync(kept)) {
      fs.rmSync(modules, { recursive: true, force: true });
      fs.renameSync(kept, modules);
    }
    fs.writeFileSync(path.join(dataDir, 'package.json'), previous.pjson);
    this.putLocksBack(current.locks);
    this.dropSnapshot();
  }

  private dropSnapshot(): void {
    const previous = this.current?.previous;
    if (!previous) return;
    fs.rmSync(previous.snapshot, { recursive: true, force: true });
    this.current = { ...(this.current as NonNullable<PluginsInstall['current']>), previous: undefined };
  }

  /** npm's lockfiles in the data folder, as they are (undefined: absent), to put back after a failed install. */
  private locks(): Map<string, Buffer | undefined> {
    const locks = new Map<string, Buffer | undefined>();
    for (const file of LOCKFILES.map((name) => path.join(this.config.dataDir, name))) {
      try {
        locks.set(file, fs.readFileSync(file));
      } catch {
        locks.set(file, undefined);
      }
    }
    return locks;
  }

  /** The data folder's dependencies (its package.json) and top-level node_modules entries. */
  private installed(): { dependencies: Set<string>; folders: Set<string> } {
    const modules = path.join(this.config.dataDir, 'node_modules');
    const folders = new Set<string>();
    for (const entry of safeList(modules)) {
      if (entry.startsWith('@')) for (const sub of safeList(path.join(modules, entry))) folders.add(`${entry}/${sub}`);
      else folders.add(entry);
    }
    return { dependencies: new Set(Object.keys(this.dependencies() ?? {})), folders };
  }

  private dependencies(): Record<string, unknown> | undefined {
    try {
      return (
        JSON.parse(fs.readFileSync(path.join(this.config.dataDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, unknown> }
      ).dependencies;
    } catch {
      return undefined;
    }
  }

  /**
   * Removes the package of a failed install that was not there before it: its folder, and its dependency entry when
   * plugin-plugins left that (an install from a URL), the top-level folders it pulled in, and npm's lockfiles as
   * they were before.
   */
  private removeLeftovers(before: {
    parsed?: ParsedPlugin;
    dependencies: Set<string>;
    folders: Set<string>;
    locks: Map<string, Buffer | undefined>;
  }): void {
    const file = path.join(this.config.dataDir, 'package.json');
    const now = this.installed();
    const added = [...now.dependencies].filter((name) => !before.dependencies.has(name));
    // and what it pulled in: with the lockfiles put back (below), folders they do not list would be trusted away
    const pulledIn = [...now.folders].filter((name) => !before.folders.has(name));
    const names = new Set([...(before.parsed?.name ? [before.parsed.name] : []), ...added, ...pulledIn]);
    let pjson: { dependencies?: Record<string, unknown> } | undefined;
    for (const name of names) {
      if (before.folders.has(name) || before.dependencies.has(name)) continue;
      fs.rmSync(path.join(this.config.dataDir, 'node_modules', name), { recursive: true, force: true });
      if (now.dependencies.has(name)) {
        pjson ??= JSON.parse(fs.readFileSync(file, 'utf8')) as { dependencies?: Record<string, unknown> };
        delete pjson.dependencies?.[name];
      }
    }
    if (pjson) fs.writeFileSync(file, `${JSON.stringify(pjson, null, 2)}\n`);
    // npm recorded the package (and what it pulled in) in its lockfiles: they go back to what they said before, so a
    // later install does not see a package that is not there
    this.putLocksBack(before.locks);
  }

  private putLocksBack(locks: Map<string, Buffer | undefined>): void {
    for (const [lock, content] of locks) {
      try {
        if (content === undefined) fs.rmSync(lock, { force: true });
        else fs.writeFileSync(lock, content);
      } catch {
        // a lockfile that cannot be put back is npm's to rebuild; the error the user needs is the install's
      }
    }
  }
}

/** How long npm has to stop on a Ctrl-C before it is killed. */
const NPM_STOP_MS = 1500;

const cancelled = () =>
  new UserError('plugins install cancelled', {
    fix: 'the installed plugins are as they were; run the install again to install it',
    code: 'ECANCELLED',
    exitCode: 130,
  });

/**
 * The child processes spawned while it is in place (plugin-plugins runs npm with child_process.spawn and keeps the
 * handle to itself). It imports spawn as an ES module: syncBuiltinESMExports carries the wrapper to that binding.
 */
function trackChildren(cancel: AbortSignal): { children: Set<ChildProcess>; restore: () => void } {
  const children = new Set<ChildProcess>();
  const original = childProcess.spawn;
  const wrapped = ((...args: Parameters<typeof original>) => {
    const child = original(...args);
    // started after the Ctrl-C (the backup was being made): it stops at once too
    if (cancel.aborted) child.kill('SIGINT');
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  }) as typeof original;
  childProcess.spawn = wrapped;
  syncBuiltinESMExports();
  return {
    children,
    restore: () => {
      if (childProcess.spawn !== wrapped) return;
      childProcess.spawn = original;
      syncBuiltinESMExports();
    },
  };
}

/** What install uses of plugin-plugins' Plugins object (the one its install command passes to parsePlugin). */
interface PluginsLike {
  uninstall?: (name: string) => Promise<unknown>;
  npmHasPackage?: (name: string, throwOnNotFound?: boolean) => Promise<boolean>;
  npm?: { findNpm?: () => Promise<string> };
}

/** npm's fetch settings for `plugins install` when the user set none: one quick retry, a minute per request. */
const NPM_FETCH_LIMITS: Record<string, string> = {
  npm_config_fetch_retries: '1',
  npm_config_fetch_retry_mintimeout: '1000',
  npm_config_fetch_retry_maxtimeout: '5000',
  npm_config_fetch_timeout: '60000',
};

/** npm's error codes for a registry that cannot be reached. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_SOCKET_TIMEOUT',
  'FETCH_ERROR',
]);

/** `npm view … --json`: whether it found the package, else npm's error code and summary. */
function viewPackage(bin: string, args: string[], cwd: string): Promise<{ ok: boolean; code?: string; summary?: string }> {
  const [file, argv] = bin.endsWith('.js') ? [process.execPath, [bin, ...args]] : [bin, args];
  return new Promise((resolve) => {
    execFile(file, argv, { cwd, env: process.env, maxBuffer: 4 * 1024 * 1024 }, (error, stdout) => {
      if (!error) return resolve({ ok: true });
      try {
        const parsed = JSON.parse(String(stdout)) as { error?: { code?: unknown; summary?: unknown } };
        const code = typeof parsed.error?.code === 'string' ? parsed.error.code : undefined;
        const summary = typeof parsed.error?.summary === 'string' ? parsed.error.summary : undefined;
        resolve({ ok: false, code, summary });
      } catch {
        resolve({ ok: false });
      }
    });
  });
}

/** The registry asked, as it may be shown: the one given, else the one in npm's "request to <url> failed". */
function registryShown(given: string | undefined, summary: string | undefined): string {
  let url = given;
  const requested = summary ? /\brequest to (\S+) failed\b/.exec(summary)?.[1] : undefined;
  if (!url && requested) url = requested.slice(0, requested.lastIndexOf('/') + 1);
  return url ? printable(redactUrl(url)) : "(npm's configured one)";
}

/** A copy of `src` at `dest` made of hard links (a copy of a file where a link cannot be made), symlinks as they are. */
function linkTree(src: string, dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(dest, entry.name);
    if (entry.isDirectory()) linkTree(from, to);
    else if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else {
      try {
        fs.linkSync(from, to);
      } catch {
        fs.copyFileSync(from, to);
      }
    }
  }
}

/** npm's lockfile of the data folder and its hidden copy of what node_modules holds. */
const LOCKFILES = ['package-lock.json', path.join('node_modules', '.package-lock.json')];

/**
 * plugin-plugins ends its progress line with "failed" before it throws, and the one-line error follows: on a
 * terminal the line stays without the "failed"; elsewhere (where it cannot be taken back once written) the line is
 * held until it ends, and a failure prints only the error. Returns what puts ux.action back as it was.
 */
function quietFailure(): () => void {
  const action = ux.action;
  // the wrappers are own properties over the prototype's methods: deleting them puts the originals back
  const own = action as unknown as Record<string, unknown>;
  if (Object.hasOwn(own, 'stop')) return () => {}; // already wrapped
  const failed = (msg: unknown) => typeof msg === 'string' && stripVTControlCharacters(msg) === 'failed';
  const stop = action.stop.bind(action);
  if (action.type === 'spinner') {
    own.stop = (msg?: string) => stop(failed(msg) ? '' : msg);
  } else {
    let pending: string | undefined;
    own.start = (text: string) => {
      pending = text;
    };
    own.stop = (msg = 'done') => {
      if (pending !== undefined && !failed(msg)) process.stderr.write(`${pending}... ${msg}\n`);
      pending = undefined;
    };
  }
  return () => {
    delete own.start;
    delete own.stop;
  };
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
