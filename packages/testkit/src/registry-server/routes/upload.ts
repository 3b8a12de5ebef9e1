// Push step 2, `POST /upload`. On the real server nginx's upload module stores `file1`, computes md5 and size,
// and forwards the other fields to `/api/uploads/complete/`; here both halves run in-process, the file
// streaming to disk through busboy (registry-api.md §1.3).
import { join } from 'node:path';
import busboy from 'busboy';
import { cookie, pyStr } from '../body';
import type { Exchange } from '../exchange';
import { type IngestedFile, ingest, placeFile, removeFile } from '../files';
import { credentialUsername, MalformedAuthHeader, verifyRequest } from '../hmac';
import { mayPush } from '../permissions';
import { nginxError, redirect, sendJson, serverErrorHtml } from '../respond';

/** The only fields nginx passes through to the back end. */
const PASSED_FIELDS = new Set(['submit', 'description', 'SREGISTRY_EVENT', 'collection', 'name', 'tag']);

interface ParsedUpload {
  fields: Record<string, string>;
  file?: IngestedFile & { filename: string };
}

/** Streams the multipart body: fields into a map (the last value wins, like Django's QueryDict.get), file1 to disk. */
function parseMultipart(ex: Exchange): Promise<ParsedUpload> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let pending: Promise<ParsedUpload['file']> | undefined;
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: ex.req.headers });
    } catch (err) {
      return reject(err);
    }
    bb.on('field', (name, value) => {
      if (PASSED_FIELDS.has(name)) fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      if (name !== 'file1' || pending) return void stream.resume();
      const filename = info.filename ?? '';
      const stored = ingest(stream, join(ex.ctx.settings.dataDir, '_upload')).then((f) => ({ ...f, filename }));
      stored.catch(() => undefined); // surfaced below; avoid an unhandled rejection meanwhile
      pending = stored;
    });
    let failed = false;
    bb.on('error', async (err) => {
      failed = true;
      ex.req.unpipe(bb);
      const file = await pending?.catch(() => undefined);
      if (file) await removeFile(file.path);
      reject(err);
    });
    bb.on('close', () => {
      if (!failed) (pending ?? Promise.resolve(undefined)).then((file) => resolve({ fields, file }), reject);
    });
    // A client that goes away mid-upload never ends the body: fail the parse so the partial file is removed.
    ex.req.once('close', () => {
      if (!ex.req.complete) bb.destroy(new Error('request aborted'));
    });
    ex.req.pipe(bb);
  });
}

export async function nginxUpload(ex: Exchange): Promise<void> {
  if (ex.method !== 'POST') return nginxError(ex, 405);
  if (!/^multipart\/form-data/i.test(ex.req.headers['content-type'] ?? '')) return nginxError(ex, 415);
  let upload: ParsedUpload;
  try {
    upload = await parseMultipart(ex);
  } catch {
    if (!ex.res.headersSent && !ex.req.socket.destroyed) nginxError(ex, 400);
    return;
  }
  const { fields, file } = upload;
  ex.record.body = { ...fields, ...(file ? { 'file1.name': file.filename, 'file1.size': file.size, 'file1.md5': file.md5 } : {}) };
  if (!file) return serverErrorHtml(ex);
  await uploadComplete(ex, fields, file);
}

/**
 * The `/api/uploads/complete/` logic. Only owners get a container; a staff non-owner and the cookie (web UI)
 * path are told success while nothing is stored (their file stays behind, orphaned).
 */
async function uploadComplete(ex: Exchange, fields: Record<string, string>, file: IngestedFile): Promise<void> {
  const { state, settings, faults } = ex.ctx;
  const auth = ex.req.headers.authorization;
  const csrftoken = cookie(ex.req, 'csrftoken');
  // nginx deletes its stored file when the back end answers 400-599 (done before answering, so tests can look).
  const fail = async () => {
    await removeFile(file.path);
    serverErrorHtml(ex);
  };
  if (auth === undefined && csrftoken === undefined) return fail();
  const cid = fields.collection ?? '';
  const coll = /^\d+$/.test(cid) ? state.collections.get(Number(cid)) : undefined;
  if (!coll) return fail();
  if (!settings.pushEnabled) return fail();
  if (csrftoken !== undefined) {
    // Treated as the web UI: HMAC skipped, the (anonymous) session user owns nothing, so nothing is stored.
    return redirect(ex, 302, '/collections');
  }

  const name = pyStr(fields.name);
  const tag = pyStr(fields.tag);
  try {
    const user = state.user(credentialUsername(auth as string));
    const signed = verifyRequest(auth as string, {
      kind: 'upload',
      collection: coll.name,
      name,
      tag,
      now: faults.now(),
      tokenFor: (u) => state.user(u)?.token,
    });
    if (!signed || !user || !mayPush(state, settings, user, coll)) return fail();
    if (!state.isOwner(user, coll)) return sendJson(ex, 200, { message: 'Upload Complete' }, { style: 'django' });
  } catch (err) {
    if (err instanceof MalformedAuthHeader) return fail();
    throw err;
  }

  const existing = state.findContainers({ collectionId: coll.id, name, tag }).at(-1);
  const path = await placeFile(file.path, settings.dataDir, coll.name, name, tag, file.md5);
  if (existing?.frozen) {
    // The new row breaks the uniqueness rule; the moved file stays behind, orphaned, and the answer is still 200.
    return sendJson(ex, 200, { message: `library/${name}:${tag}@${file.md5} already exists.` }, { style: 'django' });
  }
  // Replacement is delete + create: the container gets a new id and the old download URL dies.
  if (existing) await state.removeContainer(existing);
  const row = state.insertContainer({
    collectionId: coll.id,
    name,
    tag,
    version: file.md5,
    frozen: false,
    path,
    size: file.size,
    metadata: {},
  });
  coll.modifyDate = row.addDate;
  ex.ctx.worker.schedule(row);
  sendJson(ex, 200, { message: 'Upload Complete' }, { style: 'django' });
}
