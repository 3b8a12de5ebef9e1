// Reading an answer body the way registries actually send it: JSON of any shape (including the bare numbers
// `400`/`429` that sregistry returns with HTTP 200, and `{}`), or an HTML error page that is kept as text.
import type { AxiosResponse } from 'axios';
import { printable } from '../output/untrusted';
import { plainHeaders } from './http-client';
import type { JsonResponse } from './types';

const TEXT_LIMIT = 64 * 1024;

/** Parses `body` as JSON when it is JSON; otherwise isJson is false and data undefined. */
export function parseBody<T>(body: Buffer | string): { data: T | undefined; text: string; isJson: boolean } {
  let text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trim();
  let data: T | undefined;
  let isJson = false;
  // Only a body that starts like JSON is tried, so an HTML page is never mistaken for something else.
  if (trimmed && /^[[{"\d-]|^(true|false|null)$/.test(trimmed)) {
    try {
      data = JSON.parse(trimmed) as T;
      isJson = true;
    } catch {
      data = undefined;
    }
  }
  return { data, text: text.length > TEXT_LIMIT ? text.slice(0, TEXT_LIMIT) : text, isJson };
}

/** The JsonResponse for an axios answer whose body was read as bytes. */
export function toJsonResponse<T>(response: AxiosResponse): JsonResponse<T> {
  const raw = response.data as unknown;
  const body = Buffer.isBuffer(raw) ? raw : raw instanceof ArrayBuffer ? Buffer.from(raw) : typeof raw === 'string' ? raw : '';
  return { status: response.status, statusText: response.statusText ?? '', headers: plainHeaders(response), ...parseBody<T>(body) };
}

/** What a debug line shows of an error answer's body: the server's own words, redacted, escaped and capped. */
const DEBUG_BODY_MAX = 300;

/**
 * ` body: <text>` for the `<-` debug line of an answer that is an error (4xx/5xx) with a body, else ''. A
 * success's body is the backend's to show (it may be large, or an image); an error's is often all the server says.
 */
export function errorBodyForDebug(status: number, body: unknown): string {
  if (status < 400) return '';
  const raw = Buffer.isBuffer(body) ? body.toString('utf8') : body instanceof ArrayBuffer ? Buffer.from(body).toString('utf8') : body;
  if (typeof raw !== 'string' || raw.trim() === '') return '';
  return ` body: ${printable(raw.trim(), { max: DEBUG_BODY_MAX })}`;
}
