// DRF LimitOffsetPagination: `?limit=&offset=`, default limit API_PAGE_SIZE, and absolute next/previous URLs
// built from the request's Host header (observed), with the query re-encoded in sorted order as DRF does.
import type { Exchange } from './exchange';

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** DRF's _positive_int: limit must be > 0 (else the default), offset >= 0 (else 0). */
function positiveInt(raw: string | null, strict: boolean): number | undefined {
  if (raw === null || !/^\s*[+-]?\d+\s*$/.test(raw)) return undefined;
  const n = Number.parseInt(raw, 10);
  if (n < 0 || (strict && n === 0)) return undefined;
  return n;
}

function withQuery(ex: Exchange, changes: Record<string, number | null>): string {
  const params = new URLSearchParams(ex.query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) params.delete(k);
    else params.set(k, String(v));
  }
  params.sort();
  const qs = params.toString();
  const host = ex.req.headers.host ?? `127.0.0.1`;
  return `http://${host}${ex.req.url?.split('?')[0] ?? ex.path}${qs ? `?${qs}` : ''}`;
}

export function paginate<T>(ex: Exchange, items: T[]): Page<T> {
  const limit = positiveInt(ex.query.get('limit'), true) ?? ex.ctx.settings.pageSize;
  const offset = positiveInt(ex.query.get('offset'), false) ?? 0;
  const count = items.length;
  const next = offset + limit < count ? withQuery(ex, { limit, offset: offset + limit }) : null;
  let previous: string | null = null;
  if (offset > 0)
    previous = offset - limit <= 0 ? withQuery(ex, { limit, offset: null }) : withQuery(ex, { limit, offset: offset - limit });
  return { count, next, previous, results: items.slice(offset, offset + limit) };
}
