// Presigned object-host URLs. Each URL carries S3 SigV4-looking query parameters so a client sees what MinIO or
// S3 would hand it (including X-Amz-SignedHeaders, which tells it to send x-amz-content-sha256); the signature
// is a random grant id the object host looks up, which is all a fake needs to refuse forged, reused or expired
// URLs. A real SigV4 check would only test our own signing code, not the client.
import { randomBytes } from 'node:crypto';

export type GrantKind = 'get' | 'put' | 'part';

export interface Grant {
  kind: GrantKind;
  /** Object key path on the object host, e.g. /sregistry/<entity>/<collection>/<container>:sha256.<hex> */
  path: string;
  imageId: string;
  uploadId?: string;
  partNumber?: number;
  /** Value x-amz-content-sha256 must have (lowercase hex), when signed. */
  contentSha256?: string;
  expiresAt: number;
  usesLeft: number;
}

export type GrantCheck = { ok: true; grant: Grant } | { ok: false; status: number; code: string; message: string };

export class Presigner {
  private readonly grants = new Map<string, Grant>();

  constructor(
    private readonly origin: () => string,
    private readonly expiryMs: () => number,
    private readonly maxUses: () => number | undefined,
  ) {}

  sign(grant: Omit<Grant, 'expiresAt' | 'usesLeft'>): string {
    const signature = randomBytes(32).toString('hex');
    const expiry = this.expiryMs();
    const issued = new Date();
    this.grants.set(signature, { ...grant, expiresAt: issued.getTime() + expiry, usesLeft: this.maxUses() ?? Number.POSITIVE_INFINITY });
    const amzDate = issued
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const q = new URLSearchParams();
    if (grant.kind === 'part') {
      q.set('partNumber', String(grant.partNumber));
      q.set('uploadId', grant.uploadId ?? '');
    }
    q.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA256');
    q.set('X-Amz-Credential', `minio/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`);
    q.set('X-Amz-Date', amzDate);
    q.set('X-Amz-Expires', String(Math.max(0, Math.ceil(expiry / 1000))));
    q.set('X-Amz-SignedHeaders', grant.contentSha256 ? 'host;x-amz-content-sha256' : 'host');
    q.set('X-Amz-Signature', signature);
    return `${this.origin()}${grant.path.split('/').map(encodeURIComponent).join('/')}?${q}`;
  }

  /** Checks (and spends one use of) the URL's grant for this method and path. */
  check(method: string, path: string, query: URLSearchParams): GrantCheck {
    const signature = query.get('X-Amz-Signature');
    const grant = signature ? this.grants.get(signature) : undefined;
    const forged: GrantCheck = {
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
    };
    if (!grant || grant.path !== path) return forged;
    const methods = grant.kind === 'get' ? ['GET', 'HEAD'] : ['PUT'];
    if (!methods.includes(method)) return forged;
    if (grant.kind === 'part' && (query.get('uploadId') !== grant.uploadId || query.get('partNumber') !== String(grant.partNumber)))
      return forged;
    if (Date.now() >= grant.expiresAt || grant.usesLeft <= 0)
      return { ok: false, status: 403, code: 'AccessDenied', message: 'Request has expired' };
    grant.usesLeft -= 1;
    return { ok: true, grant };
  }

  /** Forgets every grant of an upload (after complete or abort), so its part URLs stop working. */
  revokeUpload(uploadId: string): void {
    for (const [sig, g] of this.grants) if (g.uploadId === uploadId) this.grants.delete(sig);
  }
}
