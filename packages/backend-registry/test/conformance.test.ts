// The registry backend against the backend conformance suite (testkit), on a fake Singularity Registry Server
// holding one public image; the credentials are real so the suite can check that no token reaches any output.
import { createHash } from 'node:crypto';
import * as core from '@sregistry/core';
import { runBackendConformance, startRegistryServer } from '@sregistry/testkit';
import * as registryModule from '../src/backend';

const USER = 'dinosaur';
const TOKEN = 'conformance-token'.padEnd(40, '7');
const IMAGE = Buffer.from('registry conformance image bytes\n'.repeat(1000));

runBackendConformance({
  name: 'registry',
  module: registryModule,
  core,
  async start() {
    const server = await startRegistryServer({
      users: [{ username: USER, token: TOKEN }],
      seed: [{ name: 'vanessa', owners: [USER], containers: [{ name: 'tacos', tag: 'latest', file: IMAGE }] }],
    });
    return {
      image: { uri: 'registry://vanessa/tacos:latest', sha256: createHash('sha256').update(IMAGE).digest('hex'), size: IMAGE.length },
      missing: 'registry://vanessa/no-such-image:latest',
      env: { SREGISTRY_REGISTRY_BASE: server.url },
      secrets: { registry: { username: USER, token: TOKEN } },
      stop: () => server.close(),
    };
  },
});
