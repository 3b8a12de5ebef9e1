import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTempName, tempBase, tempName } from '../src/storage/temp-files';

test('a temp name fits NAME_MAX (255 bytes) for any file name up to 255 bytes, and two long names stay apart', () => {
  for (const base of ['a.sif', 'x'.repeat(214), 'x'.repeat(215), 'x'.repeat(255), `${'é'.repeat(126)}.sif`]) {
    const name = tempName(base, { pid: 4194304, token: 'ffffffff' });
    assert.ok(Buffer.byteLength(name) <= 255, `${Buffer.byteLength(base)}-byte base: ${Buffer.byteLength(name)} bytes`);
    assert.equal(parseTempName(name)?.base, tempBase(base));
    assert.ok(!tempBase(base).includes('\uFFFD'), 'no half character');
  }
  assert.equal(tempBase('short.sif'), 'short.sif');
  assert.notEqual(tempBase(`${'x'.repeat(250)}a`), tempBase(`${'x'.repeat(250)}b`));
});
