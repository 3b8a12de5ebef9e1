import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createProgressReporter, progressLine, shouldShowProgress, transferLabel } from '../src/transfer/index';

/** A stream that records what is written; `isTTY` as asked. */
function sink(isTTY: boolean, columns = 120) {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = columns;
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

describe('progress line width', () => {
  const label = transferLabel('pull', { collection: 'vanessa', image: 'tacos', tag: 'latest' });
  const amounts = '150.0/300.0 MiB  45.1 MiB/s';
  const bar = (size: number) => '='.repeat(Math.floor(size / 2)) + '-'.repeat(size - Math.floor(size / 2));

  test('pull and push are labelled alike: <verb> collection/name:tag', () => {
    assert.equal(label, 'pull vanessa/tacos:latest');
    assert.equal(transferLabel('push', { collection: 'vanessa', image: 'tacos', tag: 'latest' }), 'push vanessa/tacos:latest');
  });

  test('the line fits the terminal at any width, speed and ETA kept; the bar shrinks, then goes', () => {
    for (const width of [39, 59, 79, 119, 199]) {
      const line = progressLine({ label, fraction: 0.5, amounts, eta: '7s', width, bar });
      assert.ok(line.length <= width, `${width}: ${line} (${line.length})`);
      assert.ok(line.includes('45.1 MiB/s'), `${width}: ${line}`);
      if (width >= 59) assert.ok(line.includes('ETA 7s'), `${width}: ${line}`);
      if (width >= 79) assert.match(line, /\|=+-+\|/, `${width}: a bar`);
    }
    assert.equal(progressLine({ label, fraction: 0.5, amounts, eta: '7s', width: 199, bar }).indexOf('|'), label.length + 1);
    assert.equal(
      progressLine({ label, fraction: 0.5, amounts, eta: '7s', width: 199, bar }).split('|')[1]?.length,
      40,
      'at most 40 columns of bar',
    );
    const narrow = progressLine({ label, fraction: 0.5, amounts, eta: '7s', width: 40, bar });
    assert.ok(narrow.length <= 40 && narrow.includes('MiB/s'), narrow);
    assert.ok(narrow.startsWith('…'), `the label is shortened first from the left: ${narrow}`);
  });

  test('a reporter on a 60-column terminal draws lines of at most 59 columns with speed and ETA', async () => {
    const out = sink(true, 60);
    const total = 300 * 1024 * 1024;
    const progress = createProgressReporter({ label, total, stream: out.stream, enabled: true });
    progress.update(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    progress.update(total / 3);
    progress.done();
    // each redraw starts at column 1 (save/restore cursor, cursor-to-column): split there
    const lines = out
      .text()
      .replace(/\u001b[78]|\u001b\[\d*G/g, '\n')
      .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
      .split(/[\r\n]/)
      .filter(Boolean);
    assert.ok(lines.length > 0);
    for (const line of lines) assert.ok(line.length <= 59, `${line} (${line.length})`);
    assert.ok(
      lines.some((l) => l.includes('MiB/s') && l.includes('pull vanessa/tacos:latest')),
      lines.join('\n'),
    );
  });
});
