import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type HubRef, toHubRef } from '../src/ref';
import { harness, userError } from './helpers';

const MD5 = 'bc6bb8a73d483b47ea07c94081e40d49';
const SHA1 = '12c8a47e2d5a0f3e1b4c6d7e8f9a0b1c2d3e4f5a';

describe('shub:// grammar (Apptainer-like)', () => {
  const h = harness();
  after(() => h.cleanup());
  const ref = (uri: string) => toHubRef(h.ctx, h.parse(uri));

  const valid: [string, HubRef][] = [
    ['shub://vsoch/hello-world', { registry: undefined, user: 'vsoch', repo: 'hello-world', tag: 'latest', digest: undefined }],
    ['vsoch/hello-world:dev', { registry: undefined, user: 'vsoch', repo: 'hello-world', tag: 'dev', digest: undefined }],
    ['shub://Vsoch/Hello_World.x:V1.2', { registry: undefined, user: 'Vsoch', repo: 'Hello_World.x', tag: 'V1.2', digest: undefined }],
    [`shub://vsoch/hello@${MD5}`, { registry: undefined, user: 'vsoch', repo: 'hello', tag: undefined, digest: MD5 }],
    [`shub://vsoch/hello:latest@${MD5}`, { registry: undefined, user: 'vsoch', repo: 'hello', tag: 'latest', digest: MD5 }],
    [`shub://vsoch/hello:dev@${SHA1}`, { registry: undefined, user: 'vsoch', repo: 'hello', tag: 'dev', digest: SHA1 }],
    [
      'shub://containers.page/vsoch/hello:latest',
      { registry: 'containers.page', user: 'vsoch', repo: 'hello', tag: 'latest', digest: undefined },
    ],
    ['shub://127.0.0.1:5000/vsoch/hello', { registry: '127.0.0.1:5000', user: 'vsoch', repo: 'hello', tag: 'latest', digest: undefined }],
    [
      'shub://hub.example.org/mirror/vsoch/hello:v1',
      { registry: 'hub.example.org/mirror', user: 'vsoch', repo: 'hello', tag: 'v1', digest: undefined },
    ],
  ];
  for (const [uri, expected] of valid) {
    test(`accepts ${uri}`, () => assert.deepEqual(ref(uri), expected));
  }

  const invalid: [string, RegExp][] = [
    ['shub://vsoch.dots/hello', /the user "vsoch\.dots" may only hold letters, digits and "-" \(no dots\)/],
    ['shub://vs_och/hello', /the user "vs_och"/],
    [`shub://${'u'.repeat(40)}/hello`, /at most 39 characters/],
    ['shub://vsoch/hel$lo', /the repository "hel\$lo"/],
    [`shub://vsoch/${'r'.repeat(65)}`, /the repository/],
    ['shub://vsoch/hello:ta+g', /the tag "ta\+g"/],
    ['shub://vsoch/hello@abc123', /the digest "abc123" must be 32 hex characters/],
    [`shub://vsoch/hello@${'a'.repeat(64)}`, /must be 32 hex characters \(the image md5\) or 40/],
    [`shub://vsoch/hello@${MD5.slice(0, 31)}g`, /the digest/],
    ['shub://hello', /the user is missing/],
    // Refused by the core's parser already (still one line with a fix).
    ['shub://vsoch/hello@', /Invalid image name/],
    ['shub://vsoch/hello:', /Invalid image name/],
    ['shub://vsoch/hel lo', /Invalid image name/],
  ];
  for (const [uri, message] of invalid) {
    test(`refuses ${uri}`, async () => {
      const error = await userError(() => ref(uri));
      assert.match(error.message, message);
      assert.ok(error.fix, 'a fix is given');
      assert.equal(error.exitCode, 1);
    });
  }

  test('the fix shows the shub grammar', async () => {
    const error = await userError(() => ref('shub://vsoch.dots/hello'));
    assert.match(error.fix ?? '', /shub:\/\/user\/repo\[:tag\]\[@digest\]/);
    assert.equal(error.code, 'EBADNAME');
  });
});
