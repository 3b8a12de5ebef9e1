// Collection, container and label names in search and labels are the registry's text: a server that answers with
// terminal escapes, CR/LF, C1 controls or bidi overrides gets them escaped (host.printable, as the oras and
// library backends do) in the table and in --json rows and items alike. The testkit's server normalises names
// as the real one does, so a tiny server plays a hostile one.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type E2eHome, registryHome } from './e2e-helpers';

const EVIL = 'c\u001b[2J\u001b]0;pwn\u0007';
const EVIL_NAME = 'n\r\nERROR forged\u009b31m';
const EVIL_TAG = 'latest\u202etxt.exe';
/** What a raw one would look like after escaping: the same text with `\u001b`-style escapes. */
const ESCAPED = 'c\\u001b[2J\\u001b]0;pwn\\u0007';
const ESCAPED_NAME = 'n\\u000d\\u000aERROR forged\\u009b31m';
const ESCAPED_TAG = 'latest\\u202etxt.exe';
/** A raw control, bidi or line-separator character: what no string of a --json document may hold. */
const RAW = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** The same but the table's own layout (tabs between cells, newlines between rows). */
const RAW_IN_TABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function startHostile(): Promise<http.Server> {
  const collection = {
    id: 1,
    name: EVIL,
    [`extra${EVIL}`]: EVIL,
    containers: [{ id: 7, uri: `${EVIL}/${EVIL_NAME}:${EVIL_TAG}`, detail: `http://x/containers/7${EVIL_NAME}` }],
  };
  const container = { id: 7, collection: EVIL, name: EVIL_NAME, tag: EVIL_TAG, add_date: '2026-01-01', nested: [{ deep: EVIL }] };
  const label = { key: EVIL, value: EVIL_NAME, containers: [`${EVIL}/${EVIL_NAME}:${EVIL_TAG}`] };
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (body: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/api/collections/') return send({ count: 1, next: null, previous: null, results: [collection] });
    if (path.startsWith('/api/collection/')) return send(collection);
    if (path.startsWith('/api/container/search/')) return send([container]);
    if (path.startsWith('/api/labels/search')) return send([label]);
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end('{"detail":"Not found."}');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

type Doc = { heading: string; rows: string[][]; items: unknown[] };

/** Every string in a JSON value, object keys included. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

describe('registry search and labels of a hostile server', () => {
  let server: http.Server;
  let e: E2eHome;

  before(async () => {
    server = await startHostile();
    e = await registryHome({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  after(async () => {
    e?.cleanup();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const queries = [
    ['search', 'registry://'],
    ['search', 'registry://coll/'],
    ['search', 'registry://coll/name'],
    ['labels'],
    ['labels', '-k', 'key'],
  ];

  test('--json rows and items hold no raw control or bidi character, keys included', async () => {
    for (const args of queries) {
      const r = await e.run([...args, '--json']);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      const parsed = JSON.parse(r.stdout) as Doc | Doc[];
      const doc = Array.isArray(parsed) ? parsed[0]! : parsed;
      assert.ok(doc.rows.length > 0 && doc.items.length > 0, args.join(' '));
      // a filtered label search lays its containers out over lines (the original's shape): those newlines are ours
      const inRows = args.includes('-k') ? RAW_IN_TABLE : RAW;
      for (const value of strings(doc.rows)) assert.doesNotMatch(value, inRows, `${args.join(' ')}: ${JSON.stringify(value)}`);
      for (const value of strings(doc.items)) assert.doesNotMatch(value, RAW, `${args.join(' ')}: ${JSON.stringify(value)}`);
    }
  });

  test('the escaped text is the server text with `\\u001b`-style escapes, the same in rows and items', async () => {
    const [all] = JSON.parse((await e.run(['search', 'registry://', '--json'])).stdout) as Doc[];
    assert.deepEqual(all!.rows, [[`${ESCAPED}/${ESCAPED_NAME}:${ESCAPED_TAG}`, `http://x/containers/7${ESCAPED_NAME}`]]);
    const item = all!.items[0] as Record<string, unknown>;
    assert.equal(item.name, ESCAPED);
    assert.equal(item[`extra${ESCAPED}`], ESCAPED);
    const [found] = JSON.parse((await e.run(['search', 'registry://coll/name', '--json'])).stdout) as Doc[];
    assert.deepEqual(found!.rows, [[`${ESCAPED}/${ESCAPED_NAME}`, ESCAPED_TAG]]);
    assert.deepEqual(found!.items, [
      { id: 7, collection: ESCAPED, name: ESCAPED_NAME, tag: ESCAPED_TAG, add_date: '2026-01-01', nested: [{ deep: ESCAPED }] },
    ]);
    const labels = JSON.parse((await e.run(['labels', '--json'])).stdout) as Doc;
    assert.deepEqual(labels.items, [{ key: ESCAPED, value: ESCAPED_NAME, containers: [`${ESCAPED}/${ESCAPED_NAME}:${ESCAPED_TAG}`] }]);
  });

  test('the tables stay escaped too', async () => {
    for (const args of queries) {
      const r = await e.run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stdout, RAW_IN_TABLE, args.join(' '));
      assert.doesNotMatch(r.stdout, /^ERROR forged/m, args.join(' '));
    }
  });
});
