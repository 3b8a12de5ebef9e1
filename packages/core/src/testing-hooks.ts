// Crash-test hooks. The reliability suite SIGKILLs the CLI at exact moments inside a change (a temp file
// written but not renamed, a file placed but its row not written, …). Waiting for a moment by timing would be
// flaky, so the code under test calls `pausePoint('<name>')` there; when SREGISTRY_TEST_PAUSE_AT names that
// point, the process announces it in SREGISTRY_TEST_PAUSE_FILE and freezes until it is killed.
//
// The freeze is synchronous (Atomics.wait on the main thread): no timer, I/O callback or pending promise runs
// after the announcement, so the state the test kills is exactly the state at the call. Without the variable a
// call costs one environment lookup.
import fs from 'node:fs';

export const PAUSE_AT_ENV = 'SREGISTRY_TEST_PAUSE_AT';
export const PAUSE_FILE_ENV = 'SREGISTRY_TEST_PAUSE_FILE';
/** For byte-counting points (`download-bytes`, `upload-bytes`): pause once this many bytes went through. */
export const PAUSE_BYTES_ENV = 'SREGISTRY_TEST_PAUSE_BYTES';

/** Freezes the process for good when SREGISTRY_TEST_PAUSE_AT equals `name`; returns at once otherwise. */
export function pausePoint(name: string): void {
  if (process.env[PAUSE_AT_ENV] !== name) return;
  freeze(name);
}

/**
 * Like pausePoint, for a point passed many times while bytes flow: freezes the first time `bytes` reaches
 * SREGISTRY_TEST_PAUSE_BYTES (default 1).
 */
export function pauseAtBytes(name: string, bytes: number): void {
  if (process.env[PAUSE_AT_ENV] !== name) return;
  const threshold = Number(process.env[PAUSE_BYTES_ENV] ?? '1');
  if (bytes >= (Number.isFinite(threshold) ? threshold : 1)) freeze(`${name} ${bytes}`);
}

function freeze(what: string): never {
  const file = process.env[PAUSE_FILE_ENV];
  // written synchronously and whole: the test polls for this line, then kills
  if (file) fs.writeFileSync(file, `paused ${what} pid ${process.pid}\n`);
  else process.stderr.write(`paused ${what} pid ${process.pid}\n`);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0);
}
