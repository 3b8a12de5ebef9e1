import { Args, Flags, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Pull extends SregistryCommand {
  static override summary = 'Pull an image from a remote backend into the local database.';
  static override description =
    'The backend comes from the URI scheme (registry://, shub://, and with their plugins oras:// and library://), else ' +
    'SREGISTRY_CLIENT, else the secrets file, else hub. oras://<host>/<repository>:<tag> or @sha256:<digest> pins a ' +
    'manifest; library://[host/]entity/collection/container:<tag> or :sha256.<hex> pins an image.';
  static override args = { uri: Args.string({ required: true, description: '[scheme://][host/]collection/name[:tag][@version]' }) };
  static override flags = {
    name: Flags.string({ description: 'file to write (with --no-cache) or custom destination' }),
    'no-cache': Flags.boolean({ description: 'do not use the database: write the file to the current folder' }),
    force: Flags.boolean({ char: 'f', description: 'overwrite an existing file' }),
    'no-verify': Flags.boolean({ description: "skip the check against the service's md5/sha256" }),
    gunzip: Flags.boolean({ description: 'decompress gzip-compressed legacy images' }),
    verify: Flags.boolean({
      description: 'verify the signatures (keyring and --key) before keeping the image; default: SREGISTRY_PULL_VERIFY',
    }),
    key: Flags.string({ char: 'k', multiple: true, description: 'public key file for --verify, besides the keyring; repeatable' }),
    arch: Flags.string({
      description: 'architecture to pull (amd64, arm64, …) where the service keeps one per architecture (library://, an oras:// index)',
    }),
  };
  static override examples = [
    '<%= config.bin %> pull registry://vanessa/tacos:latest',
    '<%= config.bin %> pull shub://vsoch/hello-world',
    '<%= config.bin %> pull --no-cache --name tacos.sif registry://vanessa/tacos',
    '<%= config.bin %> pull oras://ghcr.io/org/image:v1',
    '<%= config.bin %> pull library://alpine',
  ];

  async run() {
    const { args, flags } = await this.parse(Pull);
    const core = hostCore();
    return core.pullImage(this.session, {
      uri: args.uri,
      name: flags.name,
      noCache: flags['no-cache'],
      force: flags.force,
      noVerify: flags['no-verify'],
      gunzip: flags.gunzip,
      verify: flags.verify || Boolean(flags.key?.length) || undefined,
      keyFiles: flags.key,
      arch: flags.arch,
      signal: this.signal,
      onEvent: core.pullPrinter(this.session.out),
    });
  }
}
