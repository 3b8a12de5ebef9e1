import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { printable } from '../src/output/untrusted';
import { parseBody } from '../src/transfer/json-body';
import { errorCodes, isTransientNetworkError, networkError } from '../src/transfer/net-errors';
import { backoffDelay, parseRetryAfter } from '../src/transfer/retry';

const URL_WITH_SECRET = 'https://reg.example.org:8443/containers/1/download/0b7bd5e2-7c7e-4d1e-9f6b-2b1d3c4a5e6f';
const coded = (code: string, cause?: unknown) => Object.assign(new Error(`boom ${code}`, { cause }), { code });

describe('networkError', () => {
  const cases: Array<[string, RegExp, string, RegExp]> = [
    ['ECONNREFUSED', /^cannot reach https:\/\/reg\.example\.org:8443: connection refused$/, 'ENETWORK', /registry is running/],
    ['ENOTFOUND', /host name reg\.example\.org was not found/, 'ENETWORK', /DNS/],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', /not trusted/, 'ETLS', /SREGISTRY_HTTPS_NOVERIFY=yes skips the check \(only for testing\)/],
    ['SELF_SIGNED_CERT_IN_CHAIN', /not trusted/, 'ETLS', /NODE_EXTRA_CA_CERTS/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', /does not match its host name/, 'ETLS', /SREGISTRY_HTTPS_NOVERIFY=yes.*only for testing/],
    ['CERT_HAS_EXPIRED', /expired/, 'ETLS', /only for testing/],
    ['ERR_SSL_WRONG_VERSION_NUMBER', /TLS handshake/, 'ETLS', /http:\/\/ or https:\/\//],
    ['ETIMEDOUT', /^no answer from https:\/\/reg\.example\.org:8443 within 30 s$/, 'ETIMEOUT', /try again/],
    ['ECONNRESET', /closed before the transfer finished/, 'ENETWORK', /proxy/],
    ['EHOSTUNREACH', /network unreachable/, 'ENETWORK', /network/],
  ];
  for (const [code, message, userCode, fix] of cases) {
    test(code, () => {
      const error = networkError(coded(code), URL_WITH_SECRET, { timeoutMs: 30_000 });
      assert.match(error.message, message);
      assert.equal(error.code, userCode);
      assert.match(error.fix ?? '', fix);
      assert.ok(!error.line.includes('0b7bd5e2'), 'no secret path in the message');
      assert.ok(!error.line.includes('\n'));
    });
  }

  test('a failed TLS handshake names the plain-http setting of a scheme the backend filled in, and only then', () => {
    const named = networkError(coded('EPROTO'), URL_WITH_SECRET, { plainHttpSetting: 'SREGISTRY_HUB_NOHTTPS' });
    assert.match(named.fix ?? '', /http:\/\/ or https:\/\/.*; if the server speaks plain http, export SREGISTRY_HUB_NOHTTPS=1$/);
    assert.doesNotMatch(networkError(coded('EPROTO'), URL_WITH_SECRET).fix ?? '', /NOHTTPS/);
    // other failures, and a URL already on http, get no such hint
    assert.doesNotMatch(networkError(coded('ECONNREFUSED'), URL_WITH_SECRET, { plainHttpSetting: 'X_NOHTTPS' }).fix ?? '', /NOHTTPS/);
    assert.doesNotMatch(networkError(coded('EPROTO'), 'http://h:1/x', { plainHttpSetting: 'X_NOHTTPS' }).fix ?? '', /NOHTTPS/);
  });

  test('codes are found on nested causes and inside AggregateErrors', () => {
    const aggregate = Object.assign(new AggregateError([coded('ECONNREFUSED')], 'x'), {});
    assert.deepEqual(errorCodes(coded('ERR_BAD', aggregate)), ['ERR_BAD', 'ECONNREFUSED']);
    assert.match(networkError(coded('ERR_NETWORK', coded('ECONNREFUSED')), URL_WITH_SECRET).message, /connection refused/);
  });

  test('an unknown failure names its code, or a scrubbed message', () => {
    assert.match(networkError(coded('EWEIRD'), URL_WITH_SECRET).message, /failed: EWEIRD$/);
    const error = networkError(new Error(`bad thing at ${URL_WITH_SECRET}?token=abc`), URL_WITH_SECRET);
    assert.ok(!error.line.includes('0b7bd5e2'));
    assert.ok(!error.line.includes('abc'));
  });

  test('printable masks URLs inside text and keeps one line', () => {
    assert.equal(
      printable(`GET ${URL_WITH_SECRET} failed\nstack`),
      'GET https://reg.example.org:8443/containers/1/download/*** failed\\u000astack',
    );
  });
});

describe('retry decisions', () => {
  test('transient errors; a refused connection only while retrying', () => {
    assert.equal(isTransientNetworkError(coded('ECONNRESET'), false), true);
    assert.equal(isTransientNetworkError(coded('ETIMEDOUT'), false), true);
    assert.equal(isTransientNetworkError(coded('ECONNREFUSED'), false), false);
    assert.equal(isTransientNetworkError(coded('ECONNREFUSED'), true), true);
    assert.equal(isTransientNetworkError(coded('DEPTH_ZERO_SELF_SIGNED_CERT'), true), false);
    assert.equal(isTransientNetworkError(coded('ENOTFOUND'), true), false);
  });

  test('Retry-After as seconds or a date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(' 0 '), 0);
    assert.equal(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000), 5000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });

  test('Retry-After that is negative, junk or a past date is absent (the caller backs off as usual)', () => {
    const now = Date.parse('Sun, 06 Nov 1994 08:49:37 GMT');
    // the other two HTTP-date forms, and a fraction of a second
    assert.equal(parseRetryAfter('Sunday, 06-Nov-94 08:49:40 GMT', now), 3000);
    // asctime has no zone: Date.parse reads it as local time, on both sides here
    assert.equal(parseRetryAfter('Sun Nov  6 08:49:41 1994', Date.parse('Sun Nov  6 08:49:37 1994')), 4000);
    assert.equal(parseRetryAfter('1.5'), 1500);
    for (const junk of ['-5', '-0', '+5', '5s', '1e3', '2026-12-01', 'Infinity', 'NaN', '', '  ', '0x10', 'Sun, 99 Foo 1994']) {
      assert.equal(parseRetryAfter(junk, now), undefined, JSON.stringify(junk));
    }
    // a date in the past or now: a server whose clock is behind would otherwise have every retry sent at once
    assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now), undefined);
    assert.equal(parseRetryAfter('Sat, 05 Nov 1994 08:49:37 GMT', now), undefined);
  });

  test('backoff doubles and is capped at 8 s', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, 500)),
      [500, 1000, 2000, 4000, 8000, 8000],
    );
  });
});

describe('parseBody', () => {
  test('JSON of every shape; HTML and plain words are text', () => {
    assert.deepEqual(parseBody('400'), { data: 400, text: '400', isJson: true });
    assert.deepEqual(parseBody('\ufeff{}'), { data: {}, text: '{}', isJson: true });
    assert.deepEqual(parseBody('null').isJson, true);
    assert.deepEqual(parseBody('"Upload Complete"').data, 'Upload Complete');
    assert.deepEqual(parseBody('<html>400</html>'), { data: undefined, text: '<html>400</html>', isJson: false });
    assert.deepEqual(parseBody('OK').isJson, false);
    assert.deepEqual(parseBody('{broken').isJson, false);
    assert.deepEqual(parseBody('').isJson, false);
  });
});
