// The host's retry policy: the downloads' attempts and time budget, 408/429/5xx retried and other 4xx never,
// dropped connections recognised through a UserError's cause, and waits from Retry-After or the backoff.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as core from '../src/index';

test('the retry policy retries 408/429/5xx and dropped connections, never another 4xx', () => {
  const policy = core.backendHost().retryPolicy();
  assert.equal(policy.retries, 4);
  assert.ok(policy.maxTimeMs > 0);
  for (const status of [408, 429, 500, 502, 503, 504]) assert.ok(policy.retryableStatus(status), String(status));
  for (const status of [400, 401, 403, 404, 409, 413]) assert.ok(!policy.retryableStatus(status), String(status));
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  assert.ok(policy.transientError(new core.UserError('the upload failed', { code: 'ENETWORK', cause: reset })));
  const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
  assert.ok(!policy.transientError(refused), 'a refused first connection: the server is not there');
  assert.ok(policy.transientError(refused, true), 'a refused connection during a retry: it is restarting');
  assert.ok(!policy.transientError(new core.UserError('bad', { code: 'EAUTH' })));
});

test('waits: Retry-After when given and within the cap, else a doubling backoff', async () => {
  const policy = core.backendHost().retryPolicy();
  assert.equal(policy.delayMs(0, '2'), 2000);
  assert.equal(policy.delayMs(0), 500);
  assert.equal(policy.delayMs(2), 2000);
  assert.equal(policy.delayMs(0, '3600'), 500, 'a Retry-After beyond the cap falls back to the backoff');
  const aborted = AbortSignal.abort();
  await assert.rejects(policy.sleep(10_000, aborted), (error: unknown) => core.isUserError(error) && error.code === 'ECANCELLED');
});
