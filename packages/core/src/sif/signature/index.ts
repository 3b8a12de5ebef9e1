// SIF signatures (sif-signatures.md): recomputed digests, OpenPGP clear-signed and DSSE verification, legacy
// SIFHASH signatures, and a signer that writes what the reference signer writes.
export { appendSignatures, type NewSignature } from './append';
export { descriptorDigestInput, headerDigestInput, ObjectHasher } from './digests';
export { dsseKeyId, pae } from './dsse';
export { DSSE_PAYLOAD_TYPE, detectSignatureFormat } from './envelope';
export { addToMaterial, emptyKeyMaterial, type KeyMaterial, type KeySummary, type ParsedKey, parseKeys } from './keys';
export { readLayout, type SifLayout } from './layout';
export { metadataJson } from './metadata';
export { openpgp, type PgpPrivateKey, signingKeyId } from './openpgp';
export { type SignedObject, type SigningKey, type SignOptions, signSif } from './sign';
export type * from './types';
export { NO_LEGACY_SIGNATURES, type VerifyOptions, verifySif } from './verify';
