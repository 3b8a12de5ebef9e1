import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactHeaders, redactUrl, urlOrigin } from '../src/transfer/index';

describe('redactUrl', () => {
  test('a uuid path segment (the registry collection secret) is masked', () => {
    assert.equal(
      redactUrl('https://reg.example.org/containers/12/download/0b7bd5e2-7c7e-4d1e-9f6b-2b1d3c4a5e6f'),
      'https://reg.example.org/containers/12/download/***',
    );
  });

  test('32+ hex characters are masked, shorter hex and ordinary words are kept', () => {
    assert.equal(redactUrl('http://h:8000/share/0123456789abcdef0123456789ABCDEF/x'), 'http://h:8000/share/***/x');
    assert.equal(redactUrl('http://h/a/5027225717bf0030465db1e7099e496022c42181'), 'http://h/a/***');
    assert.equal(redactUrl('http://h/api/container/vanessa/tacos:latest'), 'http://h/api/container/vanessa/tacos:latest');
    assert.equal(redactUrl('http://h/v/1f5cb9ef'), 'http://h/v/1f5cb9ef');
  });

  test('query values and userinfo are removed, keys kept, fragment dropped', () => {
    assert.equal(
      redactUrl('https://user:pass@storage.example.com/b/o.sif?X-Goog-Signature=abc&X-Goog-Expires=600&flag#frag'),
      'https://storage.example.com/b/o.sif?X-Goog-Signature=***&X-Goog-Expires=***&flag',
    );
  });

  test('plain query values stay readable (?arch=, ?n=, ?value=), credential-named or -shaped ones do not', () => {
    assert.equal(
      redactUrl('https://lib.example.org/v1/imagefile/e/c/n:latest?arch=amd64&n=100&value=alpine'),
      'https://lib.example.org/v1/imagefile/e/c/n:latest?arch=amd64&n=100&value=alpine',
    );
    assert.equal(
      redactUrl('https://h/cb?code=4f1a&otp=123456&state=averyveryverylongvalue&access_token=x'),
      'https://h/cb?code=***&otp=***&state=***&access_token=***',
    );
    assert.equal(redactUrl('https://h/x?arch=amd64&n=1', { allQuery: true }), 'https://h/x?arch=***&n=***');
  });

  test('an unparseable URL is masked best effort', () => {
    const out = redactUrl('//user:pw@host/0b7bd5e2-7c7e-4d1e-9f6b-2b1d3c4a5e6f?token=x');
    assert.ok(!out.includes('0b7bd5e2'));
    assert.ok(!out.includes('token=x'));
  });

  test("an image URI's path is its name: long hex and uuid names are kept; a bare path and a web URL's are still masked", async () => {
    const hex = 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef';
    assert.equal(redactUrl(`oras://127.0.0.1:5000/demo/${hex}`), `oras://127.0.0.1:5000/demo/${hex}`);
    assert.equal(redactUrl(`library://${'a'.repeat(300)}/x:1`), `library://${'a'.repeat(300)}/x:1`);
    assert.equal(redactUrl(`oras://u:pw@h/${hex}?token=s3cr3t`), `oras://h/${hex}?token=***`, 'userinfo and query still go');
    assert.equal(redactUrl(`/v2/demo/blobs/uploads/0b7bd5e2-7c7e-4d1e-9f6b-2b1d3c4a5e6f`), '/v2/demo/blobs/uploads/***');
    assert.equal(redactUrl(`HTTPS://h/${hex}`), 'https://h/***');
    assert.equal(redactUrl(`wss://h/${hex}`), 'wss://h/***');
    const { redactText } = await import('../src/transfer/redact');
    assert.equal(
      redactText(`check the name and tag: sregistry search oras://127.0.0.1:5000/demo/${hex}`),
      `check the name and tag: sregistry search oras://127.0.0.1:5000/demo/${hex}`,
    );
    assert.equal(redactText(`see https://h/d/${hex} now`), 'see https://h/d/*** now');
  });

  test('in free text, a URL that needs no mask keeps its spelling (a cut name is not percent-encoded)', async () => {
    const { redactText } = await import('../src/transfer/redact');
    const cut = 'Invalid image name "oras://127.0.0.1:5000/aaaa… (107 more characters)"';
    assert.equal(redactText(cut), cut);
    assert.equal(redactText('a b https://h/x%20y?arch=amd64 c'), 'a b https://h/x%20y?arch=amd64 c');
    assert.equal(redactText('at https://u:p@h/é'), 'at https://h/%C3%A9', 'a masked URL is the parser’s spelling');
    assert.equal(redactText('open https://h/page#access_token=abc'), 'open https://h/page', 'a fragment is dropped');
  });

  test('percent-encoded secrets are caught too', () => {
    assert.equal(redactUrl('http://h/d/0b7bd5e2%2D7c7e-4d1e-9f6b-2b1d3c4a5e6f'), 'http://h/d/***');
  });

  test('in free text, credential-shaped query values are masked and plain ones kept', async () => {
    const { redactText } = await import('../src/transfer/redact');
    assert.equal(redactText('browse https://datasets.datalad.org/?dir=/shub now'), 'browse https://datasets.datalad.org/?dir=/shub now');
    assert.equal(
      redactText('see https://s3.example.com/b/o.sif?X-Amz-Signature=abc&X-Amz-Expires=600&part=2 and'),
      'see https://s3.example.com/b/o.sif?X-Amz-Signature=***&X-Amz-Expires=***&part=2 and',
    );
    assert.equal(redactText('https://h/x?sig=a&id=0123456789abcdef0123'), 'https://h/x?sig=***&id=***');
  });

  test('in free text, credential pairs and quoted JSON members are masked; prose after "token:" is kept', async () => {
    const { redactText } = await import('../src/transfer/redact');
    assert.equal(
      redactText('bad login token=supersecretvalue123 password=hunter2; api_key=k1 user=alice'),
      'bad login token=*** password=***; api_key=*** user=alice',
    );
    assert.equal(
      redactText('{"password": "hunter2", "user": "alice", "access_token":"a\\"b"}'),
      '{"password": "***", "user": "alice", "access_token":"***"}',
    );
    assert.equal(redactText('invalid token: signature has expired'), 'invalid token: signature has expired');
    assert.equal(redactText('set SREGISTRY_LIBRARY_TOKEN=... first'), 'set SREGISTRY_LIBRARY_TOKEN=... first');
  });

  test('a masked value does not eat the closing bracket (and punctuation) of the enclosing text', async () => {
    const { redactText } = await import('../src/transfer/redact');
    assert.equal(
      redactText('refused the token (HTTP 401: Authentication required: send Authorization: Bearer <token>)'),
      'refused the token (HTTP 401: Authentication required: send Authorization: ***)',
    );
    assert.equal(redactText('(sent Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl).'), '(sent Authorization: ***).');
    assert.equal(redactText('[a password=hunter2(x)] next'), '[a password=***] next');
    assert.equal(redactText('x (token=abc123)), y'), 'x (token=***), y', 'only as many as the text opened');
    // no open bracket before it: the value is masked whole, its last characters are not shown
    assert.equal(redactText('password=hunter2)'), 'password=***');
    assert.equal(redactText('Authorization: Basic dXNlcjpwYXNz).'), 'Authorization: ***');
    assert.equal(redactText('(Authorization: Basic dXNlcjpwYXNz.)'), '(Authorization: ***)', 'a dot before the bracket stays masked');
    // a bracket of the value's own stays masked with it
    assert.equal(redactText('(password=a(b))'), '(password=***)');
    for (const t of ['(Authorization: Bearer s3cr3t-t0ken-value)', '(password=s3cr3t-t0ken-value)']) {
      assert.ok(!redactText(t).includes('s3cr3t'), t);
    }
  });

  test('urlOrigin keeps scheme, host and port only', () => {
    assert.equal(urlOrigin('http://u:p@127.0.0.1:5000/containers/1/download/s?x=1'), 'http://127.0.0.1:5000');
  });
});

describe('redactHeaders', () => {
  test('credentials are masked in any letter case, other headers copied', () => {
    const input = {
      Authorization: 'Bearer abc',
      cookie: 'csrftoken=1',
      'Proxy-Authorization': 'Basic x',
      'Content-Type': 'application/json',
      Accept: ['a', 'b'],
    };
    const out = redactHeaders(input);
    assert.deepEqual(out, {
      Authorization: '***',
      cookie: '***',
      'Proxy-Authorization': '***',
      'Content-Type': 'application/json',
      Accept: 'a, b',
    });
    assert.equal(input.Authorization, 'Bearer abc', 'the input is not changed');
  });

  test('undefined headers give an empty object', () => {
    assert.deepEqual(redactHeaders(undefined), {});
  });
});
