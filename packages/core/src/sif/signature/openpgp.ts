// openpgp is an ES module; core compiles to CommonJS and loads it with require() (its package exports a CommonJS
// build), so its types are referred to with an import type that names the resolution mode.
type OpenPGP = typeof import('openpgp', { with: { 'resolution-mode': 'import' }});

/**
 * openpgp.js, loaded on first use: it is a large module and only images with OpenPGP signatures (or OpenPGP
 * keys) need it.
 */
let loaded: OpenPGP | undefined;
export function openpgp(): OpenPGP {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('openpgp') as OpenPGP;
  return loaded;
}

export type PgpPublicKey = InstanceType<OpenPGP['PublicKey']>;
export type PgpPrivateKey = InstanceType<OpenPGP['PrivateKey']>;
export type PgpKey = PgpPublicKey | PgpPrivateKey;
type CleartextMessage = InstanceType<OpenPGP['CleartextMessage']>;

export interface ClearsignResult {
  /** the signed text with Go's line handling: lines joined with `\n`, the final newline dropped */
  text: string;
  key: PgpPublicKey;
  keyId: string;
  created: Date | null;
}

export class PgpVerifyError extends Error {
  constructor(
    message: string,
    readonly kind: 'unknown-key' | 'tampered' | 'unsupported',
    readonly keyId?: string,
  ) {
    super(message);
  }
}

/**
 * Verifies a clear-signed message against `keys` as Go does (§3.1): the signature must be good, the signing key
 * neither revoked nor expired *now*. openpgp.js would check the key as it was when the signature was made, and
 * refuses keys whose self-signatures are newer than the signature (the test key's are); the current-time check
 * below is what Go does instead.
 */
export async function verifyClearsigned(armored: string, keys: PgpPublicKey[]): Promise<ClearsignResult> {
  const pgp = openpgp();
  let message: CleartextMessage;
  try {
    message = await pgp.readCleartextMessage({ cleartextMessage: firstBlock(armored) });
  } catch (error) {
    throw new PgpVerifyError(`not a readable clear-signed message (${(error as Error).message})`, 'unsupported');
  }
  const issuers = message.getSigningKeyIDs().map((id) => id.toHex().toUpperCase());
  const candidates = keys.filter((key) => key.getKeys().some((k) => issuers.includes(k.getKeyID().toHex().toUpperCase())));
  if (candidates.length === 0) {
    throw new PgpVerifyError(`signed by an unknown OpenPGP key ${issuers.join(', ') || '(no issuer)'}`, 'unknown-key', issuers[0]);
  }
  const result = await pgp.verify({
    message,
    verificationKeys: candidates,
    expectSigned: false,
    config: { allowInsecureVerificationWithReformattedKeys: true },
  });
  const now = new Date();
  let lastError = 'no signature';
  for (const signature of result.signatures) {
    try {
      await signature.verified;
      const keyId = signature.keyID.toHex().toUpperCase();
      const key = candidates.find((k) => k.getKeys(signature.keyID).length > 0)!;
      await key.getSigningKey(signature.keyID, now); // throws when revoked or expired today
      const packet = (await signature.signature).packets[0];
      return { text: goPlaintext(String(result.data)), key, keyId, created: packet?.created ?? null };
    } catch (error) {
      lastError = (error as Error).message;
    }
  }
  const kind = /expired|revoked/i.test(lastError) ? 'unknown-key' : 'tampered';
  throw new PgpVerifyError(`the OpenPGP signature does not verify (${lastError})`, kind);
}

/** Go decodes the first clear-signed block and ignores anything after it. */
function firstBlock(armored: string): string {
  const end = armored.indexOf('-----END PGP SIGNATURE-----');
  return end === -1 ? armored : armored.slice(0, end + '-----END PGP SIGNATURE-----'.length);
}

function goPlaintext(text: string): string {
  const joined = text.replace(/\r\n/g, '\n');
  return joined.endsWith('\n') ? joined.slice(0, -1) : joined;
}

