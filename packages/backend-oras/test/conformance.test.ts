// The oras backend against the backend conformance suite, on a real Distribution registry with htpasswd auth:
// the image is written by hand in Apptainer's layout, the login comes from a Docker config (DOCKER_CONFIG).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as core from '@sregistry/core';
import { distributionAvailable, runBackendConformance, sampleSif, startDistribution } from '@sregistry/testkit';
import * as orasModule from '../src/backend';
import { PASSWORD, pushByHand, sha256Hex, USER, USERS, writeLogin } from './helpers';

const available = distributionAvailable();
if (!available.ok) test('backend conformance: oras', { skip: available.reason }, () => {});
else {
  runBackendConformance({
    name: 'oras',
    module: orasModule,
    core,
    badNames: ['oras://127.0.0.1:5000/a/b@sha256:short', 'oras://127.0.0.1:5000/a/b@md5:0123'],
    async start() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oras-conformance-'));
      const registry = await startDistribution({ auth: 'htpasswd', users: USERS });
      const file = path.join(dir, 'hello.sif');
      await sampleSif(file);
      await pushByHand(registry, 'conformance/hello', 'latest', file);
      writeLogin(path.join(dir, 'docker', 'config.json'), registry.host, USER, PASSWORD);
      const bytes = fs.readFileSync(file);
      return {
        image: {
          uri: `oras://${registry.host}/conformance/hello:latest`,
          sha256: sha256Hex(bytes),
          size: bytes.length,
          version: sha256Hex(bytes),
        },
        missing: `oras://${registry.host}/conformance/hello:nope`,
        env: { SREGISTRY_ORAS_NOHTTPS: 'true', DOCKER_CONFIG: path.join(dir, 'docker') },
        secretValues: [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')],
        async stop() {
          await registry.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  });
}
