// Crash-test hooks. The reliability suite SIGKILLs the CLI at exact moments inside a change (a temp file
// written but not renamed, a file placed but its row not written, …). Waiting for a moment by timing would be
// flaky, so the code under test calls `pausePoint('<name>')` there; when a test armed that point in the process
// (armPausePoint), the process announces it in the arm's file and freezes until it is killed.
//
// Nothing outside the process arms a point: no environment variable or file is read here, so an installed CLI
// never pauses. The crash tests arm it through the testkit's preload (`node --require
// @sregistry/testkit/bin/arm-pause-point.js`), which runs inside the CLI's process before anything else.
//
// The arm lives under a Symbol.for key on globalThis, not in a module variable: the catalogue bundle
// (dist/catalog/bundle.js) carries its own copy of this module, and both copies must see the same arm.
//
// The freeze is synchronous (Atomics.wait on the main thread): no timer, I/O callback or pending promise runs
// after the announcement, so the state the test kills is exactly the state at the call. Unarmed, a call costs one
// property lookup.
import fs from 'node:fs';

/** Where the arm is kept; the testkit's preload sets the same key. */
export const PAUSE_ARM_KEY = Symbol.for('sregistry.testing-hooks.pause');

export interface PauseArm {
  /** the pausePoint name to freeze at */
  point: string;
  /** file to write `paused <point> pid <pid>` to (stderr without one) */
  file?: string;
  /** for byte-counting points (`download-bytes`, `upload-bytes`): freeze once this many bytes went through */
  bytes?: number;
  /** for hold points: go on once this file exists (another command run meanwhile, for a race at an exact step) */
  resume?: string;
}

/** Arms one pause point in this process (undefined disarms). For tests only. */
export function armPausePoint(arm: PauseArm | undefined): void {
  (globalThis as Record<symbol, unknown>)[PAUSE_ARM_KEY] = arm;
}

function armed(): PauseArm | undefined {
  return (globalThis as Record<symbol, PauseArm | undefined>)[PAUSE_ARM_KEY];
}

/** Freezes the process for good when a test armed `name`; returns at once otherwise. */
export function pausePoint(name: string): void {
  if (armed()?.point !== name) return;
  freeze(name);
}

/**
 * Like pausePoint, for a point passed many times while bytes flow: freezes the first time `bytes` reaches the
 * arm's byte count (default 1).
 */
export function pauseAtBytes(name: string, bytes: number): void {
  const arm = armed();
  if (arm?.point !== name) return;
  const threshold = arm.bytes ?? 1;
  if (bytes >= (Number.isFinite(threshold) ? threshold : 1)) freeze(`${name} ${bytes}`);
}

/**
 * Like pausePoint, but the process stays alive to its signals: the returned promise never settles while `name` is
 * armed, so a test can send a catchable signal (Ctrl-C) at a moment that is otherwise too short to hit (a copy
 * into storage). Unarmed, it resolves at once. With `until`, it resolves when that signal aborts (the moment
 * right after a step, when the step's own check for Ctrl-C is already behind); with the arm's `resume`, when that
 * file appears (a race: the test runs another command while this one waits between two steps).
 */
export function holdPoint(name: string, until?: AbortSignal): Promise<void> {
  const arm = armed();
  if (arm?.point !== name) return Promise.resolve();
  announce(name);
  const resume = arm.resume;
  // the interval keeps the event loop going, so signal handlers run; it ends with the process (or at the resume file)
  let keepAlive: NodeJS.Timeout;
  return new Promise<void>((resolve) => {
    const done = () => {
      clearInterval(keepAlive);
      resolve();
    };
    keepAlive = setInterval(() => {
      if (resume && fs.existsSync(resume)) done();
    }, 20);
    // with `until`, the command goes on once it aborts: the signal arrived right at this point
    until?.addEventListener('abort', done, { once: true });
  });
}

function announce(what: string): void {
  const file = armed()?.file;
  // written synchronously and whole: the test polls for this line
  if (file) fs.writeFileSync(file, `paused ${what} pid ${process.pid}\n`);
  else process.stderr.write(`paused ${what} pid ${process.pid}\n`);
}

function freeze(what: string): never {
  announce(what);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0);
}

/**
 * Where the testkit's preload puts a stand-in for statfs (`--require @sregistry/testkit/bin/fake-disk.js`), so a
 * test can give a download a small disk without mounting one (which needs root). As with the pause arm, nothing
 * outside the process sets it: an installed CLI always asks the kernel.
 */
export const DISK_SPACE_KEY = Symbol.for('sregistry.testing-hooks.disk-space');

/** The test's statfs stand-in (free and size in bytes of the file system holding `file`), if one was set. */
export function diskSpaceHook(): ((file: string) => { free: number; size: number } | undefined) | undefined {
  return (globalThis as Record<symbol, ((file: string) => { free: number; size: number } | undefined) | undefined>)[DISK_SPACE_KEY];
}
