// What the CLI does only on a terminal, on a real pseudo-terminal (testkit's runInPty): the `shell` REPL (its
// banner, history kept across sessions in $XDG_STATE_HOME/sregistry/shell_history, progress of `client.pull`),
// and pull's progress bar, which fits the terminal's width and never appears when stderr is piped.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type RegistryServerHandle, runInPty, startRegistryServer } from '@sregistry/testkit';
import { BIN } from './helpers';
import { type FaultProxy, linkedPluginData, type Sandbox, sandbox, startFaultProxy, TOKEN, USER } from './reliability-helpers';

const SIZE = 1024 * 1024;
let server: RegistryServerHandle;
let proxy: FaultProxy;
let plugins: { dir: string; cleanup(): void };
let sb: Sandbox;
let stateHome: string;

before(async () => {
  proxy = await startFaultProxy();
  server = await startRegistryServer({
    users: [{ username: USER, token: TOKEN }],
    domain: proxy.url,
    seed: [{ name: 'vanessa', owners: [USER], containers: ['tty', 'piped', 'shell'].map((tag) => ({ name: 'slow', tag, file: SIZE })) }],
  });
  proxy.target = server.url;
  // a download of a few seconds: long enough for the bar to be drawn more than once
  proxy.rate = 384 * 1024;
  plugins = await linkedPluginData();
  sb = sandbox({ pluginData: plugins.dir, env: { SREGISTRY_REGISTRY_BASE: proxy.url } });
  stateHome = path.join(sb.home, '.state');
  sb.env.XDG_STATE_HOME = stateHome;
  fs.writeFileSync(sb.secretsFile, JSON.stringify({ registry: { username: USER, token: TOKEN } }), { mode: 0o600 });
});
after(async () => {
  sb.cleanup();
  plugins.cleanup();
  await server.close();
  await proxy.close();
});

const cli = (args: string[], options: { columns?: number; env?: Record<string, string> } = {}) =>
  runInPty(process.execPath, [BIN, ...args], { env: { ...sb.env, ...options.env }, cwd: sb.home, columns: options.columns });

/**
 * Every version of every line the terminal drew: a redraw goes back to the line's start (`\r`, the cursor restored
 * with ESC 8, or moved to column 1 with ESC [1G) and starts a new version; other escape sequences are dropped.
 */
