// Writing answers the way the real stack does: DRF's compact JSON, Django JsonResponse's spaced JSON, Django's
// plain HTML error pages, and nginx pages. Every JSON answer passes the htmlInsteadOfJson fault.
import type { Exchange } from './exchange';

const HTML = 'text/html; charset=utf-8';

/** Python's json.dumps with its default separators and ensure_ascii (what Django's JsonResponse sends). */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`)
      .join(', ')}}`;
  }
  return (JSON.stringify(value) ?? 'null').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface JsonOptions {
  /** 'drf' (default): compact, from a DRF view. 'django': JsonResponse's `{"a": 1}`. */
  style?: 'drf' | 'django';
  headers?: Record<string, string>;
}

export function sendJson(ex: Exchange, status: number, body: unknown, opts: JsonOptions = {}) {
  if (ex.ctx.faults.current.htmlInsteadOfJson) {
    return sendHtml(ex, 200, '<!doctype html>\n<html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>\n');
  }
  const text = ex.ctx.faults.jsonText(body, opts.style === 'django' ? pythonJson : (value) => JSON.stringify(value));
  if (ex.browsable)
    return sendHtml(ex, status, page('Django REST framework', `<pre class="prettyprint">${escapeHtml(text)}</pre>`), opts.headers);
  sendText(ex, status, 'application/json', text, opts.headers);
}

/** The status line and headers, with the reasonPhrase fault's reason when one is set. */
export function writeHead(ex: Exchange, status: number, headers: Record<string, string>): void {
  const reason = ex.ctx.faults.current.reasonPhrase;
  if (reason === undefined) ex.res.writeHead(status, headers);
  else ex.res.writeHead(status, reason, headers);
}

export function sendHtml(ex: Exchange, status: number, html: string, headers?: Record<string, string>): void {
  sendText(ex, status, HTML, html, headers);
}

function sendText(ex: Exchange, status: number, type: string, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(text, 'utf8');
  writeHead(ex, status, { 'Content-Type': type, 'Content-Length': String(body.length), ...headers });
  const drip = ex.ctx.faults.current.dripAnswers;
  if (drip) return void dripBody(ex, body, drip);
  ex.res.end(body);
}

/** The body one byte at a time, `perSecond` bytes a second, until done or the client goes away. */
async function dripBody(ex: Exchange, body: Buffer, perSecond: number): Promise<void> {
  for (let at = 0; at < body.length; at++) {
    if (ex.res.destroyed) return;
    ex.res.write(body.subarray(at, at + 1));
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.round(1000 / perSecond))));
  }
  ex.res.end();
}

export function sendEmpty(ex: Exchange, status: number, headers: Record<string, string> = {}): void {
  writeHead(ex, status, status === 204 || status === 304 ? headers : { 'Content-Length': '0', ...headers });
  ex.res.end();
}

export function redirect(ex: Exchange, status: 301 | 302, location: string): void {
  sendEmpty(ex, status, { Location: location, 'Content-Type': HTML });
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en">\n<head>\n  <title>${title}</title>\n</head>\n<body>\n  ${body}\n</body>\n</html>\n`;
}

/** Django's 404 page (unknown route, wrong download secret). */
export function notFoundHtml(ex: Exchange): void {
  sendHtml(ex, 404, page('Not Found', '<h1>Not Found</h1><p>The requested resource was not found on this server.</p>'));
}

/** Django's 500 page: what a client gets for every push failure and for the parser crashes. */
export function serverErrorHtml(ex: Exchange): void {
  sendHtml(ex, 500, page('Server Error (500)', '<h1>Server Error (500)</h1><p></p>'));
}

const NGINX_REASONS: Record<number, string> = {
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
};

/** nginx's own error page: the upload module's 415, or a proxy 502/503 in front of the app. */
export function nginxError(ex: Exchange, status: number): void {
  const title = `${status} ${NGINX_REASONS[status] ?? 'Error'}`;
  sendHtml(
    ex,
    status,
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  );
}
