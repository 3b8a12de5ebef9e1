// A team catalogue used with a storage folder of one's own: user B's pull (or add) of an image user A catalogued
// would repoint the shared row into B's folder and leave A's file catalogued nowhere. It is refused in one line
// naming A's folder (EOTHERSTORAGE), before any download, and changes nothing; --force catalogues B's copy and
// leaves A's file where it is. The same holds for one SQLite catalogue used with two storage folders.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type PostgresHandle,
  postgresAvailable,
  type RegistryServerHandle,
  sampleSif,
  sharedPostgres,
  startRegistryServer,
} from '@sregistry/testkit';
import { cliInTempHome } from './helpers';

const REGISTRY_PLUGIN = path.resolve(__dirname, '..', '..', 'backend-registry');
const available = postgresAvailable();

for (const kind of ['postgresql', 'sqlite'] as const) {
  describe(`one ${kind} catalogue, two storage folders`, {
    skip: kind === 'postgresql' && !available.ok ? available.reason : false,
  }, () => {
    const cli = cliInTempHome();
    let registry: RegistryServerHandle;
    let pg: PostgresHandle | undefined;
    let env: (user: 'a' | 'b') => Record<string, string>;
    let image: Buffer;
    const storageOf = (user: string) => path.join(cli.home, `storage-${user}`);
    after(async () => {
      await registry?.close();
      cli.cleanup();
    });

    before(async () => {
      const sif = path.join(cli.home, 'seed.sif');
      await sampleSif(sif);
      image = fs.readFileSync(sif);
      registry = await startRegistryServer({ seed: [{ name: 'team', containers: [{ name: 'tool', tag: 'latest', file: image }] }] });
      let database = path.join(cli.home, 'catalogue', 'sregistry.db');
      if (kind === 'postgresql') {
        pg = await sharedPostgres();
        database = await pg.createDatabase();
      } else fs.mkdirSync(path.dirname(database));
      env = (user) => ({
        SREGISTRY_CLIENT: 'registry',
        SREGISTRY_REGISTRY_BASE: registry.url,
        SREGISTRY_DATABASE: database,
        SREGISTRY_STORAGE: storageOf(user),
        ...(pg ? { PGPASSWORD: pg.password } : {}),
      });
      const linked = await cli.run(['plugins', 'link', REGISTRY_PLUGIN, '--no-install']);
      assert.equal(linked.code, 0, linked.stderr);
    });

    const rows = async (user: 'a' | 'b') =>
      JSON.parse((await cli.run(['images', '--json'], { env: env(user) })).stdout) as { uri: string; image: string }[];
    const filesIn = (dir: string) =>
      fs.existsSync(dir)
        ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter(
            (f) => !f.startsWith('.tmp') && fs.statSync(path.join(dir, f)).isFile(),
          )
        : [];

    test('B’s pull and add of what A catalogued are refused, naming A’s folder, and change nothing', async () => {
      const pulled = await cli.run(['pull', 'registry://team/tool:latest', '--json'], { env: env('a') });
      assert.equal(pulled.code, 0, pulled.stderr);
      const aFile = (JSON.parse(pulled.stdout) as { path: string }).path;
      assert.ok(aFile.startsWith(storageOf('a') + path.sep), aFile);
      const before = await rows('a');
      const sha = createHash('sha256').update(image).digest('hex');
      const copy = path.join(cli.home, 'copy.sif');
      fs.writeFileSync(copy, image);
      for (const args of [
        ['pull', 'registry://team/tool:latest'],
        ['add', copy, '--name', 'team/tool:latest'],
      ]) {
        const r = await cli.run(args, { env: env('b') });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.equal(
          r.stderr
            .split('\n')
            .filter((l) => l.startsWith('ERROR'))
            .join('\n'),
          `ERROR team/tool:latest@${sha} is catalogued with its file in another storage folder (${aFile}), not in this command's (${storageOf('b')}); replacing the record would leave that file catalogued nowhere; use the catalogue's storage folder: export SREGISTRY_STORAGE=${storageOf('a')} (a team catalogue needs one shared folder), or pass --force to catalogue this copy instead and keep that file uncatalogued`,
        );
        const json = await cli.run([...args, '--json'], { env: env('b') });
        assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'EOTHERSTORAGE');
      }
      assert.deepEqual(await rows('a'), before, 'the row still points at A’s file');
      assert.deepEqual(fs.readFileSync(aFile), image, 'A’s file is intact');
      assert.deepEqual(filesIn(storageOf('b')), [], 'nothing was stored for B');
      assert.ok(fs.existsSync(copy), 'the file given to add is still there');
    });

    test('with --force B’s copy is catalogued, and A’s file stays where it is', async () => {
      const r = await cli.run(['pull', '--force', 'registry://team/tool:latest', '--json'], { env: env('b') });
      assert.equal(r.code, 0, r.stderr);
      const bFile = (JSON.parse(r.stdout) as { path: string }).path;
      assert.ok(bFile.startsWith(storageOf('b') + path.sep), bFile);
      assert.deepEqual(
        (await rows('b')).map((row) => row.image),
        [bFile],
      );
      assert.equal(filesIn(storageOf('a')).length, 1, 'A’s file is left, not deleted');
    });
  });
}
