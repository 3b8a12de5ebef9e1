// Its own module: postgres/errors.ts names it without loading the migrations (and TypeORM with them).

/**
 * A migration recorded in the database that this version does not have: a newer sregistry changed the schema
 * (a column this version would not fill, say), so this one must not write, nor read what it may misread.
 */
export class NewerSchemaError extends Error {
  constructor(readonly migration: string) {
    super(`migration ${migration} is unknown to this version`);
  }
}
