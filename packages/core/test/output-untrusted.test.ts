// The one rule for text from outside: credentials masked, control characters escaped, length capped, one line;
// the same rule for --json (valid JSON, same data, nothing raw) and for what the catalogue stores.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeControls, jsonText, MAX_JSON_DEPTH, printable, redactJson } from '../src/output/untrusted';
import { redactText, rememberSecret } from '../src/transfer/redact';

const RAW = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test('printable escapes C0, C1, DEL, bidi overrides and isolates, and newlines', () => {
  const hostile = 'a\u001b]0;title\u0007b\u009b2J\u007f\u202eevil\u2066x\u2069\u200f\r\nERROR forged\u2028';
  const shown = printable(hostile);
  assert.doesNotMatch(shown, RAW);
  assert.equal(shown.split('\n').length, 1);
  assert.match(shown, /\\u001b\]0;title\\u0007b\\u009b2J\\u007f\\u202eevil/);
  assert.equal(printable(shown), shown, 'escaping twice changes nothing');
});

test('printable caps long text and says how much was left out', () => {
  const shown = printable('x'.repeat(5_000_000));
  assert.ok(shown.length < 260, String(shown.length));
  assert.match(shown, /… \(4999800 more characters\)$/);
  assert.equal(printable('x'.repeat(300), { max: 0 }).length, 300, 'max 0: no cap');
  // a surrogate pair is never cut in half
  assert.doesNotMatch(printable(`${'x'.repeat(199)}😀tail`), /\ud83d(?!\ude00)/);
});

test('redactText masks HMAC values, echoed headers, Bearer/Basic/Token values, signed URLs and held secrets', () => {
  const cases: [string, RegExp][] = [
    [
      'echo SREGISTRY-HMAC-SHA256 Credential=push/ZGlub3NhdXI=/20261127T05Z,Signature=9f86d081884c7d659a2feaa0c55ad015',
      /echo SREGISTRY-HMAC-SHA256 \*\*\*$/,
    ],
    ['Authorization: SREGISTRY-HMAC-SHA256 Credential=a,Signature=b for url', /^Authorization: \*\*\* for url$/],
    ['{"authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"}', /^\{"authorization": "\*\*\*"\}$/],
    ['sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc and Basic ZGlubzpwYXNzd29yZA==', /^sent Bearer \*\*\* and Basic \*\*\*$/],
    ['Token c0ffee5eed1e55ca1ab1ec0de7a57e11deadbea7 refused', /^Token \*\*\* refused$/],
    [
      'see https://s3.example/bucket/obj?X-Amz-Signature=abc&X-Amz-Credential=def now',
      /^see https:\/\/s3\.example\/bucket\/obj\?X-Amz-Signature=\*\*\*&X-Amz-Credential=\*\*\* now$/,
    ],
    ['Set-Cookie: csrftoken=abc; sessionid=def', /^Set-Cookie: \*\*\*$/],
  ];
  for (const [text, expected] of cases) assert.match(redactText(text), expected, text);
  // the sentence around a URL keeps its punctuation; a URL's own characters stay with it
  for (const text of [
    'cannot reach https://cloud.sylabs.io: the host name cloud.sylabs.io was not found',
    'cannot reach http://127.0.0.1:5056: connection refused',
    'see https://example.org/docs/a.html.',
    'the registry (http://127.0.0.1:8080/v2/), then https://ghcr.io, failed; retry?',
    'a bare origin https://example.org and a path https://example.org/x/',
  ])
    assert.equal(redactText(text), text);
  assert.equal(
    redactText('retry https://s3.example/o?X-Amz-Signature=abc, expired.'),
    'retry https://s3.example/o?X-Amz-Signature=***, expired.',
  );
  // prose about tokens stays readable
  assert.equal(redactText('Invalid token header. No credentials provided.'), 'Invalid token header. No credentials provided.');
  rememberSecret('0123456789abcdef-held-secret');
  assert.equal(redactText('the server says 0123456789abcdef-held-secret is wrong'), 'the server says *** is wrong');
});

test('redactJson keeps a secret-named field that names a place (secretsFile, tokenPath), redacting its text', () => {
  rememberSecret('held-secret-in-a-path-0042');
  assert.deepEqual(
    redactJson({ secretsFile: '/home/u/.sregistry', tokenPath: '/run/held-secret-in-a-path-0042', token: 'abc', secretFilename: 'x' }),
    { secretsFile: '/home/u/.sregistry', tokenPath: '/run/***', token: '***', secretFilename: '***' },
  );
});

test('redactJson masks secret-named fields and strings, keeps order and the rest, and cuts hostile depth', () => {
  const value = { b: 1, metadata: { pushSecret: 'abc123', arch: 'amd64', token: 7 }, a: 'Bearer abcdefgh1234', list: [{ password: 'x' }] };
  const out = redactJson(value) as typeof value;
  assert.deepEqual(Object.keys(out), ['b', 'metadata', 'a', 'list']);
  assert.deepEqual(out, {
    b: 1,
    metadata: { pushSecret: '***', arch: 'amd64', token: '***' },
    a: 'Bearer ***',
    list: [{ password: '***' }],
  });
  let deep: unknown = 1;
  for (let i = 0; i < 4500; i++) deep = { d: deep };
  let cut = false;
  const trimmed = redactJson(deep, () => {
    cut = true;
  });
  assert.ok(cut);
  assert.doesNotThrow(() => JSON.stringify(trimmed));
  assert.match(JSON.stringify(trimmed), new RegExp(`nested deeper than ${MAX_JSON_DEPTH} levels`));
});

test('jsonText: valid JSON with the same data, no raw control character', () => {
  const value = { name: 'a\u001b[2J\u009b\u202eb', nested: ['\u2066x\u2069'] };
  const text = jsonText(value);
  assert.doesNotMatch(text, RAW.source.includes('\\n') ? RAW : /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  assert.deepEqual(JSON.parse(text), value);
  assert.equal(escapeControls('a\tb\nc', { keepLayout: true }), 'a\tb\nc');
});
