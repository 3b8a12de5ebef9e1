export { findPostgresBinaries, type PostgresBinaries, postgresAvailable } from './binaries';
export { type PostgresHandle, type PostgresOptions, sharedPostgres, startPostgres } from './server';
