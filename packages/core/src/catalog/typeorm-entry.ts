// What the catalogue still needs TypeORM for: the team catalogue on PostgreSQL and the entities for tools that
// work on the tables directly. The build bundles this into dist/catalog/typeorm-bundle.js (scripts/bundle.js),
// loaded only through typeorm-lazy.ts: a SQLite catalogue never loads TypeORM.
export { CollectionEntity, ContainerEntity } from './entities';
export { openPostgresDatabase } from './postgres/open';
