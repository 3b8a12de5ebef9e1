// Streaming transfers: JSON calls, downloads into files, multipart uploads, progress bars and the redaction
// every message and debug line goes through.
export { downloadToFile } from './download';
export { parseBody } from './json-body';
export {
  createProgressReporter,
  type ProgressLineParts,
  type ProgressOptions,
  type ProgressReporter,
  progressLine,
  shouldShowProgress,
  transferLabel,
} from './progress';
export { redactHeaders, redactText, redactUrl, rememberSecret, urlOrigin } from './redact';
export { requestJson } from './request-json';
export type * from './types';
export { uploadMultipart } from './upload';
export { uploadFile } from './upload-file';
