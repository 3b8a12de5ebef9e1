// What the object store holds between a presigned PUT and the API's `_complete`: whole objects by image, and
// multipart sessions. A session's parts are written straight into one file at their offsets (a retried part
// overwrites its own range), so completing a 512 MiB upload moves no bytes; the whole file's sha256 is kept
// up to date while parts arrive in order (part 1's own hash starts it), and only parts that came out of order
// make complete read the file.
import { createHash, type Hash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface StoredObject {
  path: string;
  size: number;
  sha256: string;
  etag: string;
}

export interface StoredPart {
  partNumber: number;
  size: number;
  sha256: string;
  etag: string;
}

export interface MultipartSession {
  uploadId: string;
  imageId: string;
  filesize: number;
  partSize: number;
  totalParts: number;
  /** The file the parts are written into. */
  path: string;
  parts: Map<number, StoredPart>;
  /** sha256 over parts 1..hashedParts, in order; undefined once a part changed after being hashed. */
  running: Hash | undefined;
  hashedParts: number;
}

export class UploadStore {
  /** imageId → the object a presigned single PUT left, awaiting `_complete`. */
  readonly objects = new Map<string, StoredObject>();
  readonly sessions = new Map<string, MultipartSession>();

  constructor(private readonly dir: string) {}

  async open(imageId: string, filesize: number, partSize: number): Promise<MultipartSession> {
    const uploadId = randomUUID();
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, uploadId);
    await writeFile(path, '');
    const session: MultipartSession = {
      uploadId,
      imageId,
      filesize,
      partSize,
      totalParts: Math.max(1, Math.ceil(filesize / partSize)),
      path,
      parts: new Map(),
      running: createHash('sha256'),
      hashedParts: 0,
    };
    this.sessions.set(uploadId, session);
    return session;
  }

  /** Bytes part `n` must have. */
  expectedPartSize(session: MultipartSession, n: number): number {
    return n < session.totalParts ? session.partSize : session.filesize - session.partSize * (session.totalParts - 1);
  }

  partOffset(session: MultipartSession, n: number): number {
    return (n - 1) * session.partSize;
  }

  /**
   * A copy of the running hash to feed part `n` into while it arrives, when it is the next one in order; 'own' for
   * part 1 arriving first: the running hash is then the part's own (the caller keeps its state), so the part's
   * bytes are hashed once, not twice (500 MiB of a 512 MiB push with the default part size).
   */
  runningFor(session: MultipartSession, n: number): Hash | 'own' | undefined {
    if (n !== session.hashedParts + 1 || !session.running) return undefined;
    return n === 1 ? 'own' : session.running.copy();
  }

  /** Records a part that arrived whole and matched its x-amz-content-sha256; `running` as given by runningFor. */
  putPart(session: MultipartSession, part: StoredPart, running: Hash | undefined): void {
    const old = session.parts.get(part.partNumber);
    session.parts.set(part.partNumber, part);
    if (running && part.partNumber === session.hashedParts + 1) {
      session.running = running;
      session.hashedParts = part.partNumber;
    } else if (part.partNumber <= session.hashedParts && old?.sha256 !== part.sha256) {
      // bytes already in the running hash changed: complete has to read the file
      session.running = undefined;
    }
  }

  /** The sha256 of the whole upload: from the running hash when every part came in order, else by reading the file. */
  async wholeSha256(session: MultipartSession): Promise<string> {
    if (session.running && session.hashedParts === session.totalParts) return session.running.copy().digest('hex');
    const hash = createHash('sha256');
    await pipeline(createReadStream(session.path, { highWaterMark: 1024 * 1024 }), hash);
    return hash.digest('hex');
  }

  async putObject(imageId: string, object: StoredObject): Promise<void> {
    const old = this.objects.get(imageId);
    this.objects.set(imageId, object);
    if (old && old.path !== object.path) await rm(old.path, { force: true });
  }

  /** Ends a session; its file is removed unless `keepFile` (it became the image's file). */
  async close(uploadId: string, keepFile = false): Promise<void> {
    const session = this.sessions.get(uploadId);
    this.sessions.delete(uploadId);
    if (session && !keepFile) await rm(session.path, { force: true });
  }
}