function screenLines(output: string): string[] {
  return output
    .split(/\n|\r|\u001b8|\u001b\[1G/)
    .map((line) => line.replace(/\u001b(\[[0-9;?]*[A-Za-z]|[78])/g, ''))
    .filter((line) => line.length > 0);
}

test('shell: the banner says what client offers; history is kept across sessions in $XDG_STATE_HOME', async () => {
  const first = cli(['shell', 'registry']);
  await first.waitFor('sregistry> ');
  assert.match(first.output, /^\[client\|registry\] \[database\|sqlite:\/\/\/.+sregistry\.db\]$/m);
  assert.match(first.output, /^client: speak\(\), await pull\(uri\), await search\(query\), .*\.exit$/m);
  let mark = first.output.length;
  first.write('client.client_name\n');
  await first.waitFor("'registry'", { from: mark });
  mark = first.output.length;
  first.write('6 * 7\n');
  await first.waitFor(/\n42\n/, { from: mark });
  first.write('.exit\n');
  assert.equal(await first.exited, 0, first.output);

  const history = path.join(stateHome, 'sregistry', 'shell_history');
  const saved = fs.readFileSync(history, 'utf8').split('\n');
  assert.ok(saved.includes('6 * 7') && saved.includes('client.client_name'), `history holds the lines typed: ${saved}`);
  assert.equal(fs.statSync(history).mode & 0o077, 0, 'the history is private (it may hold image names)');

  // a new session: arrow-up twice brings back the line before the previous session's `.exit`
  const second = cli(['shell', 'registry']);
  await second.waitFor('sregistry> ');
  mark = second.output.length;
  second.write('\u001b[A\u001b[A');
  await second.waitFor('6 * 7', { from: mark });
  second.write('\n');
  await second.waitFor(/\n42\n/, { from: mark });
  second.write('.exit\n');
  assert.equal(await second.exited, 0, second.output);
});

test('shell: await client.pull(uri) draws its progress bar on the terminal and returns the result', async () => {
  const shell = cli(['shell', 'registry'], { columns: 100 });
  await shell.waitFor('sregistry> ');
  const mark = shell.output.length;
  shell.write("r = await client.pull('vanessa/slow:shell'); r.size\n");
  await shell.waitFor(new RegExp(`\\n${SIZE}\\n`), { from: mark, timeoutMs: 90_000 });
  const drawn = screenLines(shell.output.slice(mark));
  assert.ok(
    drawn.some((l) => /^pull vanessa\/slow:shell \|[=-]+\| +\d+\.\d% +\d+\.\d\/1\.0 MiB/.test(l)),
    `a progress bar was drawn:\n${drawn.join('\n')}`,
  );
  shell.write('.exit\n');
  assert.equal(await shell.exited, 0, shell.output);
});

test('pull: a progress bar that fits a 60-column terminal; none when stderr is piped', async () => {
  const tty = cli(['pull', 'registry://vanessa/slow:tty'], { columns: 60 });
  assert.equal(await tty.exited, 0, tty.output);
  const lines = screenLines(tty.output);
  // the label (`pull vanessa/slow:tty`) may be shortened from the left to keep the numbers
  const bars = lines.filter((l) => /vanessa\/slow:tty +\d+\.\d%/.test(l));
  assert.ok(bars.length > 1, `a progress bar was drawn and redrawn:\n${lines.join('\n')}`);
  for (const bar of bars) assert.ok(bar.length < 60, `"${bar}" fits 60 columns`);
  assert.ok(
    bars.some((b) => /MiB\/s/.test(b)),
    `the speed stays visible at 60 columns:\n${bars.join('\n')}`,
  );
  assert.match(tty.output, /^Success! .+vanessa\/slow\/tty@[0-9a-f]{64}\.sif$/m);

  const piped = await sb.run(['pull', 'registry://vanessa/slow:piped']);
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stderr, /MiB|\r|\|[=-]+\|/, 'no bar on a pipe');
  assert.match(piped.stdout, /^Success! /m);
});

test('delete on a terminal: Ctrl-C cancels (exit 130), Ctrl-D is a no (exit 0); nothing is deleted', async () => {
  const deletes = () => server.requests.filter((q) => q.method === 'DELETE').length;
  const before = deletes();

  const interrupted = cli(['delete', 'registry://vanessa/slow:tty']);
  await interrupted.waitFor('[y/n] ');
  interrupted.write('\u0003');
  assert.equal(await interrupted.exited, 130, interrupted.output);
  assert.match(interrupted.output, /delete cancelled/);
  assert.doesNotMatch(interrupted.output, /no terminal/);

  const declined = cli(['delete', 'registry://vanessa/slow:tty']);
  await declined.waitFor('[y/n] ');
  declined.write('\u0004');
  assert.equal(await declined.exited, 0, declined.output);
  assert.match(declined.output, /Delete cancelled\./);
  // the original's order: the announce line, then the question (client-spec §2.14)
  for (const run of [interrupted, declined]) {
    assert.match(
      run.output,
      /^\[client\|registry\] \[database\|sqlite:\/\/\/.+\]\r?\n(.*\n)*.*Are you sure you want to remove/m,
      run.output,
    );
    assert.equal(run.output.split('[client|registry]').length, 2, run.output);
  }

  assert.equal(deletes(), before, 'no DELETE reached the server');
  assert.ok(server.containers().some((c) => c.name === 'slow' && c.tag === 'tty'));
});
