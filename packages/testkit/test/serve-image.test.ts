import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { serve, UsageError } from '../src/cli/serve';

// `sregistry-testkit serve --image FILE=collection/name:tag`: trying the CLI by hand with your own (or a big) image.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'testkit-serve-image-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('--image serves the file under the name given, beside the demo images; a bad spec is a usage error', async () => {
  const file = path.join(dir, 'mine.sif');
  fs.writeFileSync(file, Buffer.alloc(3 * 1024 * 1024, 7));
  const lines: string[] = [];
  const running = await serve(['--image', `${file}=me/mine:v1`, '--image', `${file}=vanessa/also`], { stdout: (l) => lines.push(l) });
  try {
    const mine = await fetch(`${running.handle.url}/api/container/me/mine:v1`);
    assert.equal(mine.status, 200);
    const manifest = (await mine.json()) as { image: string; collection: string };
    const bytes = Buffer.from(await (await fetch(manifest.image)).arrayBuffer());
    assert.equal(bytes.length, 3 * 1024 * 1024);
    assert.equal((await fetch(`${running.handle.url}/api/container/vanessa/also:latest`)).status, 200, 'merged into the demo collection');
    assert.equal((await fetch(`${running.handle.url}/api/container/vanessa/tacos:latest`)).status, 200, 'the demo images stay');
  } finally {
    await running.stop();
  }
  await assert.rejects(serve(['--image', 'nofile.sif=me/x'], { stdout: () => {} }), UsageError);
  await assert.rejects(serve(['--image', `${file}`], { stdout: () => {} }), UsageError);
});
