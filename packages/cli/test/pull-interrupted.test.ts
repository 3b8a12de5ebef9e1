// A `pull --no-cache` writes its temp file in the current folder, where no later command's sweep looks: ended by
// Ctrl-C (SIGINT), SIGTERM or a closed terminal (SIGHUP) in the middle of the download, it must remove that temp
// itself (storage/temp-files.ts), leaving the folder as it was. SIGKILL cannot be caught: that case is the next
// pull's (reliability-leftovers).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, startRegistryServer } from '@sregistry/testkit';
import {
  type FaultProxy,
  linkedPluginData,
  type Sandbox,
  sandbox,
  signalAtPoint,
  signalWhen,
  startFaultProxy,
  TOKEN,
  USER,
} from './reliability-helpers';

const SIZE = 2 * 1024 * 1024;
let server: RegistryServerHandle;
let proxy: FaultProxy;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;

before(async () => {
  proxy = await startFaultProxy();
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    domain: proxy.url,
    seed: [
      { name: 'vanessa', owners: [USER], containers: ['int', 'term', 'hup', 'late'].map((tag) => ({ name: 'slow', tag, file: SIZE })) },
    ],
  });
  proxy.target = server.url;
  // slow enough that the signal lands mid-download on a loaded machine, fast enough to finish a run without one
  proxy.rate = 256 * 1024;
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_CLIENT: 'registry', SREGISTRY_REGISTRY_BASE: proxy.url } });
  fs.writeFileSync(sb.secretsFile, JSON.stringify({ registry: { username: USER, token: TOKEN } }), { mode: 0o600 });
});
after(async () => {
  sb.cleanup();
  plugins.cleanup();
  await server.close();
  await proxy.close();
});

for (const [signal, tag] of [
  ['SIGINT', 'int'],
  ['SIGTERM', 'term'],
  ['SIGHUP', 'hup'],
] as const) {
  test(`pull --no-cache ended by ${signal} mid-download leaves the current folder as it was`, async () => {
    const cwd = fs.mkdtempSync(path.join(sb.home, `cwd-${tag}-`));
    fs.writeFileSync(path.join(cwd, 'mine.txt'), 'the user file\n');
    const start = proxy.downloaded;
    let seen: string[] = [];
    const r = await signalWhen(
      sb,
      ['pull', '--no-cache', `vanessa/slow:${tag}`],
      async () => {
        await proxy.until('downloaded', start + 256 * 1024);
        // the temp is there, beside where the image would go, while the bytes flow
        for (let i = 0; i < 100 && seen.length === 0; i++) {
          seen = fs.readdirSync(cwd).filter((f) => f.startsWith(`.vanessa-slow:${tag}.sif.sregistry-`));
          if (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      signal,
      { cwd },
    );
    assert.ok(r.sent, `the pull ended before the signal (exit ${r.code}): ${r.stderr}`);
    assert.equal(seen.length, 1, `a temp file was being written in ${cwd}`);
    assert.deepEqual(fs.readdirSync(cwd), ['mine.txt'], `${signal} removed the temp and left the user's file`);
    if (signal === 'SIGINT') {
      // Ctrl-C is the command's own: it stops the transfer and says so in one line
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /^ERROR download cancelled/m);
    } else {
      // the process still ends as the signal ends it (a shell sees 128 + its number)
      assert.equal(r.signal, signal, `exit ${r.code} ${r.stderr}`);
    }
    assert.ok(proxy.downloaded < start + SIZE, 'the download was really interrupted');
  });
}

for (const json of [false, true]) {
  test(`Ctrl-C right after the last byte arrived${json ? ' (--json)' : ''}: cancelled (exit 130), not "does not exist"; nothing kept`, async () => {
    proxy.rate = 0;
    try {
      const r = await signalAtPoint(sb, ['pull', 'vanessa/slow:late', ...(json ? ['--json'] : [])], 'pull-downloaded-held', 'SIGINT');
      assert.ok(r.reached, `the pull ended before the download finished (exit ${r.code}): ${r.stderr}`);
      assert.equal(r.code, 130, r.stderr);
      if (json) assert.equal(JSON.parse(r.stdout).error.code, 'ECANCELLED');
      else assert.match(r.stderr, /^ERROR pull cancelled$/m);
      assert.doesNotMatch(r.stderr, /does not exist/);
      const images = await sb.run(['images', '--json']);
      assert.deepEqual(JSON.parse(images.stdout), [], 'no row');
      const tmp = path.join(sb.storage, '.tmp');
      const temps = fs.existsSync(tmp) ? fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')) : [];
      assert.deepEqual(temps, [], 'no temp file');
    } finally {
      proxy.rate = 256 * 1024;
    }
  });
}
