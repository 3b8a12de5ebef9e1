import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createProgressReporter, shouldShowProgress } from '../src/transfer/index';

/** A stream that records what is written; `isTTY` as asked. */
function sink(isTTY: boolean) {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 120;
  return { stream, text: () => text };
}

describe('shouldShowProgress', () => {
  test('only on a terminal, never with --quiet or --json', () => {
    const tty = { isTTY: true };
    assert.equal(shouldShowProgress({ stream: tty }), true);
    assert.equal(shouldShowProgress({ stream: tty, quiet: true }), false);
    assert.equal(shouldShowProgress({ stream: tty, json: true }), false);
    assert.equal(shouldShowProgress({ stream: { isTTY: false } }), false);
    assert.equal(shouldShowProgress({ stream: {} }), false);
  });
});

describe('createProgressReporter', () => {
  test('disabled: writes nothing', () => {
    const out = sink(true);
    const progress = createProgressReporter({ label: 'tacos', total: 100, stream: out.stream, enabled: false });
    progress.update(50, 100);
    progress.done();
    assert.equal(out.text(), '');
  });

  test('a bar with percentage, MiB and speed, ended once', () => {
    const out = sink(true);
    const total = 8 * 1024 * 1024;
    const progress = createProgressReporter({ label: 'tacos', total, stream: out.stream, enabled: true });
    progress.update(0);
    progress.update(total / 2);
    progress.update(total);
    progress.done();
    progress.done();
    progress.update(1);
    const text = out.text();
    assert.match(text, /tacos \|=+\| 100\.0% {2}8\.0\/8\.0 MiB/);
    assert.match(text, /MiB\/s/);
    assert.ok(text.endsWith('\n'));
    assert.equal(text.split('\n').length - 1, 1, 'one final newline even after a second done()');
  });

  test('a total that arrives late; no total at all shows bytes only', () => {
    const late = sink(true);
    const a = createProgressReporter({ label: 'pull', stream: late.stream, enabled: true });
    a.update(0, undefined);
    a.update(1024 * 1024, 2 * 1024 * 1024);
    a.done();
    assert.match(late.text(), /50\.0% {2}1\.0\/2\.0 MiB/);

    const none = sink(true);
    const b = createProgressReporter({ label: 'pull', stream: none.stream, enabled: true });
    b.update(3 * 1024 * 1024);
    b.done();
    assert.match(none.text(), /pull 3\.0\/\? MiB/);
    assert.ok(!none.text().includes('%'));
  });

  test('enabled on a non-terminal stream still draws (the caller decided)', () => {
    const out = sink(false);
    const progress = createProgressReporter({ label: 'push', total: 10, stream: out.stream, enabled: true });
    progress.update(10);
    progress.done();
    assert.match(out.text(), /push \|/);
  });
});
