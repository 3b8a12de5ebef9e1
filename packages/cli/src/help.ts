import { Help } from '@oclif/core';

/** Root help starts with the original's banner: `Singularity Registry Global Client v<version> [<backend>]`. */
export default class SregistryHelp extends Help {
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
