// Repository and tag names in a search are the registry's text: a registry that lists names with terminal
// escapes, bidi overrides or hundreds of characters gets them escaped and capped (host.printable, 256
// characters, as the library backend's search) in the table and in --json rows and items. No real registry
// stores such names (Distribution refuses them), so a tiny server plays one.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { DistributionHandle } from '@sregistry/testkit';
import { type OrasHome, orasHome } from './helpers';

const EVIL = 'evil/\u001b[31mRED\u001b[0m\u202e';
const LONG = 'x'.repeat(500);
const EVIL_TAG = '\u001b]0;owned\u0007\u001b[31mRED\u001b[0m\u202eexe.txt';
const LONG_TAG = 't'.repeat(300);
/** A raw control (but the newline between lines), bidi or line-separator character: what must never reach the output. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function startHostile(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (body: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/v2/_catalog') return send({ repositories: [EVIL, LONG, 'good/repo'] });
    if (url.pathname === '/v2/good/repo/tags/list') return send({ name: 'good/repo', tags: ['v1', EVIL_TAG, LONG_TAG] });
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('oras search of a hostile registry', () => {
  let server: http.Server;
  let host: string;
  let e: OrasHome;

  before(async () => {
    server = await startHostile();
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    e = await orasHome({ host } as DistributionHandle, { login: false });
  });
  after(async () => {
    e?.cleanup();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  test('the table shows repository and tag names escaped and capped at 256 characters (above the longest valid name)', async () => {
    for (const query of [`oras://${host}/`, `oras://${host}/good/repo`]) {
      const r = await e.run(['search', query]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, RAW, 'no raw control or bidi character');
      for (const line of r.stdout.split('\n')) assert.ok(line.length <= 300, `${line.length} characters: ${line.slice(0, 60)}…`);
    }
    const repos = await e.run(['search', `oras://${host}/`]);
    assert.match(repos.stdout, /evil\/\\u001b\[31mRED\\u001b\[0m\\u202e\n/);
    assert.match(repos.stdout, new RegExp(`${'x'.repeat(256)}… \\(244 more characters\\)\\n`));
    const tags = await e.run(['search', `oras://${host}/good/repo`]);
    assert.match(tags.stdout, /good\/repo:\\u001b\]0;owned\\u0007\\u001b\[31mRED\\u001b\[0m\\u202eexe\.txt\n/);
    assert.match(tags.stdout, /good\/repo:v1\n/);
  });

  test('--json rows and items carry the same escaped, capped text', async () => {
    const repos = await e.run(['search', '--json', `oras://${host}/`]);
    assert.equal(repos.code, 0, repos.stderr);
    const [listed] = JSON.parse(repos.stdout) as { rows: string[][]; items: { repository: string }[] }[];
    assert.deepEqual(
      listed.items.map((i) => i.repository),
      ['evil/\\u001b[31mRED\\u001b[0m\\u202e', `${'x'.repeat(256)}… (244 more characters)`, 'good/repo'],
    );
    assert.deepEqual(
      listed.rows,
      listed.items.map((i) => [i.repository]),
    );
    const tags = await e.run(['search', '--json', `oras://${host}/good/repo`]);
    assert.equal(tags.code, 0, tags.stderr);
    const [tagged] = JSON.parse(tags.stdout) as { rows: string[][]; items: { tag: string }[] }[];
    assert.deepEqual(
      tagged.items.map((i) => i.tag),
      ['v1', '\\u001b]0;owned\\u0007\\u001b[31mRED\\u001b[0m\\u202eexe.txt', `${'t'.repeat(256)}… (44 more characters)`],
    );
    for (const value of [...tagged.rows.flat(), ...listed.rows.flat()]) assert.doesNotMatch(value, RAW);
  });
});
