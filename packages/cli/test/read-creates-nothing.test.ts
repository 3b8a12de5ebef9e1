// Reading the catalogue creates nothing in storage: a `<storage>/.tmp` made by whoever reads first would have that
// user's owner and umask (root's 755 on a team storage refuses every other user's writes). The first write makes it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { sampleSif } from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

let cli: ReturnType<typeof cliInTempHome>;
let storage: string;

before(async () => {
  cli = cliInTempHome();
  storage = path.join(cli.home, 'team-storage');
  fs.mkdirSync(storage);
  await sampleSif(path.join(cli.home, 'a.sif'));
});
after(() => cli?.cleanup());

test('images, get and inspect leave storage as it was; add makes .tmp', async () => {
  const env = { SREGISTRY_STORAGE: storage };
  for (const args of [['images'], ['images', '--json'], ['get', 'lab/a:v1'], ['inspect', 'lab/a:v1']]) {
    await cli.run(args, { env });
    assert.deepEqual(fs.readdirSync(storage), [], `${args.join(' ')} created something in storage`);
  }
  const add = await cli.run(['add', '--copy', 'a.sif', '--name', 'lab/a:v1'], { env });
  assert.equal(add.code, 0, add.stderr);
  assert.ok(fs.existsSync(path.join(storage, '.tmp')));
  // once there, reads sweep and keep the marker as before
  const r = await cli.run(['images'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /lab\/a:v1@/);
});
