// The plugins' core-range verdicts kept between runs, beside the compile cache. From core's one-file entry for them,
// so that a command that only prints (`--help`) loads no more of core for it.
import fs from 'node:fs';
import path from 'node:path';
import { coreRangeVerdicts } from '@sregistry/core/range-verdicts';

/**
 * Keeps core's plugin-range verdicts in `file` between runs (core's coreRangeVerdicts says why: 3-5 ms of semver in
 * every command otherwise). Best effort, like the compile cache: a missing or damaged file means checking again, and
 * a file that cannot be written means checking again next time.
 */
export function keepRangeVerdicts(file: string): void {
  try {
    coreRangeVerdicts.seed(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    // none kept yet
  }
  process.once('exit', () => {
    if (!coreRangeVerdicts.added()) return;
    const temp = `${file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(temp, JSON.stringify(coreRangeVerdicts.entries()));
      // written whole then renamed: a reader never sees half a file
      fs.renameSync(temp, file);
    } catch {
      // the clean-up can fail as the write did (a cache path under a regular file: ENOTDIR even with force), and
      // a throw in an exit handler would turn a finished command into exit 1 with a stack trace
      try {
        fs.rmSync(temp, { force: true });
      } catch {
        // nothing was left to remove
      }
    }
  });
}
