import { Flags, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class CatalogMigrate extends SregistryCommand {
  static override summary =
    'Copy this catalogue (SREGISTRY_DATABASE) into another: a team database (postgresql://…) or a folder; images the target has already are not copied again.';
  static override flags = {
    to: Flags.string({ required: true, description: 'the target: postgresql://user@host:port/db, or a folder for a SQLite catalogue' }),
    storage: Flags.string({ description: "the target's storage folder, where the image files are copied (default: SREGISTRY_STORAGE)" }),
    'dry-run': Flags.boolean({ description: 'list what would be copied, change nothing' }),
  };
  static override examples = [
    '<%= config.bin %> catalog migrate --to postgresql://alice@db.example.org/sregistry --storage /shared/sregistry',
    'SREGISTRY_DATABASE=postgresql://alice@db.example.org/sregistry <%= config.bin %> catalog migrate --to ~/.singularity --storage ~/.singularity/shub',
  ];

  async run() {
    const { flags } = await this.parse(CatalogMigrate);
    return hostCore().migrateCatalog(this.session, { to: flags.to, storage: flags.storage, dryRun: flags['dry-run'] });
  }
}
