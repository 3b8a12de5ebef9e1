// Preload for crash tests: `node --require @sregistry/testkit/bin/arm-pause-point.js <cli> …` arms core's pause
// point (packages/core/src/testing-hooks.ts) inside the CLI's process. The point comes from the test's environment
// (SREGISTRY_TEST_PAUSE_AT, _FILE, _BYTES, _RESUME); the CLI itself reads none of these, so without this preload they do
// nothing. The key is core's PAUSE_ARM_KEY: a Symbol.for name, so no copy of core needs to be found from here.

const point = process.env.SREGISTRY_TEST_PAUSE_AT;
if (point) {
  const bytes = process.env.SREGISTRY_TEST_PAUSE_BYTES;
  globalThis[Symbol.for('sregistry.testing-hooks.pause')] = {
    point,
    file: process.env.SREGISTRY_TEST_PAUSE_FILE || undefined,
    bytes: bytes === undefined ? undefined : Number(bytes),
    resume: process.env.SREGISTRY_TEST_PAUSE_RESUME || undefined,
  };
}
