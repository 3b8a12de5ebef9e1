// JSON request bodies of the API endpoints (small; image bytes never come through here).
import type { Exchange } from './context';
import { fail } from './respond';

const LIMIT = 1024 * 1024;

/** The body as a JSON object, recorded on the request; answers 400 and returns null when it is not one. */
export async function jsonBody(ex: Exchange): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ex.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > LIMIT) {
      fail(ex, 413, 'Request body too large');
      return null;
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    fail(ex, 400, 'Request body is not valid JSON');
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(ex, 400, 'Request body must be a JSON object');
    return null;
  }
  ex.record.body = value;
  return value as Record<string, unknown>;
}

export function str(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  return typeof v === 'string' ? v : undefined;
}

export function int(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}
