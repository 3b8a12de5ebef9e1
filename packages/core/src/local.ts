// Entry for the CLI's fast path (`images`, `get`, `inspect`, `pull`, `search` and `backend status` run without
// oclif, see the CLI's src/fast-path.ts): only the modules those commands load. Each operation is required when
// called, so `images` does not pay for the SIF reader that only `inspect` uses, nor for the transfers that `pull`
// uses.
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Backends from './ops/backends';
import type * as Get from './ops/get';
import type * as Images from './ops/images';
import type * as Inspect from './ops/inspect';
import type * as Pull from './ops/pull';
import type * as PullEvents from './ops/pull-events';
import type * as Remote from './ops/remote';

export { coreRangeVerdicts } from './backends/compat';
export { discoverBackends, type PluginLike } from './backends/discover';
export { BackendRegistry } from './backends/registry';
export { errorJson, errorLine, isUserError } from './errors';
export { reportFailure, reportIfUnfinished } from './ops/failure';
export { Interrupt } from './ops/interrupt';
export { Session } from './ops/session';
export { consoleToStderr, writeJsonDocument } from './output/json-stdout';
export { levelFromEnv, warnUnknownLevel } from './output/levels';
export { Output } from './output/output';
export { jsonText } from './output/untrusted';

export const backendStatus: typeof Backends.backendStatus = (...args) =>
  (require('./ops/backends') as typeof Backends).backendStatus(...args);
export const getImage: typeof Get.getImage = (...args) => (require('./ops/get') as typeof Get).getImage(...args);
export const listImages: typeof Images.listImages = (...args) => (require('./ops/images') as typeof Images).listImages(...args);
export const showImages: typeof Images.showImages = (...args) => (require('./ops/images') as typeof Images).showImages(...args);
export const inspectRecord: typeof Inspect.inspectRecord = (...args) => (require('./ops/inspect') as typeof Inspect).inspectRecord(...args);
export const pullImage: typeof Pull.pullImage = (...args) => (require('./ops/pull') as typeof Pull).pullImage(...args);
export const pullPrinter: typeof PullEvents.pullPrinter = (...args) =>
  (require('./ops/pull-events') as typeof PullEvents).pullPrinter(...args);
export const searchRemote: typeof Remote.searchRemote = (...args) => (require('./ops/remote') as typeof Remote).searchRemote(...args);
