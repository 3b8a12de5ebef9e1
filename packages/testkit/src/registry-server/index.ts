// Public surface of the fake Singularity Registry Server (native API).

export { formatServerDate } from './dates';
export { type DemoSeed, demoSeed } from './demo';
export {
  HMAC_SCHEME,
  type HmacKind,
  hmacPayload,
  hmacSignature,
  hmacTimestamp,
  MalformedAuthHeader,
  parseAuthHeader,
  type SignInput,
  signRequest,
  verifyRequest,
} from './hmac';
export { type MultipartPost, postMultipart, type SimpleResponse } from './multipart-client';
export { normalizeCollectionName } from './names';
export { startRegistryServer } from './server';
export type * from './types';
