import crypto, { type KeyObject } from 'node:crypto';
import { DSSE_PAYLOAD_TYPE } from './envelope';

/**
 * DSSE envelopes (sif-signatures.md §3.2) with node:crypto: Ed25519, RSA PKCS#1 v1.5 and PSS, ECDSA. RSA and
 * ECDSA hash the PAE with SHA-256, as Apptainer's verifier and the reference signer do.
 */

export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/** The bytes actually signed: `DSSEv1 <len> <type> <len> <payload>`, lengths in bytes. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

const sshString = (data: Buffer | string): Buffer => {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/** An SSH mpint: big-endian, with a zero byte in front when the top bit is set (it would read as negative). */
const sshMpint = (unsigned: Buffer): Buffer => {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const trimmed = unsigned.subarray(start);
  return sshString(trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
};

const CURVES: Record<string, string> = { 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' };

/** The key's algorithm as reports name it. */
export function keyAlgorithm(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'ed25519';
    case 'rsa':
      return 'rsa';
    case 'ec': {
      const curve = key.export({ format: 'jwk' }).crv ?? '';
      return `ecdsa-${(CURVES[curve] ?? curve).replace('nist', '')}`;
    }
    default:
      return key.asymmetricKeyType ?? 'unknown';
  }
}

/** The OpenSSH SHA-256 fingerprint of a public key, DSSE's keyid: `SHA256:` + unpadded base64. */
export function dsseKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? crypto.createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  const b64u = (s: string | undefined) => Buffer.from(s ?? '', 'base64url');
  let blob: Buffer;
  switch (publicKey.asymmetricKeyType) {
    case 'ed25519':
      blob = Buffer.concat([sshString('ssh-ed25519'), sshString(b64u(jwk.x))]);
      break;
    case 'rsa':
      blob = Buffer.concat([sshString('ssh-rsa'), sshMpint(b64u(jwk.e)), sshMpint(b64u(jwk.n))]);
      break;
    case 'ec': {
      const curve = CURVES[jwk.crv ?? ''];
      if (!curve) throw new Error(`unsupported ECDSA curve ${jwk.crv}`);
      const point = Buffer.concat([Buffer.from([4]), b64u(jwk.x), b64u(jwk.y)]);
      blob = Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(curve), sshString(point)]);
      break;
    }
    default:
      throw new Error(`unsupported key type ${publicKey.asymmetricKeyType}`);
  }
  return `SHA256:${crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The signature schemes one public key may have made; a verifier tries each. */
function verifiesWith(key: KeyObject, data: Buffer, signature: Buffer): string | null {
  const attempt = (name: string, algorithm: string | null, options: Partial<crypto.VerifyKeyObjectInput>): string | null => {
    try {
      return crypto.verify(algorithm, data, { key, ...options } as crypto.VerifyKeyObjectInput, signature) ? name : null;
    } catch {
      return null;
    }
  };
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return attempt('ed25519', null, {});
    case 'rsa':
      return (
        attempt('rsa-pkcs1v15', 'sha256', { padding: crypto.constants.RSA_PKCS1_PADDING }) ??
        attempt('rsa-pss', 'sha256', { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO })
      );
    case 'ec':
      // DER (r,s) is what signers write; raw r‖s is accepted too, as sigstore does
      return attempt(keyAlgorithm(key), 'sha256', {}) ?? attempt(keyAlgorithm(key), 'sha256', { dsaEncoding: 'ieee-p1363' });
    default:
      return null;
  }
}

export interface DsseKey {
  key: KeyObject;
  keyId: string;
  source: string;
}

export interface DsseVerified {
  payload: Buffer;
  accepted: { key: DsseKey; scheme: string }[];
  /** envelope signatures whose keyid matched one of the keys (a good signature needs one) */
  matchedKeyIds: number;
}

// Standard or URL-safe base64, padded: the reference verifier decodes with Go's StdEncoding, then URLEncoding,
// and both refuse a missing `=`; Buffer's decoder alone would take anything, so the rule is checked first.
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PADDED_BASE64URL = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/;
const isPaddedBase64 = (text: string): boolean => PADDED_BASE64.test(text) || PADDED_BASE64URL.test(text);

/** Parses an envelope; null when it is not one (wrong shape or payload type, a payload that is not padded base64). */
export function parseEnvelope(data: Buffer): DsseEnvelope | null {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    return null;
  }
  const envelope = json as Partial<DsseEnvelope>;
  if (!envelope || envelope.payloadType !== DSSE_PAYLOAD_TYPE || typeof envelope.payload !== 'string') return null;
  if (!Array.isArray(envelope.signatures) || !isPaddedBase64(envelope.payload)) return null;
  const signatures = envelope.signatures.filter(
    (s): s is { keyid: string; sig: string } => typeof s?.sig === 'string' && (s.keyid === undefined || typeof s.keyid === 'string'),
  );
  return {
    payloadType: envelope.payloadType,
    payload: envelope.payload,
    signatures: signatures.map((s) => ({ keyid: s.keyid ?? '', sig: s.sig })),
  };
}

/**
 * Threshold 1, as the reference verifier: some envelope signature must verify with some key. A signature whose
 * keyid differs from the key's is not tried with it; an empty keyid is tried with every key.
 */
export function verifyEnvelope(envelope: DsseEnvelope, keys: DsseKey[]): DsseVerified {
  // standard base64 with padding is what signers write; Buffer's decoder also takes the URL-safe alphabet
  const payload = Buffer.from(envelope.payload, 'base64');
  const signed = pae(envelope.payloadType, payload);
  const accepted: DsseVerified['accepted'] = [];
  let matchedKeyIds = 0;
  for (const entry of envelope.signatures) {
    // a sig that is not padded base64 is one that does not verify; the others may still meet the threshold
    const wellFormed = isPaddedBase64(entry.sig);
    const signature = Buffer.from(entry.sig, 'base64');
    for (const key of keys) {
      if (entry.keyid !== '' && entry.keyid !== key.keyId) continue;
      matchedKeyIds++;
      const scheme = wellFormed && verifiesWith(key.key, signed, signature);
      if (scheme && !accepted.some((a) => a.key.keyId === key.keyId)) accepted.push({ key, scheme });
    }
  }
  return { payload, accepted, matchedKeyIds };
}

/**
 * Signs `payload` with each private key, in order, into one envelope (what the reference signer writes). RSA
 * keys sign with PKCS#1 v1.5, the reference default, or PSS when asked.
 */
export function signEnvelope(payload: Buffer, keys: KeyObject[], options: { rsaPss?: boolean } = {}): Buffer {
  const signed = pae(DSSE_PAYLOAD_TYPE, payload);
  const signatures = keys.map((key) => {
    let sig: Buffer;
    switch (key.asymmetricKeyType) {
      case 'ed25519':
        sig = crypto.sign(null, signed, key);
        break;
      case 'rsa':
        sig = options.rsaPss
          ? crypto.sign('sha256', signed, {
              key,
              padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
              saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST,
            })
          : crypto.sign('sha256', signed, { key, padding: crypto.constants.RSA_PKCS1_PADDING });
        break;
      case 'ec':
        sig = crypto.sign('sha256', signed, key);
        break;
      default:
        throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
    }
    return { keyid: dsseKeyId(key), sig: sig.toString('base64') };
  });
  return Buffer.from(JSON.stringify({ payloadType: DSSE_PAYLOAD_TYPE, payload: payload.toString('base64'), signatures }));
}
