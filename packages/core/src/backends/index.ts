export {
  brokenCommandError,
  CORE_PACKAGE,
  type CoreMismatch,
  coreMismatch,
  coreRangeVerdicts,
  mismatchLine,
  unfitCommandError,
} from './compat';
export * from './discover';
export { backendContext, backendHost } from './host';
export * from './packages';
export * from './plugin-fixes';
export * from './registry';
export * from './select';
