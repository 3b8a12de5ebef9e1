// The backend as the host uses it: registered in a Session, driven by the core's pull/push/search/delete ops,
// against the fake registry. Catches contract mismatches that unit tests of either side would miss.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { startRegistryServer } from '@sregistry/testkit';
import * as backendModule from '../src/backend';
import { core } from './helpers';
import { TOKEN, USER } from './server-helpers';

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return () => text;
}

test('pull, push, search and delete through the core with the registry backend', async (t) => {
  const server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [
      {
        name: 'dinosaur',
        private: true,
        owners: [USER],
        containers: [{ name: 'secret', tag: 'latest', file: Buffer.from('secret bytes\n') }],
      },
    ],
  });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-registry-host-'));
  t.after(async () => {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  });
  fs.writeFileSync(path.join(home, '.sregistry'), JSON.stringify({ registry: { token: TOKEN, username: USER, base: server.url } }));
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const session = new core.Session({
    env: { HOME: home, SREGISTRY_CLIENT: 'registry' },
    output: new core.Output({ level: 5, json: false, quiet: false, stdout, stderr }),
    backends: new core.BackendRegistry().register('registry', backendModule),
  });
  t.after(() => session.close());

  const pulled = await core.pullImage(session, { uri: 'dinosaur/secret' });
  assert.equal(fs.readFileSync(pulled.path, 'utf8'), 'secret bytes\n');
  assert.match(pulled.uri, /^dinosaur\/secret:latest@[0-9a-f]{64}$/);

  const file = path.join(home, 'tacos.sif');
  fs.writeFileSync(file, 'pushed bytes\n');
  const pushed = await core.pushImage(session, { file, name: 'vanessa/tacos', tag: 'v1' });
  assert.equal(pushed.message, 'Upload Complete');

  const found = await core.searchRemote(session, ['vanessa/tacos']);
  assert.deepEqual(
    found[0]!.rows.map((r) => r.slice(0, 2)),
    [['vanessa/tacos', 'v1']],
  );

  const deleted = await core.deleteRemote(session, 'vanessa/tacos:v1');
  assert.equal(deleted.status, 204);

  const text = out() + err();
  assert.match(text, /\[client\|registry\]/);
  assert.ok(text.includes(`[registry|${server.url}]`), 'debug lines are on, so the checks below mean something');
  assert.ok(!text.includes(TOKEN), 'the token never reaches the output');
  assert.ok(!/SREGISTRY-HMAC-SHA256 Credential/.test(text), 'no Authorization value in the output');
});
