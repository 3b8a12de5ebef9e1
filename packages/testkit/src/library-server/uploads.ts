// What the object store holds between a presigned PUT and the API's `_complete`: whole objects by image, and
// multipart sessions with their parts (each a file on disk, never a buffer).
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';

export interface StoredObject {
  path: string;
  size: number;
  sha256: string;
  etag: string;
}

export interface StoredPart extends StoredObject {
  partNumber: number;
}

export interface MultipartSession {
  uploadId: string;
  imageId: string;
  filesize: number;
  partSize: number;
  totalParts: number;
  parts: Map<number, StoredPart>;
}

export class UploadStore {
  /** imageId → the object a presigned single PUT (or a completed multipart upload) left, awaiting `_complete`. */
  readonly objects = new Map<string, StoredObject>();
  readonly sessions = new Map<string, MultipartSession>();
  /** uploadIds completed or aborted, so a late part PUT can be told apart from a forged one. */
  readonly closed = new Set<string>();

  open(imageId: string, filesize: number, partSize: number): MultipartSession {
    const session: MultipartSession = {
      uploadId: randomUUID(),
      imageId,
      filesize,
      partSize,
      totalParts: Math.max(1, Math.ceil(filesize / partSize)),
      parts: new Map(),
    };
    this.sessions.set(session.uploadId, session);
    return session;
  }

  /** Bytes part `n` must have. */
  expectedPartSize(session: MultipartSession, n: number): number {
    return n < session.totalParts ? session.partSize : session.filesize - session.partSize * (session.totalParts - 1);
  }

  async putObject(imageId: string, object: StoredObject): Promise<void> {
    const old = this.objects.get(imageId);
    this.objects.set(imageId, object);
    if (old && old.path !== object.path) await rm(old.path, { force: true });
  }

  async putPart(session: MultipartSession, part: StoredPart): Promise<void> {
    const old = session.parts.get(part.partNumber);
    session.parts.set(part.partNumber, part);
    if (old && old.path !== part.path) await rm(old.path, { force: true });
  }

  /** Ends a session (complete or abort), removing its part files. */
  async close(uploadId: string): Promise<void> {
    const session = this.sessions.get(uploadId);
    this.sessions.delete(uploadId);
    this.closed.add(uploadId);
    if (session) await Promise.all([...session.parts.values()].map((p) => rm(p.path, { force: true })));
  }
}
