export {
  Catalog,
  type CatalogAddOptions,
  type CatalogAddResult,
  type CatalogRemoveResult,
  type OpenCatalogOptions,
  openCatalog,
  type RecoveryReport,
} from './catalog';
export { openDatabase } from './database';
export { type FileDigests, fileDigests, sha256File } from './hash';
export { type Intent, type IntentBody, Journal } from './journal';
export { recordToJson } from './record-json';
export { formatTimestamp, parseTimestamp } from './timestamp';
export { openPostgresDatabase, typeormPart } from './typeorm-lazy';
