import { CommandHelp, Help } from '@oclif/core';
import { helpDocument } from './help-json';

type ListRows = Parameters<CommandHelp['renderList']>[0];
type ListOptions = Parameters<CommandHelp['renderList']>[1];

/**
 * oclif trims the rendered FLAGS / GLOBAL FLAGS list as a whole, which strips the leading blanks of its first row
 * (the room kept for a `-x, ` short flag) and shifts that row left of the others; put them back.
 */
class AlignedCommandHelp extends CommandHelp {
  override renderList(input: ListRows, opts: ListOptions): string {
    const rendered = super.renderList(input, opts);
    if (opts.multiline) return rendered;
    const first = input.find(([left, right]) => left || right)?.[0] ?? '';
    const lead = /^ */.exec(first)?.[0] ?? '';
    return lead && !rendered.startsWith(lead) ? lead + rendered : rendered;
  }
}

/** Root help starts with the original's banner: `Singularity Registry Global Client v<version> [<backend>]`. */
export default class SregistryHelp extends Help {
  protected override CommandHelpClass = AlignedCommandHelp;

  // `sregistry help <command>` (@oclif/plugin-help) passes only its own options: keep the CLI's as `--help` does
  constructor(config: ConstructorParameters<typeof Help>[0], options: ConstructorParameters<typeof Help>[1] = {}) {
    super(config, { ...config.pjson.oclif.helpOptions, ...options });
  }

  /**
   * Help for a command that does not exist (`help imgaes`, `imgaes --help`, `backend lss --help`) answers as running
   * it does (hooks/command-not-found.ts: one line with the nearest command, exit 2) instead of oclif's bare
   * "Command imgaes not found."
   */
  override async showHelp(argv: string[]): Promise<void> {
    if (argv.includes('--json')) {
      const document = helpDocument(
        this.config,
        argv.filter((a) => !a.startsWith('-')),
        this.render,
      );
      if (document !== undefined) {
        this.log(JSON.stringify(document, null, 2));
        return;
      }
    }
    try {
      await super.showHelp(argv);
    } catch (error) {
      const subject = /^Command (.+) not found\.$/.exec((error as Error).message)?.[1];
      if (!subject) throw error;
      await this.config.runHook('command_not_found', { id: subject, argv: ['--help', ...(argv.includes('--json') ? ['--json'] : [])] });
      throw error;
    }
  }

  protected override async showRootHelp(): Promise<void> {
    this.log(`Singularity Registry Global Client v${this.config.version} [${activeBackend()}]`);
    this.log('');
    await super.showRootHelp();
  }
}

function activeBackend(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { resolvePaths, SecretsFile } = require('@sregistry/core/settings') as typeof import('@sregistry/core');
    const fromEnv = process.env.SREGISTRY_CLIENT?.trim();
    if (fromEnv) return fromEnv;
    return new SecretsFile(resolvePaths().secretsFile).activeClient() ?? 'hub';
  } catch {
    return 'hub';
  }
}
