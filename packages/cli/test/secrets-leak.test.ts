// The token, and everything derived from it, never reaches stdout or stderr: every command that talks to the
// registry, succeeding and failing, with and without --debug and --json, with the token from the secrets file
// and from the environment. What counts as secret is collected from what the server actually received: the
// token itself, every Authorization header (HMAC credential and signature), the SREGISTRY_EVENT upload field and
// the collection secrets in download URLs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, sampleSif, startRegistryServer } from '@sregistry/testkit';
import { linkedPluginData, type Sandbox, sandbox, TOKEN, USER } from './reliability-helpers';

const WRONG_TOKEN = 'feedfacecafebabe0123456789abcdef01234567';
let server: RegistryServerHandle;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
const outputs: { args: string[]; code: number; text: string }[] = [];

before(async () => {
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    seed: [
      { name: 'vanessa', owners: [USER], containers: [{ name: 'tacos', tag: 'latest', file: Buffer.from('tacos image\n') }] },
      {
        name: USER,
        private: true,
        owners: [USER],
        containers: [
          { name: 'secret', tag: 'latest', file: Buffer.from('secret image\n') },
          { name: 'frozen', tag: 'v1', file: Buffer.from('frozen image\n') },
        ],
      },
    ],
    labels: [{ key: 'maintainer', value: 'dinosaur', containers: ['vanessa/tacos:latest'] }],
  });
  server.freeze(USER, 'frozen', 'v1');
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_CLIENT: 'registry' } });
  fs.writeFileSync(sb.secretsFile, JSON.stringify({ registry: { username: USER, token: TOKEN, base: server.url } }), { mode: 0o600 });
  await sampleSif(path.join(sb.home, 'push.sif'));
});
after(async () => {
  console.log(`# secrets: ${outputs.length} runs checked, ${outputs.filter((o) => o.code !== 0).length} of them failing on purpose`);
  sb.cleanup();
  plugins.cleanup();
  await server.close();
});

async function run(args: string[], env: Record<string, string> = {}) {
  const r = await sb.run(args, { env });
  outputs.push({ args, code: r.code, text: `${r.stdout}\n${r.stderr}` });
  return r;
}

/** Every secret the server has seen so far: tokens, Authorization values and their parts, download secrets. */
function secretsSeen(): { credentials: string[]; downloadSecrets: string[] } {
  const found = new Set<string>([TOKEN, WRONG_TOKEN]);
  const downloads = new Set<string>();
  for (const q of server.requests) {
    const values = [q.headers.authorization, (q.body as Record<string, unknown> | undefined)?.SREGISTRY_EVENT].filter(
      (v): v is string => typeof v === 'string',
    );
    for (const value of values) {
      found.add(value);
      // the signature and the credential separately (hex runs of 16+ characters)
      for (const part of value.match(/[0-9a-f]{16,}/gi) ?? []) found.add(part);
    }
    const download = /^\/containers\/\d+\/download\/([^/]+)$/.exec(q.path);
    if (download && download[1] !== 'recipe') downloads.add(download[1]!);
  }
  return { credentials: [...found], downloadSecrets: [...downloads] };
}

const COMMANDS: { args: string[]; env?: Record<string, string>; fails?: boolean }[] = [
  { args: ['backend', 'ls'] },
  { args: ['backend', 'ls', 'registry'] },
  { args: ['backend', 'status'] },
  { args: ['search'] },
  { args: ['search', 'vanessa/'] },
  { args: ['search', `${USER}/`], fails: true },
  { args: ['labels', '-k', 'maintainer'] },
  { args: ['pull', 'vanessa/tacos:latest', '--force'] },
  { args: ['pull', `${USER}/secret:latest`, '--force'] },
  { args: ['pull', `${USER}/nothing:latest`], fails: true },
  { args: ['pull', `${USER}/secret:latest`], env: { SREGISTRY_REGISTRY_TOKEN: WRONG_TOKEN }, fails: true },
  { args: ['push', 'push.sif', '--name', `${USER}/pushed:v1`] },
  { args: ['push', 'push.sif', '--name', `${USER}/frozen:v1`], fails: true },
  { args: ['push', 'push.sif', '--name', `${USER}/pushed:v2`], env: { SREGISTRY_REGISTRY_TOKEN: WRONG_TOKEN }, fails: true },
  {
    args: ['push', 'push.sif', '--name', `${USER}/pushed:v3`],
    env: { SREGISTRY_REGISTRY_TOKEN: TOKEN, SREGISTRY_REGISTRY_USERNAME: USER },
  },
  { args: ['delete', `${USER}/pushed:v1`, '--force'] },
  { args: ['delete', `${USER}/nothing:v9`, '--force'], fails: true },
  { args: ['images'] },
  { args: ['inspect', `${USER}/secret:latest`] },
];

for (const c of COMMANDS) {
  for (const extra of [['--debug'], [], ['--json', '--debug']]) {
    // the full sweep with --debug (the most talkative); the plain and --json runs for what moves data
    if (extra.length !== 1 && !/^(pull|push|delete)$/.test(c.args[0]!)) continue;
    const args = [...c.args, ...extra];
    test(`${args.join(' ')}${c.env ? ` (${Object.keys(c.env).join(', ')} from the environment)` : ''}`, async () => {
      // pushing the same tag twice or deleting twice changes the outcome, not what is printed
      const r = await run(args, c.env);
      if (c.fails) assert.notEqual(r.code, 0, `this run is meant to fail: ${r.stdout}${r.stderr}`);
      else if (!/^delete|^push/.test(c.args[0]!) || extra.length === 1) assert.equal(r.code, 0, r.stderr);
    });
  }
}

test('no output contains the token, an Authorization value, a signature or a download secret', () => {
  const { credentials, downloadSecrets } = secretsSeen();
  assert.ok(credentials.length > 10 && downloadSecrets.length > 0, 'the server saw signed requests and downloads');
  assert.ok(
    server.requests.some((q) => /SREGISTRY-HMAC-SHA256/.test(String(q.headers.authorization))),
    'signed requests were sent, so there was something to leak',
  );
  const leaks: string[] = [];
  for (const o of outputs) {
    // Known and reported: `inspect` (and `images --json`) print the stored record in the original's format,
    // whose metrics.manifest.image is the download URL with the collection secret in it. Anything else is a leak.
    const shownRecord = o.args[0] === 'inspect' || (o.args[0] === 'images' && o.args.includes('--json'));
    for (const s of [...credentials, ...(shownRecord ? [] : downloadSecrets)]) {
      if (o.text.includes(s)) leaks.push(`${o.args.join(' ')} printed ${s.slice(0, 8)}…`);
    }
    if (/SREGISTRY-HMAC-SHA256 \S|Signature=[0-9a-f]/i.test(o.text)) leaks.push(`${o.args.join(' ')} printed an Authorization value`);
  }
  assert.deepEqual(leaks, []);
  assert.ok(
    outputs.some((o) => /DEBUG/.test(o.text)),
    'the --debug runs did talk',
  );
});