/** The primary user id ("Name <email>"), or the first one, or null. */
export async function keyIdentity(key: PgpKey): Promise<string | null> {
  try {
    const primary = await key.getPrimaryUser(new Date(), undefined, {
      ...openpgp().config,
      allowInsecureVerificationWithReformattedKeys: true,
    });
    if (primary.user.userID?.userID) return primary.user.userID.userID;
  } catch {
    // no valid self-signed user id now: fall back to what the key lists
  }
  return key.getUserIDs()[0] ?? null;
}

export interface ClearsignOptions {
  text: string;
  key: PgpPrivateKey;
  date?: Date;
}

/**
 * The key that signs for `key`: its primary key, as Go's signer (§3.1), or, when the primary may only certify (a
 * common gpg layout), its signing subkey; the descriptor names the primary's fingerprint either way, which is what
 * Go compares (§7). Throws openpgp.js's error when neither can sign today (expired, revoked, no signing key).
 */
export async function signingKeyId(key: PgpPrivateKey, date = new Date()): Promise<InstanceType<OpenPGP['KeyID']>> {
  try {
    return (await key.getSigningKey(key.getKeyID(), date)).getKeyID();
  } catch {
    return (await key.getSigningKey(undefined, date)).getKeyID();
  }
}

/** Descriptor HashType (§1.3) of the OpenPGP hash algorithms a signature can be made with. */
const HASH_TYPES: Record<string, number> = { sha256: 1, sha384: 2, sha512: 3 };

export interface Clearsigned {
  armored: string;
  /** the descriptor HashType of the hash the signature was made with */
  hashType: number;
}

/**
 * Clear-signs `text` the way Go's signer does: SHA-256, no salt notation, signed by the primary key, armor with
 * no checksum line and no trailing newline (§3.1). openpgp.js keeps to SHA-256 for RSA keys but signs with an
 * Ed25519 (and other ECC) key using at least the curve's hash, SHA-512 for Ed25519, whatever it is asked: the
 * hash actually used is read back from the signature, for the descriptor to record it (§7).
 */
export async function clearsign(options: ClearsignOptions): Promise<Clearsigned> {
  const pgp = openpgp();
  const message = await pgp.createCleartextMessage({ text: options.text });
  const armored = await pgp.sign({
    message,
    signingKeys: options.key,
    signingKeyIDs: await signingKeyId(options.key, options.date),
    date: options.date,
    config: {
      preferredHashAlgorithm: pgp.enums.hash.sha256,
      nonDeterministicSignaturesViaNotation: false,
    },
  });
  const signed = await pgp.readCleartextMessage({ cleartextMessage: armored });
  // the signature's packets are there at run time; openpgp.js's types do not declare them
  const packets = (signed as unknown as { signature: { packets: { hashAlgorithm?: number }[] } }).signature.packets;
  const algorithm = packets[0]?.hashAlgorithm;
  const name = algorithm === undefined ? undefined : pgp.enums.read(pgp.enums.hash, algorithm);
  const hashType = name === undefined ? undefined : HASH_TYPES[name];
  if (hashType === undefined) throw new Error(`openpgp.js signed with hash ${name ?? algorithm}, which a SIF descriptor cannot record`);
  return {
    armored: armored
      .split('\n')
      .filter((line) => !/^=[A-Za-z0-9+/]{4}$/.test(line))
      .join('\n')
      .replace(/\n+$/, ''),
    hashType,
  };
}

/** `rsa2048`, `ed25519`, `ecdsa-p256`…: openpgp.js's algorithm names (rsaEncryptSign, eddsaLegacy) made plain. */
export function pgpAlgorithm(key: PgpKey): string {
  const info = key.getAlgorithmInfo() as { algorithm: string; bits?: number; curve?: string };
  if (info.algorithm.startsWith('rsa')) return `rsa${info.bits ?? ''}`;
  if (/eddsa|ed25519/i.test(info.algorithm)) return 'ed25519';
  if (info.algorithm === 'ed448') return 'ed448';
  return info.curve ? `${info.algorithm}-${info.curve}` : info.algorithm;
}
