// A server value in a search or labels table cell: escaped, empty for null, an object as its JSON.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printableCell } from '../src/answers';
import { harness } from './helpers';

test('a table cell from a server value: an object shows as its JSON, escaped, not "[object Object]"', () => {
  const h = harness({});
  try {
    const host = h.ctx.host;
    assert.equal(printableCell(host, { uri: 'a\u001b[2J' }), '{"uri":"a\\u001b[2J"}');
    assert.equal(printableCell(host, ['x', 1]), '["x",1]');
    assert.equal(printableCell(host, null), '');
    assert.equal(printableCell(host, undefined), '');
    assert.equal(printableCell(host, 'tacos\u202e'), 'tacos\\u202e');
    assert.equal(printableCell(host, 7), '7');
  } finally {
    h.cleanup();
  }
});
