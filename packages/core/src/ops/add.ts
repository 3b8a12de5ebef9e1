import fs from 'node:fs';
import path from 'node:path';
import { sha256File } from '../catalog/hash';
import { recordToJson } from '../catalog/record-json';
import type { ImageRecordJson } from '../contracts/records';
import { UserError } from '../errors';
import { checkImageFile } from './image-file';
import type { Session } from './session';

export interface AddOptions {
  file: string;
  name: string;
  copy?: boolean;
  client?: string;
  /** replace a file that no image owns at the storage path */
  force?: boolean;
  /** Ctrl-C gives the add up while its file is being copied or moved in */
  signal?: AbortSignal;
}

/** `<64 hex>`, `sha256.<64 hex>` (the Registry Server's form) or `sha256:<64 hex>` */
const DIGEST_VERSION = /^(?:sha256[.:])?([0-9a-fA-F]{64})$/;

/** `add <file> --name <uri> [--copy]`: catalogues a local image (client-spec §2.7, §5.2). */
export async function addImage(session: Session, options: AddOptions): Promise<ImageRecordJson & { created: boolean }> {
  // an empty flag value (an unset variable) is a usage error, as errors.md files it, not a name that cannot parse
  if (options.name.trim() === '') {
    throw new UserError('--name is empty', { fix: 'give the image a name: --name collection/name[:tag][@version]', code: 'EUSAGE' });
  }
  const file = path.resolve(options.file);
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file); // not statSync: see ops/pull.ts (a FIFO's stat upsets later require())
  } catch {
    throw new UserError(`Cannot find ${options.file}`, { fix: 'check the path of the image file', code: 'ENOFILE' });
  }
  if (stat.isDirectory()) {
    throw new UserError(`${options.file} is a folder, not an image file`, {
      fix: 'give the path of an image file (a SIF)',
      code: 'EISDIR',
    });
  }
  if (!stat.isFile())
    throw new UserError(`${options.file} is not a file`, { fix: 'give the path of an image file (a SIF)', code: 'ENOTFILE' });
  const name = session.parseNewLocal(options.name, '--name');
  await checkImageFile(session, file, options.file, 'adding');
  // a version shaped like a digest is read as one (by people and by `get …@<digest>`): it must be the file's
  let sha256: string | undefined;
  const claimed = name.version ? DIGEST_VERSION.exec(name.version)?.[1] : undefined;
  if (claimed) {
    sha256 = await sha256File(file);
    if (claimed.toLowerCase() !== sha256) {
      throw new UserError(`--name ${options.name}: the version looks like a SHA-256 but the file's is ${sha256}`, {
        fix: `use @${sha256}, leave the version out (the digest is then used), or give a version that is not 64 hex digits`,
        code: 'EDIGEST',
      });
    }
  }
  const catalog = await session.catalog('add');
  const { record, created, linked } = await catalog.add({
    file,
    name,
    client: options.client ?? session.selection().name,
    copy: options.copy ?? false,
    sha256,
    force: options.force,
    keepOwnBytes: true,
    signal: options.signal,
  });
  if (linked) session.out.info(`${options.file} is a symbolic link: its target's bytes were copied; the link and its target stay`);
  session.out.result(`[container][${created ? 'new' : 'update'}] ${record.uri}`);
  return { ...recordToJson(record), created };
}
