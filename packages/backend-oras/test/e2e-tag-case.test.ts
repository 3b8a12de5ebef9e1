// Tags that differ only in case (:V1 and :v1) are two images on an OCI registry but one lower-case catalogue name,
// through the built CLI against a real Distribution registry: the pull of one while the catalogue holds the other
// is refused in one line and changes nothing, so get and inspect of the name always give the image pulled under it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DistributionHandle, distributionAvailable, startDistribution, writeSif } from '@sregistry/testkit';
import { assertOneLineError, fileSha256, filesUnder, type OrasHome, orasHome, USERS } from './helpers';

const available = distributionAvailable();

describe('oras tags that differ only in case', { skip: available.ok ? false : available.reason }, () => {
  let registry: DistributionHandle;
  let e: OrasHome;
  let upper: string;
  let lower: string;
  before(async () => {
    registry = await startDistribution({ auth: 'htpasswd', users: USERS });
    e = await orasHome(registry);
    upper = path.join(e.home, 'upper.sif');
    lower = path.join(e.home, 'lower.sif');
    await writeSif(upper, { partition: { data: Buffer.from('the image tagged V1'), arch: 'amd64' } });
    await writeSif(lower, { partition: { data: Buffer.from('the image tagged v1'), arch: 'amd64' } });
  });
  after(async () => {
    e?.cleanup();
    await registry?.close();
  });

  const ref = (repo: string) => `oras://${registry.host}/${repo}`;
  const got = async (name: string) => {
    const r = await e.run(['get', name]);
    assert.equal(r.code, 0, r.stderr);
    return fileSha256(r.stdout.trim());
  };

  test('the pull of :v1 while the catalogue holds :V1 is refused and changes nothing; --no-cache and rename get it', async () => {
    for (const [file, tag] of [
      [upper, 'V1'],
      [lower, 'v1'],
    ]) {
      const pushed = await e.run(['push', file, '--name', ref(`case/t:${tag}`)]);
      assert.equal(pushed.code, 0, pushed.stderr);
    }
    const first = await e.run(['pull', ref('case/t:V1')]);
    assert.equal(first.code, 0, first.stderr);
    const inspected = await e.run(['inspect', 'case/t:V1', '--json']);
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.equal(JSON.parse(inspected.stdout).metrics.manifest.tag, 'V1', 'the record keeps the tag as the registry has it');

    const images = (await e.run(['images'])).stdout;
    const files = filesUnder(e.storage);
    assertOneLineError(
      await e.run(['pull', ref('case/t:v1')]),
      new RegExp(
        `case/t:v1 would be catalogued as case/t:v1, which holds the pull of ${registry.host}/case/t:V1 .*--no-cache.*sregistry rename case/t:v1@${fileSha256(upper)} <new name>`,
      ),
    );
    assert.equal(JSON.parse((await e.run(['pull', '--json', ref('case/t:v1')])).stdout).error.code, 'ENAMETAKEN');
    assert.equal((await e.run(['images'])).stdout, images, 'no row was added or changed');
    assert.deepEqual(filesUnder(e.storage), files, 'no file was added');
    for (const name of ['case/t:v1', 'case/t:V1', ref('case/t:v1')]) assert.equal(await got(name), fileSha256(upper), name);

    // the same tag again refreshes its own record
    const again = await e.run(['pull', ref('case/t:V1')]);
    assert.equal(again.code, 0, again.stderr);

    // outside the catalogue
    const copy = await e.run(['pull', '--no-cache', '--name', 'lower-copy.sif', ref('case/t:v1')]);
    assert.equal(copy.code, 0, copy.stderr);
    assert.equal(fileSha256(path.join(e.work, 'lower-copy.sif')), fileSha256(lower));

    // with the V1 image renamed, :v1 has the name to itself
    const renamed = await e.run(['rename', 'case/t:V1', 'case/t-upper:v1']);
    assert.equal(renamed.code, 0, renamed.stderr);
    const second = await e.run(['pull', ref('case/t:v1')]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(await got('case/t:v1'), fileSha256(lower));
    assert.equal(await got('case/t-upper:v1'), fileSha256(upper));
    const json = JSON.parse((await e.run(['inspect', 'case/t:v1', '--json'])).stdout);
    assert.equal(json.metrics.manifest.tag, 'v1');

    // and now the pull of :V1 is the one refused
    assertOneLineError(
      await e.run(['pull', ref('case/t:V1')]),
      /case\/t:V1 would be catalogued as case\/t:v1, which holds the pull of .*case\/t:v1 /,
    );
    assert.equal(await got('case/t:V1'), fileSha256(lower));
  });
});
