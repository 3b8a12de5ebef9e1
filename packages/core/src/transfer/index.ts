// Streaming transfers: JSON calls, downloads into files, multipart uploads, progress bars and the redaction
// every message and debug line goes through.
export { downloadToFile } from './download';
export { requestJson } from './request-json';
export { uploadMultipart } from './upload';
export { createProgressReporter, shouldShowProgress, type ProgressOptions, type ProgressReporter } from './progress';
export { redactHeaders, redactUrl, urlOrigin } from './redact';
export { parseBody } from './json-body';
export type * from './types';
