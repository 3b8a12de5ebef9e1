// URL table of the fake server, in the order the real URL patterns are tried. DRF views get DRF's prelude
// (Token auth, anon throttle, negotiation, JSON 405); the Django and nginx routes do not.
import { drfPrelude, wantsBrowsableApi } from './drf';
import type { Exchange } from './exchange';
import { notFoundHtml, redirect, sendHtml, sendJson, serverErrorHtml } from './respond';
import { deleteContainer, getContainer, parseContainerRef } from './routes/container';
import { download, recipe } from './routes/download';
import { chunkedUpload } from './routes/push';
import * as read from './routes/read';
import { obtainToken } from './routes/token';
import { nginxUpload } from './routes/upload';

interface Route {
  pattern: RegExp;
  /** DRF view: only these methods (HEAD follows GET), 405 JSON otherwise. Omitted: any method reaches run(). */
  drf?: { methods: string[]; throttle?: boolean };
  run(ex: Exchange, m: RegExpExecArray): void | Promise<void>;
}

const GET = { methods: ['GET'] };

const routes: Route[] = [
  {
    pattern: /^\/api\/?$/,
    run: (ex) =>
      sendHtml(ex, 200, '<!doctype html><html><head><title>Swagger UI</title></head><body><div id="swagger-ui"></div></body></html>\n'),
  },
  { pattern: /^\/api\/collections\/$/, drf: GET, run: (ex) => read.listCollections(ex) },
  { pattern: /^\/api\/collections\/(\d+)\/$/, drf: GET, run: (ex, m) => read.getCollectionById(ex, m[1]) },
  { pattern: /^\/api\/containers\/$/, drf: GET, run: (ex) => read.listContainers(ex) },
  { pattern: /^\/api\/containers\/(\d+)\/$/, drf: GET, run: (ex, m) => read.getContainerById(ex, m[1]) },
  // Django's APPEND_SLASH for the router URLs.
  {
    pattern: /^\/api\/(collections|containers)(\/\d+)?$/,
    run: (ex) => redirect(ex, 301, `${ex.path}/${ex.req.url?.includes('?') ? `?${ex.query}` : ''}`),
  },
  { pattern: /^\/api\/collection\/search\/(.+?)\/?$/, drf: GET, run: (ex) => read.searchCollections(ex) },
  { pattern: /^\/api\/collection\/(.+?)\/?$/, drf: GET, run: (ex, m) => read.getCollectionByName(ex, m[1]) },
  {
    pattern: /^\/api\/container\/search\/collection\/([^/]+)\/name\/([^/]+)\/tag\/([^/]+)\/?$/,
    drf: GET,
    run: (ex, m) => read.searchContainers(ex, { collection: m[1], name: m[2], tag: m[3] }),
  },
  {
    pattern: /^\/api\/container\/search\/collection\/([^/]+)\/name\/([^/]+)\/?$/,
    drf: GET,
    run: (ex, m) => read.searchContainers(ex, { collection: m[1], name: m[2] }),
  },
  {
    pattern: /^\/api\/container\/search\/name\/([^/]+)\/tag\/([^/]+)\/?$/,
    drf: GET,
    run: (ex, m) => read.searchContainers(ex, { name: m[1], tag: m[2] }),
  },
  { pattern: /^\/api\/container\/search\/name\/([^/]+)\/?$/, drf: GET, run: (ex, m) => read.searchContainers(ex, { name: m[1] }) },
  {
    pattern: /^\/api\/container\/(.+)$/,
    drf: { methods: ['GET', 'DELETE'] },
    run: (ex, m) => {
      const ref = parseContainerRef(m[1]);
      if (!ref) return notFoundHtml(ex);
      return ex.method === 'DELETE' ? deleteContainer(ex, ref) : getContainer(ex, ref);
    },
  },
  { pattern: /^\/api\/labels\/search\/?$/, drf: GET, run: (ex) => read.searchLabels(ex, {}) },
  {
    pattern: /^\/api\/labels\/search\/([^/]+)\/key\/([^/]+)\/value\/?$/,
    drf: GET,
    run: (ex, m) => read.searchLabels(ex, { key: m[1], value: m[2] }),
  },
  { pattern: /^\/api\/labels\/search\/([^/]+)\/key\/?$/, drf: GET, run: (ex, m) => read.searchLabels(ex, { key: m[1] }) },
  { pattern: /^\/api\/labels\/search\/([^/]+)\/value\/?$/, drf: GET, run: (ex, m) => read.searchLabels(ex, { value: m[1] }) },
  { pattern: /^\/api\/registry\/identity\/?$/, drf: GET, run: (ex) => read.identity(ex) },
  // ObtainAuthToken sets no throttle classes.
  { pattern: /^\/api\/api-token-auth\/?$/, drf: { methods: ['POST'], throttle: false }, run: (ex) => obtainToken(ex) },
  { pattern: /^\/api\/upload\/chunked_upload\/?$/, run: (ex) => chunkedUpload(ex) },
  // Only nginx posts here (with file1.path etc.); a GET is redirected, anything else lacks the nginx fields.
  {
    pattern: /^\/api\/uploads\/complete\/?$/,
    run: (ex) => (ex.method === 'GET' ? redirect(ex, 302, '/collections') : serverErrorHtml(ex)),
  },
  // nginx's `location /upload` prefix: the upload module answers everything below it.
  { pattern: /^\/upload(\/.*)?$/, run: (ex) => nginxUpload(ex) },
  { pattern: /^\/containers\/(\d+)\/download\/recipe\/?$/, run: (ex, m) => recipe(ex, m[1]) },
  {
    pattern: /^\/containers\/(\d+)\/download\/([^/]+)\/?$/,
    run: (ex, m) => (ex.method === 'GET' || ex.method === 'HEAD' ? download(ex, m[1], m[2]) : notFoundHtml(ex)),
  },
];

export async function dispatch(ex: Exchange): Promise<void> {
  for (const route of routes) {
    const m = route.pattern.exec(ex.path);
    if (!m) continue;
    if (route.drf) {
      ex.browsable = wantsBrowsableApi(ex.req.headers.accept, ex.query.get('format'));
      if (!drfPrelude(ex, route.drf.throttle !== false)) return;
      const allowed =
        route.drf.methods.includes(ex.method) || (ex.method === 'HEAD' && route.drf.methods.includes('GET')) || ex.method === 'OPTIONS';
      if (!allowed) {
        const allow = [...route.drf.methods, ...(route.drf.methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
        return sendJson(ex, 405, { detail: `Method "${ex.method}" not allowed.` }, { headers: { Allow: allow } });
      }
      if (ex.method === 'OPTIONS')
        return sendJson(ex, 200, {
          name: 'Api',
          description: '',
          renders: ['application/json', 'text/html'],
          parses: ['application/json'],
        });
    }
    return route.run(ex, m);
  }
  notFoundHtml(ex);
}
