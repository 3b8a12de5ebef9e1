// Answers in the Library API's envelopes: `{"data": …}` on success, `{"error": {"code", "message"}}` on failure
// (hub-sif-library.md C.1), the Registry Server's frozen-tag body, Django's HTML 404 for routes that do not
// exist, and the object store's S3 XML errors.
import type { ServerResponse } from 'node:http';
import type { Exchange } from './context';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(text.length), ...headers });
  res.end(text);
}

export function sendData(res: ServerResponse, data: unknown, status = 200): void {
  sendJson(res, status, { data });
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: { code: status, message } });
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, status === 204 || status === 304 ? headers : { 'Content-Length': '0', ...headers });
  res.end();
}

/** Django's 404 page: what a route the server does not have answers (search on the Registry Server, /v1/oci-redirect). */
export function notFoundHtml(res: ServerResponse): void {
  const html = Buffer.from(
    '<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n',
  );
  res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(html.length) });
  res.end(html);
}

/** An S3-style XML error from the object host (MinIO answers these). */
export function sendS3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const xml = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    'utf8',
  );
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': String(xml.length) });
  res.end(xml);
}

/**
 * A failure as the server flavour gives it: the `{"error"}` envelope (Sylabs), or the Registry Server's empty body
 * with only the status (registry-api.md §1.5: most of its library failures carry no body).
 */
export function fail(ex: Exchange, status: number, message: string): void {
  if (ex.ctx.settings.flavour === 'registry-server') sendEmpty(ex.res, status);
  else sendError(ex.res, status, message);
}
