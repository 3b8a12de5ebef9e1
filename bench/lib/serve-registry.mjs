// The testkit's fake Singularity Registry Server in its own process (so the benchmark driver's timers and the
// server's event loop do not share a thread), seeded with the benchmark files as bench/img<N>:latest.
// argv: <dataDir> <token> <name=file>...   Prints one JSON line {url, username, token} when listening.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { startRegistryServer } = require(path.resolve(import.meta.dirname, '../../packages/testkit/dist/index.js'));

const [dataDir, token, ...images] = process.argv.slice(2);
const username = 'bench';
const unlimited = 1_000_000_000;
const server = await startRegistryServer({
  dataDir,
  users: [{ username, token }],
  containerGetLimit: unlimited,
  collectionGetLimit: unlimited,
  seed: [
    {
      name: 'bench',
      owners: [username],
      containers: images.map((spec) => {
        const [name, file] = spec.split('=');
        return { name, tag: 'latest', file };
      }),
    },
  ],
});
process.stdout.write(`${JSON.stringify({ url: server.url, username, token })}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
