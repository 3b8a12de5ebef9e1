// The speed floor (curl's --speed-limit/--speed-time): too slow only once a whole window is below the limit on
// average; a burst after a pause, or a limit of 0, never trips it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpeedFloor } from '../src/transfer/speed-floor';

test('one byte a second trips a 1 KiB/s floor after the window, not before', () => {
  const floor = new SpeedFloor(1024, 2000);
  let tripped = -1;
  for (let t = 0; t <= 5000 && tripped < 0; t += 100) if (floor.tooSlow(Math.floor(t / 1000), t)) tripped = t;
  assert.equal(tripped, 2000);
});

test('a fast transfer, or one that pauses and catches up within the window, is not too slow', () => {
  const fast = new SpeedFloor(1024, 2000);
  for (let t = 0; t <= 10_000; t += 100) assert.equal(fast.tooSlow(t * 100, t), false);
  const bursty = new SpeedFloor(1024, 2000);
  // nothing for 1.5 s, then 10 KiB: the 2 s window average stays above the floor
  for (let t = 0; t <= 1500; t += 100) assert.equal(bursty.tooSlow(0, t), false);
  for (let t = 1600; t <= 4000; t += 100) assert.equal(bursty.tooSlow(10_240 + (t - 1600) * 10, t), false);
});

test('a limit of 0 turns the floor off', () => {
  const off = new SpeedFloor(0, 1000);
  for (let t = 0; t <= 10_000; t += 100) assert.equal(off.tooSlow(0, t), false);
});
