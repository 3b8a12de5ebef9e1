// Entry point for oclif commands (the CLI and backend plugins); kept apart from the main index so that
// importing @sregistry/core from a plain script never loads oclif.
export { Args, Flags } from '@oclif/core';
export { backendHost } from '../backends/host';
export { installFix, installHint, KNOWN_BACKEND_PACKAGES, pluginsOffering } from '../backends/packages';
export { nearest } from '../output/suggest';
export { jsonError, parseErrorLine, SregistryCommand, usageFailure } from './base';
export { DeleteCommand } from './delete';
export { positiveInteger } from './flags';
export { hostCore } from './host-core';
export { PushCommand } from './push';
