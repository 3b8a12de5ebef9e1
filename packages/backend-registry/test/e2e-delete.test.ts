// `sregistry delete` (plugin command) through the real CLI: --force deletes on the server; without it the
// command asks on stdin, cancels on `n`, and refuses (exit 1) when there is nobody to ask.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RegistryServerHandle } from '@sregistry/testkit';
import { announceLine, assertOneLineError, type E2eHome, serverContainer, useE2eRegistry } from './e2e-helpers';

let server: RegistryServerHandle;
let e: E2eHome;

useE2eRegistry((started, home) => {
  server = started;
  e = home;
});

const deletes = () => server.requests.filter((q) => q.method === 'DELETE');

test('without --force and without a terminal: refuses, exit 1, nothing deleted', async () => {
  const r = await e.run(['delete', 'vanessa/tacos:latest']);
  assert.equal(r.code, 1);
  const errors = r.stderr.split('\n').filter((l) => l.includes('ERROR'));
  assert.equal(errors.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /Are you sure/, 'no question that nobody can answer: the refusal is the only line');
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(errors[0], /refusing to delete vanessa\/tacos:latest.*--force/);
  assert.ok(serverContainer(server, 'vanessa/tacos:latest'), 'still on the server');
  assert.equal(deletes().length, 0);
});

test('answering n on stdin cancels: "Delete cancelled.", exit 0, nothing deleted', async () => {
  const r = await e.run(['delete', 'vanessa/tacos:latest'], { input: 'n\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Are you sure you want to remove vanessa\/tacos:latest\?/);
  // the announce line first, as for every remote command, even when the user then cancels (client-spec §2.14)
  assert.equal(r.stdout, `${announceLine(e)}\nDelete cancelled.\n`);
  assert.ok(serverContainer(server, 'vanessa/tacos:latest'));
  assert.equal(deletes().length, 0);
});

test('an unclear answer is asked again; y then deletes', async () => {
  const r = await e.run(['delete', 'vanessa/tacolicious:gobacktosleep'], { input: 'maybe\ny\n' });
  assert.equal(r.code, 0, r.stderr);
  // announced once, before the question, not again when deleting
  assert.deepEqual(r.stdout.trimEnd().split('\n').slice(0, 1), [announceLine(e)]);
  assert.equal(r.stdout.split(announceLine(e)).length, 2, r.stdout);
  assert.match(r.stdout, /^\[delete\] vanessa\/tacolicious:gobacktosleep /m);
  assert.match(r.stderr, /Please answer yes or no/);
  assert.equal(serverContainer(server, 'vanessa/tacolicious:gobacktosleep'), undefined);
});

test('--force deletes on the server with a signed DELETE and reports it', async () => {
  const r = await e.run(['delete', '--force', 'vanessa/tacos:latest']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], announceLine(e));
  assert.match(lines[1], /^\[delete\] vanessa\/tacos:latest /);
  assert.equal(serverContainer(server, 'vanessa/tacos:latest'), undefined);
  const signed = deletes().at(-1);
  assert.match(String(signed?.headers.authorization), /^SREGISTRY-HMAC-SHA256 Credential=delete\//);
});

test('deleting what is not there: one line, exit 1; --json reports a deletion', async () => {
  const missing = await e.run(['delete', '--force', 'vanessa/tacos:latest']);
  assertOneLineError(missing, /vanessa\/tacos:latest/);

  const json = await e.run(['delete', '--force', '--json', 'dinosaur/secret:latest']);
  assert.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.uri, 'dinosaur/secret:latest');
  assert.equal(doc.deleted, true);
  assert.equal(serverContainer(server, 'dinosaur/secret:latest'), undefined);
});
