import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { compareLikeLocale } from '../src/text/order';

const sign = (n: number) => Math.sign(n);

/** Seeded, so a failure names the same pairs on every run. */
function randomNames(alphabet: string, count: number, seed: number): string[] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: Math.floor(next() * 6) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''),
  );
}

test('orders command ids and backend names exactly as localeCompare does', () => {
  const pairs: [string, string][] = [
    ['backend:status', 'backend:add'],
    ['key:add', 'key-x'],
    ['a:b', 'a1'],
    ['plugins', 'plugins:link'],
    ['hub', 'registry'],
    ['oras', 'library2'],
    ['B', 'a'],
    ['é', 'f'],
    ['a_b', 'a-b'],
    ['a.b', 'a:b'],
  ];
  for (const alphabet of ['abz:-', 'abz09-', 'aZ_.:-09']) {
    const names = randomNames(alphabet, 400, alphabet.length);
    for (let i = 0; i + 1 < names.length; i++) pairs.push([names[i], names[i + 1]]);
  }
  const wrong = pairs.filter(([a, b]) => sign(compareLikeLocale(a, b)) !== sign(a.localeCompare(b)));
  assert.deepEqual(wrong, []);
});

test('a locale other than the root one gets localeCompare itself (Estonian sorts z before t)', async () => {
  const script = `const { compareLikeLocale } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'text', 'order.ts'))});
    process.stdout.write(JSON.stringify(['t', 'z', 's'].sort(compareLikeLocale)));`;
  const run = (env: Record<string, string>) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], { env: { PATH: process.env.PATH ?? '', ...env } });
  assert.deepEqual(JSON.parse((await run({ LANG: 'C.UTF-8' })).stdout), ['s', 't', 'z']);
  const estonian = JSON.parse((await run({ LC_ALL: 'et_EE.UTF-8' })).stdout) as string[];
  assert.deepEqual(estonian, ['s', 'z', 't']);
});
