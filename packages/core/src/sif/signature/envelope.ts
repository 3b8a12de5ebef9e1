import type { SignatureFormat } from './types';

/** The DSSE payload type of SIF metadata (sif-signatures.md §3.2). */
export const DSSE_PAYLOAD_TYPE = 'application/vnd.sylabs.sif-metadata+json';

const CLEARSIGN_BEGIN = '-----BEGIN PGP SIGNED MESSAGE-----';

/**
 * Go's order (§4): JSON with the SIF payload type is DSSE; else a clear-signed message is PGP, legacy when its
 * text is a `SIFHASH:` line; anything else is not a signature format we know.
 */
export function detectSignatureFormat(data: Buffer): SignatureFormat {
  const text = data.toString('utf8');
  try {
    const json = JSON.parse(text) as { payloadType?: unknown };
    if (json && typeof json === 'object' && json.payloadType === DSSE_PAYLOAD_TYPE) return 'dsse';
  } catch {
    // not JSON: try clear-signed below
  }
  const begin = text.indexOf(CLEARSIGN_BEGIN);
  if (begin === -1 || text.slice(0, begin).trim() !== '') return 'unknown';
  // the text starts after the armor headers (Hash: …) and the blank line that ends them
  const body = /\r?\n\r?\n/.exec(text.slice(begin));
  if (!body) return 'unknown';
  const plaintext = text.slice(begin + body.index + body[0].length);
  return plaintext.startsWith('SIFHASH:') ? 'legacy' : 'pgp';
}

/**
 * The payload a signature carries, read without checking anything: the DSSE payload, or the clear-signed text.
 * Only for showing what a signature claims when it cannot be verified; never trusted.
 */
export function unverifiedPayload(format: SignatureFormat, data: Buffer): string | null {
  const text = data.toString('utf8');
  if (format === 'dsse') {
    try {
      const payload = (JSON.parse(text) as { payload?: unknown }).payload;
      return typeof payload === 'string' ? Buffer.from(payload, 'base64').toString('utf8') : null;
    } catch {
      return null;
    }
  }
  if (format !== 'pgp') return null;
  const start = /\r?\n\r?\n/.exec(text);
  const end = text.indexOf('\n-----BEGIN PGP SIGNATURE-----');
  return start && end > start.index ? text.slice(start.index + start[0].length, end) : null;
}
