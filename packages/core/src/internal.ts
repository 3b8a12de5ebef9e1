// Everything core exports to its own packages: the CLI reaches it through hostCore() (command/host-core.ts).
// The public API, the part of this that third parties may rely on, is ./index.

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
export { jsonErrorPlace } from './text/json-error-position';
export * from './transfer/index';
export * from './uri/index';
export { CORE_VERSION } from './version';
