// The public catalogue API without loading the catalogue up front: `@sregistry/core` is imported by every command
// (and by plain scripts), but only the ones that open the database should pay for loading it (and only the
// PostgreSQL catalogue for TypeORM: typeorm-lazy.ts).
import { requireBundled } from '../bundled';
import type * as Catalogue from './index';
import type * as TypeormPart from './typeorm-entry';

let loaded: typeof Catalogue | undefined;

/** The built bundle (our catalogue code in one file, TypeORM outside it) when there is one, else the modules. */
function load(): typeof Catalogue {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= requireBundled<typeof Catalogue>(
    () => require('./bundle'),
    'bundle',
    () => require('./index'),
  );
  return loaded;
}

export { type FileDigests, fileDigests, sha256File } from './hash';
export type {
  Catalog,
  CatalogAddOptions,
  CatalogAddResult,
  CatalogRemoveResult,
  Intent,
  IntentBody,
  OpenCatalogOptions,
  RecoveryReport,
} from './index';
export { recordToJson } from './record-json';
export { formatTimestamp, parseTimestamp } from './timestamp';

export const openCatalog: typeof Catalogue.openCatalog = (...args) => load().openCatalog(...args);
export const openDatabase: typeof Catalogue.openDatabase = (...args) => load().openDatabase(...args);
export const openPostgresDatabase: typeof Catalogue.openPostgresDatabase = (...args) => load().openPostgresDatabase(...args);
/** The TypeORM entities and the journal, for tools that work on the catalogue directly. */
export function catalogInternals(): Pick<typeof Catalogue, 'Catalog' | 'Journal'> &
  Pick<typeof TypeormPart, 'CollectionEntity' | 'ContainerEntity'> {
  const { Catalog, Journal, typeormPart } = load();
  const { CollectionEntity, ContainerEntity } = typeormPart();
  return { Catalog, Journal, CollectionEntity, ContainerEntity };
}
