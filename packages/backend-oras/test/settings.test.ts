// The oras backend declares the settings it reads, so `backend add oras …` checks a value's kind and refuses a
// name it never reads (a typo stored would be silently ignored; `nohttps maybe` would fail every later command).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DistributionHandle } from '@sregistry/testkit';
import { assertOneLineError, type OrasHome, orasHome } from './helpers';

describe('oras settings through backend add', { timeout: 60_000 }, () => {
  let e: OrasHome;
  const secrets = () => path.join(e.home, '.sregistry');
  before(async () => {
    // no registry is reached: a closed port stands in for one
    e = await orasHome({ host: '127.0.0.1:9' } as DistributionHandle, { login: false });
  });
  after(() => e.cleanup());

  test('a value of the wrong kind and a setting it does not read are refused, and nothing is stored', async () => {
    assertOneLineError(await e.run(['backend', 'add', 'oras', 'nohttps', 'maybe']), /SREGISTRY_ORAS_NOHTTPS.*maybe.*yes or no/);
    assertOneLineError(await e.run(['backend', 'add', 'oras', 'page_size', '0']), /SREGISTRY_ORAS_PAGE_SIZE.*positive whole number/);
    assertOneLineError(await e.run(['backend', 'add', 'oras', 'chunk_size', '5MB']), /SREGISTRY_ORAS_CHUNK_SIZE.*positive whole number/);
    assertOneLineError(
      await e.run(['backend', 'add', 'oras', 'page_sise', '10']),
      /oras has no setting SREGISTRY_ORAS_PAGE_SISE; did you mean page_size\? its settings: nohttps, chunk_size, page_size/,
    );
    assert.equal(fs.existsSync(secrets()) ? JSON.parse(fs.readFileSync(secrets(), 'utf8')).oras : undefined, undefined);
    // with nothing stored, backend ls <name> lists what may be
    const ls = await e.run(['backend', 'ls', 'oras', '--json']);
    const declared = (JSON.parse(ls.stdout) as { declared?: Record<string, string> }).declared ?? {};
    assert.deepEqual(Object.keys(declared), ['nohttps', 'chunk_size', 'page_size']);
  });

  test('declared settings are stored under their full names with no warning', async () => {
    for (const [name, value] of [
      ['nohttps', 'true'],
      ['page_size', '500'],
      ['chunk_size', '8388608'],
    ]) {
      const r = await e.run(['backend', 'add', 'oras', name, value]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', 'no "stored unchecked" warning');
    }
    const stored = JSON.parse(fs.readFileSync(secrets(), 'utf8')).oras;
    assert.deepEqual(stored, { SREGISTRY_ORAS_NOHTTPS: 'true', SREGISTRY_ORAS_PAGE_SIZE: '500', SREGISTRY_ORAS_CHUNK_SIZE: '8388608' });
  });
});
