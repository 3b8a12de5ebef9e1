// The backend conformance suite (suite.ts, no test runner needed) and its node:test adapter (node-test.ts).
export { runBackendConformance } from './node-test';
export { type FolderServer, serveFolder } from './static-server';
export {
  type ConformanceCheck,
  type ConformanceReport,
  type ConformanceResult,
  type ConformanceSuite,
  checkBackendConformance,
  conformanceSuite,
} from './suite';
export type { ConformanceImage, ConformanceOptions, ConformanceService } from './types';
