import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '@oclif/core';
import { printable, UserError } from '@sregistry/core';
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
  private current?: { input: string; parsed?: ParsedPlugin; dependencies: Set<string>; folders: Set<string> };

  override async parsePlugin(plugins: unknown, input: string): Promise<ParsedPlugin> {
    this.current = { input, ...this.installed() };
    try {
      this.current.parsed = await super.parsePlugin(plugins, input);
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
    try {
      return await super.run();
    } catch (error) {
      const current = this.current;
      if (current) this.removeLeftovers(current);
      if (current && (error as Error).message === 'plugin is invalid') {
        const name = printable(current.parsed?.name ?? current.parsed?.url ?? current.input);
        throw new UserError(`${name} is not an sregistry plugin (its package.json has no "oclif" section)`, {
          fix: 'install a backend plugin, such as @sregistry/backend-oras (docs/writing-a-backend.md says what makes a package one)',
          code: 'EPLUGIN',
        });
      }
      throw error;
    }
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
   * plugin-plugins left that (an install from a URL). What the package itself pulled in is pruned by npm's next
   * install.
   */
  private removeLeftovers(before: { parsed?: ParsedPlugin; dependencies: Set<string>; folders: Set<string> }): void {
    const file = path.join(this.config.dataDir, 'package.json');
    const now = this.installed();
    const added = [...now.dependencies].filter((name) => !before.dependencies.has(name));
    const names = new Set([...(before.parsed?.name ? [before.parsed.name] : []), ...added]);
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
  }
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
