// Reading an answer body the way registries actually send it: JSON of any shape (including the bare numbers
// `400`/`429` that sregistry returns with HTTP 200, and `{}`), or an HTML error page that is kept as text.
import type { AxiosResponse } from 'axios';
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
