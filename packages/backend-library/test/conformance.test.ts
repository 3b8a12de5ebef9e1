// The library backend against the backend conformance suite, on the testkit Library API server (303 to its
// object host, ranged parts), a private collection read with the token.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as core from '../../core/src/index';
import { runBackendConformance, sampleSif, startLibraryServer } from '../../testkit/src/index';
import * as libraryModule from '../src/backend';
import { sha256Hex, TOKEN, USER } from './helpers';

runBackendConformance({
  name: 'library',
  module: libraryModule,
  core,
  async start() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'library-conformance-'));
    const file = path.join(dir, 'hello.sif');
    await sampleSif(file);
    const server = await startLibraryServer({
      tokens: [{ token: TOKEN, owner: USER }],
      images: [{ ref: `${USER}/tools/hello:latest`, file, private: true }],
    });
    const bytes = fs.readFileSync(file);
    return {
      image: {
        uri: `library://${USER}/tools/hello:latest`,
        sha256: sha256Hex(bytes),
        size: bytes.length,
        version: `sha256.${sha256Hex(bytes)}`,
        stored: { collection: `${USER}/tools`, image: 'hello', tag: 'latest' },
      },
      missing: `library://${USER}/tools/hello:nope`,
      env: { SREGISTRY_LIBRARY_BASE: server.url, SREGISTRY_LIBRARY_TOKEN: TOKEN, SREGISTRY_LIBRARY_ARCH: 'amd64' },
      secretValues: [TOKEN],
      async stop() {
        await server.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
