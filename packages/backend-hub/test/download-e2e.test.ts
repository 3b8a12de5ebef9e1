// The backend's RemoteImage fed to the core's downloader against the fake archive: checks that what the
// backend promises (url, md5) is what the bytes deliver, and that the server's faults look real to a client.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type HubServer, startHubServer } from '@sregistry/testkit';
import { core, type Harness, harness } from './helpers';

describe('hub RemoteImage + core download', () => {
  let dir: string;
  let hub: HubServer;
  let h: Harness;
  const image = randomBytes(300_000);
  const v = createHash('md5').update(image).digest('hex');

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-hub-e2e-'));
    fs.writeFileSync(path.join(dir, 'img.sif'), image);
    hub = await startHubServer({ images: [{ user: 'vsoch', repo: 'hello', tag: 'latest', file: path.join(dir, 'img.sif') }] });
  });
  after(async () => {
    await hub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    h?.cleanup();
    h = harness({ SREGISTRY_HUB_BASE: hub.origin });
  });

  const pull = async () => {
    const remote = await h.backend.resolve!(h.parse('shub://vsoch/hello'));
    const dest = path.join(dir, `out-${randomBytes(4).toString('hex')}`);
    const result = await core.downloadToFile({ url: remote.url, dest, hashes: ['sha256', 'md5'], backoffMs: 10 });
    return { remote, result, bytes: fs.readFileSync(dest) };
  };

  test('the promised md5 is the md5 of the bytes', async () => {
    const { remote, result, bytes } = await pull();
    assert.equal(remote.md5, v);
    assert.equal(result.md5, remote.md5);
    assert.equal(result.size, image.length);
    assert.ok(bytes.equals(image));
  });

  test('a redirected download lands on the same bytes', async () => {
    hub.behaviour.redirectDownloads = true;
    try {
      const { result } = await pull();
      assert.equal(result.md5, v);
    } finally {
      hub.behaviour.redirectDownloads = false;
    }
  });

  test('corrupt mode: same size, md5 no longer matches the manifest version', async () => {
    hub.behaviour.corrupt = true;
    try {
      const { remote, result } = await pull();
      assert.equal(result.size, image.length);
      assert.notEqual(result.md5, remote.md5);
    } finally {
      hub.behaviour.corrupt = false;
    }
  });

  test('a dropped connection is resumed with Range and ends with the right bytes', async () => {
    hub.behaviour.dropAfterBytes = 100_000;
    hub.behaviour.dropCount = 1;
    hub.clearRequests();
    try {
      const { result } = await pull();
      assert.equal(result.md5, v);
      assert.ok(result.attempts >= 2);
      assert.equal(result.resumed, true);
      const ranged = hub.requests.filter((r) => r.headers.range);
      assert.ok(ranged.length >= 1, 'the retry asked for a range');
    } finally {
      hub.behaviour.dropAfterBytes = undefined;
      hub.behaviour.dropCount = undefined;
    }
  });
});
