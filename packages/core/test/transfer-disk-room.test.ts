// The disk's reserve for downloads (transfer/disk-room.ts), against a fake statfs: the reserve's size, the
// up-front refusal of an announced size that does not fit, and for unknown sizes how rarely the disk is looked at
// and that the download stops before the reserve is overrun.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECK_EVERY_BYTES, DiskRoom, type DiskSpace, RESERVE_BYTES, reserveFor } from '../src/transfer/disk-room';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** A disk of `size` bytes with `free` bytes free besides what the download wrote (`written`), counting the looks. */
function fakeDisk(size: number, free: number) {
  const disk = { written: 0, looks: 0 };
  const statfs = (): DiskSpace => {
    disk.looks++;
    return { free: free - disk.written, size };
  };
  return { disk, statfs };
}

test('the reserve is 1 GiB, or 5 % of a file system under 20 GiB', () => {
  assert.equal(reserveFor(100 * GIB), RESERVE_BYTES);
  assert.equal(reserveFor(20 * GIB), GIB);
  assert.equal(reserveFor(4 * GIB), Math.floor(0.2 * GIB));
  assert.equal(reserveFor(0), 0);
});

test('an announced size is refused when it would not leave the reserve free, accepted when it does', () => {
  const { statfs } = fakeDisk(100 * GIB, 10 * GIB);
  const room = new DiskRoom('/scratch/.tmp/x.tmp', 'https://registry.example/containers/x', statfs);
  room.fits(9 * GIB);
  assert.throws(
    () => room.fits(9.5 * GIB),
    (e: Error & { code?: string; fix?: string }) =>
      /^the image from https:\/\/registry\.example is 9\.5 GiB, and the disk of \/scratch\/\.tmp has 10\.0 GiB free \(1\.0 GiB of which is kept free\)$/.test(
        e.message,
      ) && e.code === 'ENOSPC',
  );
  // a file system whose space cannot be told: nothing is refused
  new DiskRoom('/x', 'https://r.example/', () => undefined).fits(Number.MAX_SAFE_INTEGER);
});

test('an unknown size on a big disk: one look per 256 MiB, no refusal while there is room', () => {
  const { disk, statfs } = fakeDisk(10_000 * GIB, 5_000 * GIB);
  const room = new DiskRoom('/big/x.tmp', 'https://r.example/', statfs);
  for (let position = 4 * MIB; position <= 4 * GIB; position += 4 * MIB) {
    disk.written = position;
    assert.equal(room.grown(position), undefined);
  }
  assert.equal(disk.looks, (4 * GIB) / CHECK_EVERY_BYTES);
});

test('an unknown size on a small disk: abandoned before the free space drops below the reserve', () => {
  const size = 2 * GIB; // reserve 5 %: 102.4 MiB
  const reserve = reserveFor(size);
  const { disk, statfs } = fakeDisk(size, 1.5 * GIB);
  const room = new DiskRoom('/small/x.tmp', 'http://127.0.0.1:8000/x', statfs);
  let stopped: (Error & { code?: string }) | undefined;
  let position = 0;
  while (!stopped) {
    position += 256 * 1024; // one batch
    disk.written = position;
    stopped = room.grown(position);
    assert.ok(position < 2 * GIB, 'it stops');
  }
  const left = 1.5 * GIB - position;
  assert.ok(left >= reserve - 256 * 1024 && left <= reserve + MIB, `${left} bytes left, the reserve is ${reserve}`);
  assert.ok(disk.looks < 40, `${disk.looks} looks`);
  assert.equal(stopped.code, 'ENOSPC');
  assert.match(
    stopped.message,
    /^the download from http:\/\/127\.0\.0\.1:8000 announced no size and has sent 1\.\d GiB so far: going on would leave less than 102\.4 MiB free on the disk of \/small$/,
  );
});
