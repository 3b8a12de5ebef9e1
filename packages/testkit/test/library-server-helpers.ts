// Shared by the library-server tests: plain fetch calls against the server, no client code.
import { createHash } from 'node:crypto';

export const alice = { token: 'alice-token-0123456789abcdef', owner: 'alice' };
export const bob = { token: 'bob-token-0123456789abcdef', owner: 'bob' };

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the answers' fields directly and assert on them
  json: any;
  text: string;
}

export async function call(
  base: string,
  path: string,
  o: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.Authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method: o.method ?? (o.body === undefined ? 'GET' : 'POST'),
    headers,
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    redirect: 'manual',
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deterministic bytes that differ per label. */
export function bytes(size: number, label: string): Buffer {
  const out = Buffer.alloc(size);
  let seed = createHash('sha256').update(label).digest();
  for (let at = 0; at < size; at += seed.length) {
    seed.copy(out, at);
    seed = createHash('sha256').update(seed).digest();
  }
  return out;
}

/** Entity → collection → container → image for `data`, as a push creates them; returns the ids. */
export async function createImage(
  base: string,
  token: string,
  o: { entity: string; collection: string; container: string; data: Buffer; arch?: string; private?: boolean },
) {
  let entity = await call(base, `/v1/entities/${o.entity}`, { token });
  if (entity.status === 404) entity = await call(base, '/v1/entities', { token, body: { name: o.entity } });
  if (entity.status !== 200) throw new Error(`entity: ${entity.status} ${entity.text}`);
  let collection = await call(base, `/v1/collections/${o.entity}/${o.collection}`, { token });
  if (collection.status === 404)
    collection = await call(base, '/v1/collections', {
      token,
      body: { entity: entity.json.data.id, name: o.collection, private: o.private },
    });
  if (collection.status !== 200) throw new Error(`collection: ${collection.status} ${collection.text}`);
  let container = await call(base, `/v1/containers/${o.entity}/${o.collection}/${o.container}`, { token });
  if (container.status === 404)
    container = await call(base, '/v1/containers', { token, body: { collection: collection.json.data.id, name: o.container } });
  if (container.status !== 200) throw new Error(`container: ${container.status} ${container.text}`);
  const hash = `sha256.${sha256(o.data)}`;
  const image = await call(base, '/v1/images', {
    token,
    body: { container: container.json.data.id, hash, arch: o.arch ?? 'amd64', size: o.data.length },
  });
  if (image.status !== 200) throw new Error(`image: ${image.status} ${image.text}`);
  return { containerId: container.json.data.id as string, imageId: image.json.data.id as string, hash };
}
