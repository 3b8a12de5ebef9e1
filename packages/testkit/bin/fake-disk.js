// Preload for disk-space tests: `node --require @sregistry/testkit/bin/fake-disk.js <cli> …` gives the CLI's
// downloads a small disk without mounting one (a tmpfs needs root). SREGISTRY_TEST_DISK_FREE is the free space in
// bytes besides the file being written, SREGISTRY_TEST_DISK_SIZE the file system's size (default 20 x the free
// space); as the file grows, the free space shrinks by its size. The CLI reads none of these variables: core's
// DISK_SPACE_KEY (packages/core/src/testing-hooks.ts) is a Symbol.for name, set here inside the CLI's process.
const fs = require('node:fs');

const free = process.env.SREGISTRY_TEST_DISK_FREE;
if (free) {
  const bytes = Number(free);
  const size = Number(process.env.SREGISTRY_TEST_DISK_SIZE || bytes * 20);
  globalThis[Symbol.for('sregistry.testing-hooks.disk-space')] = (file) => {
    let used = 0;
    try {
      used = fs.statSync(file).size;
    } catch {
      // not there yet
    }
    return { free: bytes - used, size };
  };
}
