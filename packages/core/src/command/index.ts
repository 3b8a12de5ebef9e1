// Entry point for oclif commands (the CLI and backend plugins); kept apart from the main index so that
// importing @sregistry/core from a plain script never loads oclif.
export { Args, Flags } from '@oclif/core';
export { backendHost } from '../backends/host';
export { jsonError, SregistryCommand } from './base';
export { hostCore } from './host-core';
export { nearest } from './suggest';
