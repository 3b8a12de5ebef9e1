// The hub backend against the backend conformance suite (testkit), on a fake Singularity Hub archive holding one
// build; the Hub states the version (the image's md5), so the suite checks the record carries it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '@sregistry/core';
import { runBackendConformance, startHubServer } from '@sregistry/testkit';
import * as hubModule from '../src/backend';

const IMAGE = Buffer.from('hub conformance image bytes\n'.repeat(1000));

runBackendConformance({
  name: 'hub',
  module: hubModule,
  core,
  async start() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-conformance-'));
    const file = path.join(dir, 'hello.sif');
    fs.writeFileSync(file, IMAGE);
    const hub = await startHubServer({ images: [{ user: 'vsoch', repo: 'hello', tag: 'latest', file }] });
    return {
      image: {
        uri: 'shub://vsoch/hello:latest',
        sha256: createHash('sha256').update(IMAGE).digest('hex'),
        size: IMAGE.length,
        version: createHash('md5').update(IMAGE).digest('hex'),
      },
      missing: 'shub://vsoch/no-such-repo:latest',
      env: { SREGISTRY_HUB_BASE: hub.origin },
      async stop() {
        await hub.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
