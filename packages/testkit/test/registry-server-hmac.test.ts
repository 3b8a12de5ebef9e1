// SREGISTRY-HMAC-SHA256: the published vectors (client-spec §6.2) and the server's verification rules (§2.2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hmacPayload, hmacSignature, hmacTimestamp, MalformedAuthHeader, signRequest, verifyRequest } from '../src/registry-server/hmac';
import { normalizeCollectionName } from '../src/registry-server/names';

const TS = '20261127T05Z';
const AT = new Date(Date.UTC(2026, 10, 27, 5, 42, 17));
const dino = { username: 'dinosaur', token: 'testtoken123' };

describe('hmac vectors (client-spec §6.2)', () => {
  const vectors = {
    push: 'b698af2d438d455ed2c75df148f7aadca55d949bf7590149c6bf60dc179a882e',
    upload: '665a1dcb2a5fbf8a37978416e7a6c55000f785c9f5ceb2e408ea7d8cd65c8cdf',
    pull: 'de06505edcf5f3efdfbb47992e815e56371b0b3dcd11347c447ac5b7b893b57b',
    delete: 'bbb2138674c1c348f33f0402b3a8b79c756c6eddf7c36620541765144df9030b',
  } as const;

  it('formats the hour timestamp and the payload with its trailing pipe', () => {
    assert.equal(hmacTimestamp(AT), TS);
    assert.equal(hmacPayload('push', 'vanessa', TS, 'tacos', 'latest'), 'push|vanessa|20261127T05Z|tacos|latest|');
  });

  for (const [kind, signature] of Object.entries(vectors)) {
    it(`signs the ${kind} vector`, () => {
      assert.equal(hmacSignature('testtoken123', hmacPayload(kind, 'vanessa', TS, 'tacos', 'latest')), signature);
      const header = signRequest(kind, { ...dino, collection: 'vanessa', name: 'tacos', tag: 'latest', date: AT });
      assert.equal(header, `SREGISTRY-HMAC-SHA256 Credential=${kind}/ZGlub3NhdXI=/${TS},Signature=${signature}`);
    });
  }

  it('signs the milkshakes/pudding vector', () => {
    const token = '5027225717bf0030465db1e7099e496022c42181';
    assert.equal(
      hmacSignature(token, 'push|milkshakes|20230620T14Z|pudding|banana|'),
      'ca375ba84ff38451eb0a7420564b21ee91bd9efc1dfb43fabd2aa45a51003def',
    );
  });
});

describe('verifyRequest', () => {
  const tokenFor = (u: string) => (u === 'dinosaur' ? 'testtoken123' : undefined);
  const input = { kind: 'pull' as const, collection: 'vanessa', name: 'tacos', tag: 'latest', now: AT, tokenFor };
  const sign = (over: Partial<Parameters<typeof signRequest>[1]> = {}, kind = 'pull') =>
    signRequest(kind, { ...dino, collection: 'vanessa', name: 'tacos', date: AT, ...over });

  it('accepts a correct header and defaults the tag to latest when signing', () => {
    assert.equal(verifyRequest(sign(), input), true);
  });

  it('rejects another hour, even one second later across the boundary', () => {
    assert.equal(
      verifyRequest(sign({ date: new Date(Date.UTC(2026, 10, 27, 5, 59, 59)) }), {
        ...input,
        now: new Date(Date.UTC(2026, 10, 27, 6, 0, 0)),
      }),
      false,
    );
  });

  it('rejects the wrong kind, an unknown user, a wrong token and another scheme', () => {
    assert.equal(verifyRequest(sign({}, 'push'), input), false);
    assert.equal(verifyRequest(sign({ username: 'bob' }), input), false);
    assert.equal(verifyRequest(sign({ token: 'nope' }), input), false);
    assert.equal(verifyRequest(sign().replace('SREGISTRY-HMAC-SHA256', 'HMAC'), input), false);
    assert.equal(verifyRequest('Bearer abc', input), false);
  });

  it('rejects a header missing Signature but throws where the server parser crashes', () => {
    assert.equal(verifyRequest(`SREGISTRY-HMAC-SHA256 Credential=pull/ZGlub3NhdXI=/${TS}`, input), false);
    assert.throws(() => verifyRequest('SREGISTRY-HMAC-SHA256 nonsense', input), MalformedAuthHeader);
    // A space after the comma makes three words: the server's two-way split fails.
    assert.throws(() => verifyRequest(sign().replace(',', ', '), input), MalformedAuthHeader);
    assert.throws(() => verifyRequest(`SREGISTRY-HMAC-SHA256 Credential=pull/${TS},Signature=x`, input), MalformedAuthHeader);
  });
});

describe('normalizeCollectionName', () => {
  it('turns non-alphanumeric runs into "-", trims and lower-cases', () => {
    assert.equal(normalizeCollectionName('Bob_Coll.X'), 'bob-coll-x');
    assert.equal(normalizeCollectionName('__My  Stuff!!__'), 'my-stuff');
    assert.equal(normalizeCollectionName('vanessa'), 'vanessa');
  });
});
