// The node:test adapter of the conformance suite, for this repository's packages and anyone using node:test: one
// `describe` block with a test per check. node:test is loaded only when this is called, so the suite itself (and
// importing @sregistry/testkit) needs no test runner.
import { conformanceSuite } from './suite';
import type { ConformanceOptions } from './types';

/** Registers the conformance suite as node:test tests; call it at the top level of a test file. */
export function runBackendConformance(options: ConformanceOptions): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { after, before, describe, test } = require('node:test') as typeof import('node:test');
  const suite = conformanceSuite(options);
  const timeout = options.timeoutMs ?? 60_000;
  describe(suite.title, { timeout: timeout * (suite.checks.length + 2) }, () => {
    before(() => suite.setUp());
    after(() => suite.tearDown());
    for (const check of suite.checks) test(check.name, { timeout: check.timeoutMs }, () => check.run());
  });
}
