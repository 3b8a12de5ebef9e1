// Small request-body helpers for the JSON/form endpoints. Uploads never come through here: they stream.
import type { IncomingMessage } from 'node:http';

/** Django's DATA_UPLOAD_MAX_MEMORY_SIZE default: larger non-file bodies are refused. */
export const MAX_MEMORY_BODY = 2_621_440;

export class BodyTooLarge extends Error {}

export async function readSmallBody(req: IncomingMessage, limit = MAX_MEMORY_BODY): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge(`request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Python's `"%s" % value`, which is how the server puts body values into the HMAC payload. */
export function pyStr(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
