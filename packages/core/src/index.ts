// Public API of @sregistry/core. Importing it never loads oclif: the command classes live in ./command,
// a separate entry point (`@sregistry/core/command`) that only the CLI and backend plugins load. (TypeORM's
// reflect-metadata is loaded by the catalogue itself, when a command opens it.)

export * from './backends/index';
export * from './catalog/lazy';
export * from './contracts/index';
export * from './errors';
export * from './keys/keyring';
export * from './ops/index';
export * from './output/index';
export * from './settings/index';
export * from './sif/index';
export * from './sif/signature/index';
export * from './storage/index';
export * from './transfer/index';
export * from './uri/index';
export { CORE_VERSION } from './version';
