// What goes wrong between the CLI and the archive: missing names, corrupted bytes, redirects, cut connections,
// server faults. A failed pull must leave one line on stderr, exit 1, and neither a file nor a record.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type HubServer, sampleSif, startHubServer } from '@sregistry/testkit';
import { cliInTempHome } from '../../cli/test/helpers';

const md5 = (file: string) => createHash('md5').update(fs.readFileSync(file)).digest('hex');

describe('hub pull faults through the CLI', () => {
  let hub: HubServer;
  let cli: ReturnType<typeof cliInTempHome>;
  let seeds: string;
  let seed: string;
  let v: string;
  const root = () => path.join(cli.home, '.singularity', 'shub');
  const stored = () => path.join(root(), 'vsoch', 'hello-world', `latest@${v}.sif`);
  /** every file under the storage root, temporary ones included (not the daily sweep's marker) */
  const files = () =>
    fs.existsSync(root())
      ? (fs.readdirSync(root(), { recursive: true }) as string[]).filter(
          (f) => fs.statSync(path.join(root(), f)).isFile() && f !== path.join('.tmp', 'last-sweep'),
        )
      : [];
  const uris = async () => (JSON.parse((await cli.run(['images', '--json'])).stdout) as { uri: string }[]).map((r) => r.uri);
  /** a failed command: exit 1 and exactly one ERROR line */
  const oneLine = (r: { code: number; stderr: string }, pattern: RegExp) => {
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  };

  before(async () => {
    seeds = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-e2e-faults-'));
    seed = (await sampleSif(path.join(seeds, 'hello.sif'))).path;
    v = md5(seed);
    hub = await startHubServer({ images: [{ user: 'vsoch', repo: 'hello-world', tag: 'latest', file: seed }] });
    cli = cliInTempHome({ SREGISTRY_HUB_BASE: hub.origin });
  });
  after(async () => {
    await hub?.close();
    cli?.cleanup();
    fs.rmSync(seeds, { recursive: true, force: true });
  });

  test('404: one line saying what was not found and how to find it; nothing stored', async () => {
    const r = await cli.run(['pull', 'shub://vsoch/nope:latest']);
    oneLine(
      r,
      new RegExp(`^ERROR vsoch/nope:latest was not found on Singularity Hub at ${hub.origin}; check the user, repository and tag`),
    );
    assert.match(r.stderr, /browse the archive at https:\/\/datasets\.datalad\.org/);
    assert.deepEqual(files(), []);
    assert.deepEqual(await uris(), []);
  });

  test('corrupted bytes (md5 differs from the version): error, no file, no record', async () => {
    hub.behaviour.corrupt = true;
    try {
      const r = await cli.run(['pull', 'vsoch/hello-world']);
      oneLine(r, new RegExp(`^ERROR the downloaded image's md5 [0-9a-f]{32} does not match the service's ${v}; .*--no-verify`));
      assert.deepEqual(files(), [], 'no stored file and no leftover .part');
      assert.deepEqual(await uris(), []);

      const json = await cli.run(['pull', 'vsoch/hello-world', '--json']);
      assert.equal(json.code, 1);
      assert.equal(JSON.parse(json.stdout).error.code, 'EDIGEST');
    } finally {
      hub.behaviour.corrupt = false;
    }
  });

  test('--no-verify stores the corrupted bytes under the Hub version', async () => {
    hub.behaviour.corrupt = true;
    try {
      const r = await cli.run(['pull', 'vsoch/hello-world', '--no-verify']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.split('\n')[1], `[container][new] vsoch/hello-world:latest@${v}`);
      const got = fs.readFileSync(stored());
      const want = fs.readFileSync(seed);
      assert.equal(got.length, want.length);
      assert.notEqual(md5(stored()), v, 'the bytes are the corrupted ones');
      assert.ok(got.subarray(0, -1).equals(want.subarray(0, -1)));
    } finally {
      hub.behaviour.corrupt = false;
    }
  });

  test('a redirected download URL is followed to the bytes', async () => {
    hub.behaviour.redirectDownloads = true;
    hub.clearRequests();
    try {
      const r = await cli.run(['pull', 'vsoch/hello-world', '--force']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(md5(stored()), v);
      const build = hub.builds[0]!;
      assert.ok(hub.requests.some((q) => q.url === build.archivePath && q.status === 302));
      assert.ok(hub.requests.some((q) => q.url === build.annexPath && q.status === 200));
    } finally {
      hub.behaviour.redirectDownloads = false;
    }
  });

  test('a connection dropped mid-download is resumed with Range and the file is right', async () => {
    fs.rmSync(stored());
    hub.behaviour.dropAfterBytes = 10_000;
    hub.behaviour.dropCount = 1;
    hub.clearRequests();
    try {
      const r = await cli.run(['pull', 'vsoch/hello-world']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(md5(stored()), v);
      const downloads = hub.requests.filter((q) => q.url.startsWith('/shub/'));
      assert.equal(downloads.length, 2, 'one cut, one resumed');
      assert.equal(downloads[0]!.bytes, 10_000);
      assert.equal(downloads[1]!.headers.range, 'bytes=10000-');
      assert.deepEqual(files(), [path.relative(root(), stored())], 'no leftover .part');
    } finally {
      hub.behaviour.dropAfterBytes = undefined;
      hub.behaviour.dropCount = undefined;
    }
  });

  test('without Range support the retry starts over and the file is still right', async () => {
    fs.rmSync(stored());
    // dropCount counts over the server's life: the test before used up the first drop.
    Object.assign(hub.behaviour, { dropAfterBytes: 10_000, dropCount: 2, acceptRanges: false });
    hub.clearRequests();
    try {
      const r = await cli.run(['pull', 'vsoch/hello-world']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(md5(stored()), v);
      const downloads = hub.requests.filter((q) => q.url.startsWith('/shub/'));
      assert.equal(downloads.length, 2);
      assert.equal(downloads[0]!.bytes, 10_000, 'the first one was cut');
      assert.equal(downloads[1]!.bytes, fs.statSync(seed).size, 'the whole file the second time');
    } finally {
      Object.assign(hub.behaviour, { dropAfterBytes: undefined, dropCount: undefined, acceptRanges: true });
    }
  });

  test('the archive failing (500) or refusing (426 quota) is one line with what to do', async () => {
    hub.behaviour.status500 = [/^\/api\/container\//];
    try {
      oneLine(
        await cli.run(['pull', 'vsoch/hello-world:other']),
        /^ERROR The Hub failed while resolving vsoch\/hello-world:other \(HTTP 500: Exception .*\); try again later/,
      );
    } finally {
      hub.behaviour.status500 = [];
    }
    hub.behaviour.rateLimit426 = 50;
    try {
      oneLine(
        await cli.run(['pull', 'vsoch/hello-world:other']),
        /^ERROR Singularity Hub refused vsoch\/hello-world:other: rate limit reached \(HTTP 426, the server said 50\); wait/,
      );
    } finally {
      hub.behaviour.rateLimit426 = undefined;
    }
    assert.deepEqual(await uris(), [`vsoch/hello-world:latest@${v}`], 'no record was added by the failures');
  });

  test('a SIF cut short whose manifest has no usable version (null, "garbage", a path): refused in one line', async () => {
    // nothing to check the bytes against but their own structure: the header's data area ends past the file
    const cut = path.join(seeds, 'cut.sif');
    fs.writeFileSync(cut, fs.readFileSync(seed).subarray(0, fs.statSync(seed).size - 100));
    const listed = await uris();
    const kept = files();
    for (const [repo, version] of [
      ['cut-null', null],
      ['cut-garbage', 'garbage'],
      ['cut-path', '../../../tmp/x'],
    ] as const) {
      await hub.addImage({ user: 'vsoch', repo, tag: 'latest', file: cut, manifest: { version: version as string } });
      oneLine(
        await cli.run(['pull', `shub://vsoch/${repo}:latest`]),
        /^ERROR the image vsoch\/cut-[a-z]+:latest(@garbage)? from http:\/\/127\.0\.0\.1:\d+ is not a whole SIF \(the data area ends at byte \d+ but the file has only \d+ bytes \(truncated\?\)\); nothing was kept/,
      );
    }
    assert.deepEqual(files(), kept, 'no file or temporary file left');
    assert.deepEqual(await uris(), listed, 'no record added');
  });

  test('a whole SIF without a usable version: pulled, with one warning that its content could not be checked', async () => {
    await hub.addImage({ user: 'vsoch', repo: 'no-version', tag: 'latest', file: seed, manifest: { version: 'garbage' } });
    const r = await cli.run(['pull', 'shub://vsoch/no-version:latest']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^WARNING http:\/\/127\.0\.0\.1:\d+ gave no digest for the image: its size and format are checked, its content cannot be\n$/,
    );
  });
});
