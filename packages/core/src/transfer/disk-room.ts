// The room a download may take on its disk. A body whose size nobody announced (no Content-Length, no size from
// the service) is otherwise bounded only by the disk: it ran until the file system was full and then blamed the
// disk, which on shared HPC storage (the home or project file system of a whole group) breaks everyone's jobs
// for as long as the download runs. So a download keeps a reserve free: refused up front when its announced size
// does not fit beside it, abandoned while it grows when its size is unknown.
//
// The reserve is 1 GiB, or 5 % of a file system smaller than 20 GiB. 1 GiB is what the others' jobs on a shared
// disk need for their logs, checkpoints and databases in the minutes a download takes; it is also far more than
// one image's worth of slack, so no real image that fits is refused on a big disk. A fixed 1 GiB would make a
// small disk (a 4 GiB scratch tmpfs, a container's overlay) useless, hence the share; 5 % is the part ext4 keeps
// for root by default, the margin administrators already think of as "full".
//
// Unknown sizes are checked with statfs every 256 MiB at most (one syscall per 256 MiB: nothing next to the
// writes, which stay as fast as before), and sooner as the free space nears the reserve (half the remaining
// headroom, at least 1 MiB), so the reserve is never overrun (but by the one batch written past the last look)
// however small the disk is.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors';
import { humanBytes } from '../output/format';
import { diskSpaceHook } from '../testing-hooks';
import { urlOrigin } from './redact';

const MIB = 1024 * 1024;
export const RESERVE_BYTES = 1024 * MIB;
export const RESERVE_SHARE = 0.05;
/** Bytes of a download of unknown size between two looks at the free space, at most. */
export const CHECK_EVERY_BYTES = 256 * MIB;
/** ... and at least, near the reserve */
const MIN_CHECK_BYTES = MIB;

/** A file system's space, in bytes: what an unprivileged user may still write, and its size. */
export interface DiskSpace {
  free: number;
  size: number;
}

/** How the free space is read: statfs of a path on the file system; undefined when that cannot be told. */
export type StatFs = (file: string) => DiskSpace | undefined;

/** The space a download leaves free on a file system of `size` bytes. */
export function reserveFor(size: number): number {
  return Math.min(RESERVE_BYTES, Math.floor(size * RESERVE_SHARE));
}

function statfs(file: string): DiskSpace | undefined {
  try {
    const s = fs.statfsSync(file);
    return { free: s.bavail * s.bsize, size: s.blocks * s.bsize };
  } catch {
    // a file system without statfs (or a race with the file's removal): nothing to check, as before
    return undefined;
  }
}

export class DiskRoom {
  /** the byte position of the next look at the free space (unknown sizes) */
  private next = 0;
  private readonly statfs: StatFs;

  constructor(
    /** the file being written (the temp file), whose file system is looked at */
    private readonly file: string,
    /** the download's URL, for the message (its origin only) */
    private readonly url: string,
    statfsFn?: StatFs,
  ) {
    this.statfs = statfsFn ?? diskSpaceHook() ?? statfs;
  }

  /** Refuses (UserError) `bytes` more than are written now when they would not leave the reserve free. */
  fits(bytes: number): void {
    const space = this.statfs(this.file);
    if (!space) return;
    const reserve = reserveFor(space.size);
    if (space.free - bytes >= reserve) return;
    const dir = path.dirname(this.file);
    throw new UserError(
      `the image from ${urlOrigin(this.url)} is ${humanBytes(bytes)}, and the disk of ${dir} has ${humanBytes(Math.max(0, space.free))} free (${humanBytes(reserve)} of which is kept free)`,
      {
        fix: 'free some space there, or pull to another disk (--name, or SREGISTRY_STORAGE for the catalogue); nothing was kept',
        code: 'ENOSPC',
      },
    );
  }

  /**
   * For a download of unknown size, after each batch written: the error to abandon it with once the free space
   * would drop below the reserve, else undefined. Looks at the disk only every so often (see the top).
   */
  grown(position: number): UserError | undefined {
    if (position < this.next) return undefined;
    const space = this.statfs(this.file);
    if (!space) {
      this.next = position + CHECK_EVERY_BYTES;
      return undefined;
    }
    const reserve = reserveFor(space.size);
    const headroom = space.free - reserve;
    // stopped while more than the smallest step is left above the reserve: the steps before never reach it
    if (headroom > MIN_CHECK_BYTES) {
      this.next = position + Math.min(CHECK_EVERY_BYTES, Math.max(MIN_CHECK_BYTES, Math.floor(headroom / 2)));
      return undefined;
    }
    const dir = path.dirname(this.file);
    return new UserError(
      `the download from ${urlOrigin(this.url)} announced no size and has sent ${humanBytes(position)} so far: going on would leave less than ${humanBytes(reserve)} free on the disk of ${dir}`,
      {
        fix: 'nothing was kept; if the image is really that large, free space there or pull to another disk (--name, or SREGISTRY_STORAGE for the catalogue); else the server is sending something other than the image',
        code: 'ENOSPC',
      },
    );
  }
}
