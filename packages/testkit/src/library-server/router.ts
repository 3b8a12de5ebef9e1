// URL table of the Library API host. Features newer than the configured apiVersion answer like the routes do
// not exist (Django's HTML 404), so a client's version gate can be tested: v2 uploads from 2.0.0-alpha.1, arch
// tags from 2.0.0-alpha.2 (hub-sif-library.md C.1).
import semver from 'semver';
import type { Exchange } from './context';
import { notFoundHtml, sendJson } from './respond';
import * as create from './routes/create';
import { deleteImage } from './routes/delete';
import { downloadImage } from './routes/download';
import * as read from './routes/read';
import * as rs from './routes/registry-server';
import { search } from './routes/search';
import { setTag } from './routes/tags';
import { tokenStatus } from './routes/token-status';
import * as upload from './routes/upload';

type Handler = (ex: Exchange, m: RegExpExecArray) => void | Promise<void>;

interface Route {
  pattern: RegExp;
  /** Minimum apiVersion for the route to exist. */
  since?: string;
  methods: Record<string, Handler>;
}

const V2_UPLOAD = '2.0.0-alpha.1';
const V2_TAGS = '2.0.0-alpha.2';
const NAME = '([a-z0-9][a-z0-9._-]*)';
const ID = '([0-9a-zA-Z-]+)';

const routes: Route[] = [
  { pattern: /^\/version\/?$/, methods: { GET: (ex) => read.version(ex) } },
  { pattern: /^\/v1\/entities\/?$/, methods: { POST: (ex) => create.createEntity(ex) } },
  {
    pattern: new RegExp(`^/v1/entities/${NAME}/?$`),
    methods: { GET: (ex, m) => (rs.isRegistryServer(ex) ? rs.getEntity : read.getEntity)(ex, m[1] as string) },
  },
  { pattern: /^\/v1\/collections\/?$/, methods: { POST: (ex) => create.createCollection(ex) } },
  {
    pattern: new RegExp(`^/v1/collections/${NAME}/${NAME}/?$`),
    methods: { GET: (ex, m) => (rs.isRegistryServer(ex) ? rs.getCollection : read.getCollection)(ex, m[1] as string, m[2] as string) },
  },
  {
    pattern: /^\/v1\/containers\/?$/,
    methods: { POST: (ex) => (rs.isRegistryServer(ex) ? rs.notAllowed(ex) : create.createContainer(ex)) },
  },
  {
    pattern: new RegExp(`^/v1/containers/${NAME}/${NAME}/${NAME}/?$`),
    methods: {
      GET: (ex, m) => (rs.isRegistryServer(ex) ? rs.getContainer : read.getContainer)(ex, m[1] as string, m[2] as string, m[3] as string),
    },
  },
  { pattern: /^\/v1\/images\/?$/, methods: { POST: (ex) => (rs.isRegistryServer(ex) ? rs.notAllowed(ex) : create.createImage(ex)) } },
  {
    pattern: /^\/v1\/images\/(.+?)\/?$/,
    methods: {
      GET: (ex, m) => (rs.isRegistryServer(ex) ? rs.getImage : read.getImage)(ex, m[1] as string),
      DELETE: (ex, m) => deleteImage(ex, m[1] as string),
    },
  },
  {
    pattern: new RegExp(`^/v1/tags/${ID}/?$`),
    methods: { GET: (ex, m) => read.getTags(ex, m[1] as string, false), POST: (ex, m) => setTag(ex, m[1] as string, false) },
  },
  {
    pattern: new RegExp(`^/v2/tags/${ID}/?$`),
    since: V2_TAGS,
    methods: { GET: (ex, m) => read.getTags(ex, m[1] as string, true), POST: (ex, m) => setTag(ex, m[1] as string, true) },
  },
  { pattern: new RegExp(`^/v1/imagefile/${ID}/?$`), methods: { POST: (ex, m) => upload.uploadV1(ex, m[1] as string) } },
  { pattern: /^\/v1\/imagefile\/(.+?)\/?$/, methods: { GET: (ex, m) => downloadImage(ex, m[1] as string) } },
  {
    pattern: new RegExp(`^/v2/imagefile/${ID}/?$`),
    since: V2_UPLOAD,
    methods: { POST: (ex, m) => upload.requestUpload(ex, m[1] as string) },
  },
  {
    pattern: new RegExp(`^/v2/imagefile/${ID}/_multipart/?$`),
    since: V2_UPLOAD,
    methods: { POST: (ex, m) => upload.startMultipart(ex, m[1] as string), PUT: (ex, m) => upload.presignPart(ex, m[1] as string) },
  },
  {
    pattern: new RegExp(`^/v2/imagefile/${ID}/_multipart_complete/?$`),
    since: V2_UPLOAD,
    methods: { PUT: (ex, m) => upload.completeMultipart(ex, m[1] as string) },
  },
  {
    pattern: new RegExp(`^/v2/imagefile/${ID}/_multipart_abort/?$`),
    since: V2_UPLOAD,
    methods: { PUT: (ex, m) => upload.abortMultipart(ex, m[1] as string) },
  },
  {
    pattern: new RegExp(`^/v2/imagefile/${ID}/_complete/?$`),
    since: V2_UPLOAD,
    methods: { PUT: (ex, m) => upload.completeUpload(ex, m[1] as string) },
  },
  { pattern: /^\/v1\/search\/?$/, methods: { GET: (ex) => search(ex) } },
  { pattern: /^\/v1\/token-status\/?$/, methods: { GET: (ex) => tokenStatus(ex) } },
];

function supports(apiVersion: string, since: string): boolean {
  const v = semver.valid(apiVersion) ?? semver.coerce(apiVersion)?.version;
  return typeof v === 'string' && semver.gte(v, since);
}

export async function dispatch(ex: Exchange): Promise<void> {
  const allowed: string[] = [];
  for (const route of routes) {
    const m = route.pattern.exec(ex.path);
    if (!m) continue;
    if (route.since && !supports(ex.ctx.settings.apiVersion, route.since)) continue;
    const method = ex.method === 'HEAD' && route.methods.GET ? 'GET' : ex.method;
    const handler = route.methods[method];
    if (handler) return handler(ex, m);
    allowed.push(...Object.keys(route.methods));
  }
  if (allowed.length > 0)
    return sendJson(ex.res, 405, { error: { code: 405, message: `Method ${ex.method} not allowed` } }, { Allow: allowed.join(', ') });
  notFoundHtml(ex.res);
}
