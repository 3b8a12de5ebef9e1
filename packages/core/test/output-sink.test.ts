// library.md's capture example, as a strict TypeScript caller writes it: an Output given only a plain sink (an
// object with write(text)) takes the default level (INFO: no debug lines), is not JSON and not quiet, and gets
// every line the operation prints, none of them on the process's own streams.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fakeSquashfs } from '../../testkit/src/index';
import * as core from '../src/index';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'core-output-sink-'));
after(() => fs.rmSync(home, { recursive: true, force: true }));

test('an Output with only a sink captures a command’s lines at INFO, without debug lines', async () => {
  const lines: string[] = [];
  const sink: core.OutputSink = { write: (text: string) => lines.push(text) };
  const output = new core.Output({ stdout: sink, stderr: sink });
  assert.equal(output.level, core.LEVELS.INFO);
  assert.equal(output.json, false);
  assert.equal(output.quiet, false);
  const file = path.join(home, 'tacos.sif');
  fs.writeFileSync(file, fakeSquashfs());
  // MESSAGELEVEL=DEBUG in the environment is the default Output's business, not one given explicitly
  const session = new core.Session({ env: { HOME: home, MESSAGELEVEL: 'DEBUG' }, output });
  try {
    await core.addImage(session, { file, name: 'vanessa/tacos:latest' });
    output.debug('not shown at INFO');
  } finally {
    await session.close();
  }
  assert.equal(lines.length, 1, lines.join(''));
  assert.match(lines[0] ?? '', /^\[container\]\[new\] vanessa\/tacos:latest@[0-9a-f]{64}\n$/);
  const debugging = new core.Output({ level: core.LEVELS.DEBUG, stdout: sink, stderr: sink });
  debugging.debug('shown at DEBUG');
  assert.equal(lines.at(-1), 'DEBUG shown at DEBUG\n');
});
