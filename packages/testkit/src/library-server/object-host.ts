// The object store behind presigned URLs (MinIO for the Registry Server, S3 for Sylabs Cloud), on its own
// port so a client sees another host. It never takes an Authorization header — a presigned request that
// carries one is refused and recorded (a library token must not leave the library host; CVE-2022-23538) —,
// checks x-amz-content-sha256 against what was signed and against the bytes, answers ETags, serves Range
// GETs, and honours the URL's expiry and use count.
import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { ServerContext } from './context';
import { etagOf, receive, receiveAt, TooLong } from './files';
import { imageEtag } from './object-key';
import type { Grant } from './presign';
import { sendS3Error } from './respond';
import { serveFile } from './serve-file';
import type { LibraryObjectAuthRejection } from './types';

export async function handleObject(
  ctx: ServerContext,
  rejections: LibraryObjectAuthRejection[],
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const method = req.method ?? 'GET';
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    rejections.push({ method, path, scheme: authorization.trim().split(/\s+/)[0] ?? '' });
    // What S3 and MinIO answer when a presigned query and an Authorization header come together.
    return sendS3Error(
      res,
      400,
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    );
  }
  const check = ctx.presigner.check(method, path, query);
  if (!check.ok) return sendS3Error(res, check.status, check.code, check.message);
  const { grant } = check;
  if (grant.kind === 'get') return getObject(ctx, req, res, grant);
  return putObject(ctx, req, res, grant);
}

async function getObject(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, grant: Grant): Promise<void> {
  const image = ctx.state.images.get(grant.imageId);
  if (!image?.uploaded || !image.path) return sendS3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
  await serveFile(req, res, { path: image.path, size: image.size, etag: imageEtag(image) }, ctx.faults);
}

async function putObject(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, grant: Grant): Promise<void> {
  const declared = req.headers['x-amz-content-sha256'];
  if (grant.contentSha256 && declared !== grant.contentSha256) {
    req.resume();
    // The header is part of the signature: absent or different, the signature no longer matches.
    return sendS3Error(
      res,
      403,
      'SignatureDoesNotMatch',
      declared === undefined
        ? 'x-amz-content-sha256 is a signed header of this URL and must be sent'
        : 'x-amz-content-sha256 differs from the value this URL was signed with',
    );
  }
  let session: ReturnType<typeof ctx.uploads.sessions.get>;
  if (grant.kind === 'part') {
    session = ctx.uploads.sessions.get(grant.uploadId ?? '');
    if (!session) {
      req.resume();
      return sendS3Error(res, 404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
    }
    const failure = ctx.faults.takePartFailure(grant.partNumber ?? 0);
    if (failure === 'drop') {
      req.resume();
      return void res.socket?.destroy();
    }
    if (failure !== undefined) {
      req.resume();
      return sendS3Error(
        res,
        failure,
        failure === 503 ? 'SlowDown' : 'InternalError',
        'We encountered an internal error. Please try again.',
      );
    }
  }
  const length = req.headers['content-length'];
  if (session) {
    const partNumber = grant.partNumber ?? 0;
    const expected = ctx.uploads.expectedPartSize(session, partNumber);
    if (length !== undefined && Number(length) !== expected) {
      req.resume();
      return sendS3Error(res, 400, 'InvalidPart', `part ${partNumber} must be ${expected} bytes, got Content-Length ${length}`);
    }
    const running = ctx.uploads.runningFor(session, partNumber);
    let got: Awaited<ReturnType<typeof receiveAt>>;
    try {
      got = await receiveAt(
        req,
        session.path,
        ctx.uploads.partOffset(session, partNumber),
        expected,
        running === 'own' ? undefined : running,
        ctx.faults.current.uploadBytesPerSecond,
      );
    } catch (err) {
      if (err instanceof TooLong) return sendS3Error(res, 400, 'InvalidPart', `part ${partNumber} must be ${expected} bytes`);
      // the client went away mid-body: the part is not recorded (its range is rewritten by the retry)
      return void res.destroy();
    }
    if (got.size !== expected)
      return sendS3Error(res, 400, 'IncompleteBody', `part ${partNumber} must be ${expected} bytes, got ${got.size}`);
    if (declared !== undefined && declared !== 'UNSIGNED-PAYLOAD' && declared !== got.sha256)
      return sendS3Error(
        res,
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    const etag = etagOf(got.sha256);
    ctx.uploads.putPart(session, { partNumber, size: got.size, sha256: got.sha256, etag }, running === 'own' ? got.state : running);
    res.writeHead(200, { ETag: etag, 'Content-Length': '0' });
    return void res.end();
  }
  let got: Awaited<ReturnType<typeof receive>>;
  try {
    got = await receive(req, join(ctx.dataDir, 'objects'), ctx.faults.current.uploadBytesPerSecond);
  } catch {
    // The client went away mid-body: nothing is kept.
    return void res.destroy();
  }
  if (length !== undefined && Number(length) !== got.size) {
    await rm(got.path, { force: true });
    return sendS3Error(res, 400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
  }
  if (declared !== undefined && declared !== 'UNSIGNED-PAYLOAD' && declared !== got.sha256) {
    await rm(got.path, { force: true });
    return sendS3Error(
      res,
      400,
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  const image = ctx.state.images.get(grant.imageId);
  if (!image || `sha256.${got.sha256}` !== image.hash) {
    await rm(got.path, { force: true });
    return sendS3Error(res, 400, 'BadDigest', "The uploaded file's sha256 is not the image's hash.");
  }
  const etag = etagOf(got.sha256);
  await ctx.uploads.putObject(grant.imageId, { path: got.path, size: got.size, sha256: got.sha256, etag });
  res.writeHead(200, { ETag: etag, 'Content-Length': '0' });
  res.end();
}
