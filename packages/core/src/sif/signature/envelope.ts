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
