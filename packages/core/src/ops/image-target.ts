import fs from 'node:fs';
import path from 'node:path';
import { recordName, unreachable } from '../catalog/record-name';
import { kindOf } from '../catalog/targets';
import type { ImageRecord } from '../contracts/records';
import { isUserError, UserError } from '../errors';
import { findRecord } from './find-record';
import type { Session } from './session';

/**
 * What `verify` and `sign` work on: a file when `target` names one, otherwise the file of the catalogued image
 * `target` names (collection/name[:tag][@version]).
 */
export async function imageTarget(session: Session, target: string, purpose: string): Promise<{ file: string; record?: ImageRecord }> {
  const file = fileTarget(target, session.databaseDisabled);
  if (file) {
    // sign changes the file: a catalogued image's file given by its path keeps its record true, as by its name
    const record = purpose === 'sign' ? await recordOfFile(session, file, target) : undefined;
    return record ? { file, record } : { file };
  }
  const record = await findRecord(session, target, purpose);
  if (!record.image || !fs.existsSync(record.image)) {
    // a folder on its path closed to this user: the file is there, out of reach (as mv and rename say)
    const denied = record.image ? accessDenied(record.image) : undefined;
    if (record.image && denied) throw unreachable(record, record.image, denied);
    // removed by an rmi that is still running (its file, then its row): that command's change, not a missing file
    const running = await (await session.catalog(purpose)).runningChange(record);
    if (running) throw running;
    throw new UserError(`the file of ${record.uri ?? target} is missing`, { fix: 'pull or add the image again', code: 'ENOFILE' });
  }
  return { file: record.image, record };
}

/**
 * The image file `target` names, when it names one: an existing regular file (a link is followed: the file it
 * points to is what is read, and replaced by sign). A path that is something else, or that looks like a path
 * (`./x`, `../x`, `/x`, `x/`, `x.sif`) and is not there, is refused in one line, not parsed as an image name;
 * undefined means `target` is an image name.
 */
export function fileTarget(target: string, noCatalogue = false): string | undefined {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (stat?.isFile()) return fs.lstatSync(target).isSymbolicLink() ? fs.realpathSync(target) : path.resolve(target);
  if (stat?.isDirectory())
    throw new UserError(`${target} is a folder`, { fix: 'give an image file or a catalogued image name', code: 'EISDIR' });
  if (stat)
    throw new UserError(`${target} is ${kindOf(stat)}, not a regular file`, {
      fix: 'give an image file or a catalogued image name',
      code: 'ENOTFILE',
    });
  if (/[\\/]\.{0,2}$|^\.{1,2}\/|^\/|\.sif$/i.test(target) || noCatalogue) {
    throw new UserError(`${target} does not exist`, {
      fix: 'give an image file or a catalogued image name (see: sregistry images)',
      code: 'ENOFILE',
    });
  }
  return undefined;
}

/** The one catalogued image whose file `file` is, if any (none without a catalogue). */
async function recordOfFile(session: Session, file: string, shown: string): Promise<ImageRecord | undefined> {
  if (session.databaseDisabled || !session.hasCatalogue()) return undefined;
  const owners = await (await session.catalog('sign')).targets.recordsUsing(file);
  if (owners.length > 1) {
    const names = owners.map((r) => recordName(r));
    throw new UserError(`${shown} is the file of ${owners.length} catalogued images (${names.slice(0, 3).join(', ')})`, {
      fix: `sign one of them by name, e.g. sregistry sign ${names[0]}`,
      code: 'EAMBIGUOUS',
    });
  }
  return owners[0];
}

/**
 * `work` on the image, with a broken SIF's fix fitted to where the file came from: "pull it again with --force" is
 * for an image a pull catalogued (its url is the address it came from); a local file, or one added by hand (whose
 * url is the name's `collection/image`, as the original stores it), can only be built or copied again.
 */
export async function withSifFix<T>(record: ImageRecord | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isUserError(error) || error.code !== 'EBADSIF' || (record?.url ?? '').includes('://')) throw error;
    throw new UserError(error.message, {
      fix: 'build the image again, or copy it again from where it came from',
      code: 'EBADSIF',
      cause: error,
    });
  }
}

/** EACCES or EPERM when a folder on `file`'s path bars this user from it; undefined when it is simply not there. */
function accessDenied(file: string): string | undefined {
  try {
    fs.statSync(file);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? code : undefined;
  }
}
