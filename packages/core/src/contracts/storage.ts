import type { ImageName } from './image-name';

/**
 * Where image files live: `<root>/<collection>/<name>/<tag>@<version>.sif`. Every write lands atomically
 * (temporary file in the same folder, fsync, rename), so a reader never sees half a file.
 */
export interface Storage {
  readonly root: string;
  /** Absolute path for a name with a version; refuses names that would leave the root. */
  pathFor(name: ImageName & { version: string }): string;
  /** A temporary file inside the root for a transfer that will be placed with `place`. */
  tempPath(hint?: string): Promise<string>;
  /**
   * Atomically move (or copy) a file to `dest`, creating folders. With `signal`, an abort before `dest` appears
   * rejects at once with ECANCELLED and leaves `dest` as it was. With `noClobber`, a `dest` that another process
   * created meanwhile is never replaced: the place rejects with EEXIST (`isPlaceTaken`) and nothing changed.
   * `synced` says the source's bytes are on disk already (its writer fsynced it, nothing wrote it since).
   */
  place(
    source: string,
    dest: string,
    options?: { copy?: boolean; signal?: AbortSignal; noClobber?: boolean; synced?: boolean },
  ): Promise<void>;
  /**
   * Remove leftovers of interrupted transfers: those older than `maxAgeMs`, and at once those of processes
   * of this host that are gone. `fullSweep` also walks the image folders, not only the temp folder.
   */
  cleanTemp(maxAgeMs?: number, options?: { fullSweep?: boolean }): Promise<number>;
}
