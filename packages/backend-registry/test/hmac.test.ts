import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authorizationHeader, hmacTimestamp, normaliseCollection, signature, signaturePayload } from '../src/hmac';

// client-spec §6.2: token testtoken123, user dinosaur, 2026-11-27 05:xx UTC, vanessa/tacos:latest
const AT = new Date('2026-11-27T05:42:13Z');
const FIELDS = { username: 'dinosaur', token: 'testtoken123', collection: 'vanessa', name: 'tacos', tag: 'latest', date: AT };

test('the timestamp is the UTC hour as YYYYMMDDTHHZ', () => {
  assert.equal(hmacTimestamp(AT), '20261127T05Z');
  // a local-time offset in the input must not leak into the timestamp
  assert.equal(hmacTimestamp(new Date('2026-11-26T23:59:59-06:00')), '20261127T05Z');
  assert.equal(hmacTimestamp(new Date('2027-01-02T00:00:00Z')), '20270102T00Z');
});

test('the payload is kind|collection|timestamp|name|tag| with a trailing pipe', () => {
  assert.equal(signaturePayload('push', FIELDS), 'push|vanessa|20261127T05Z|tacos|latest|');
});

test('the published vectors: push, upload, pull, delete', () => {
  assert.equal(signature('push', FIELDS), 'b698af2d438d455ed2c75df148f7aadca55d949bf7590149c6bf60dc179a882e');
  assert.equal(signature('upload', FIELDS), '665a1dcb2a5fbf8a37978416e7a6c55000f785c9f5ceb2e408ea7d8cd65c8cdf');
  assert.equal(signature('pull', FIELDS), 'de06505edcf5f3efdfbb47992e815e56371b0b3dcd11347c447ac5b7b893b57b');
  assert.equal(signature('delete', FIELDS), 'bbb2138674c1c348f33f0402b3a8b79c756c6eddf7c36620541765144df9030b');
});

test('the published milkshakes/pudding vector', () => {
  const fields = {
    username: 'anyone',
    token: '5027225717bf0030465db1e7099e496022c42181',
    collection: 'milkshakes',
    name: 'pudding',
    tag: 'banana',
    date: new Date('2023-06-20T14:05:00Z'),
  };
  assert.equal(signaturePayload('push', fields), 'push|milkshakes|20230620T14Z|pudding|banana|');
  assert.equal(signature('push', fields), 'ca375ba84ff38451eb0a7420564b21ee91bd9efc1dfb43fabd2aa45a51003def');
});

test('the Authorization value has base64 user, the timestamp and no spaces after the comma', () => {
  assert.equal(
    authorizationHeader('pull', FIELDS),
    'SREGISTRY-HMAC-SHA256 Credential=pull/ZGlub3NhdXI=/20261127T05Z,Signature=de06505edcf5f3efdfbb47992e815e56371b0b3dcd11347c447ac5b7b893b57b',
  );
});

test('collections are normalised like the server does', () => {
  assert.equal(normaliseCollection('Bob_Coll.X'), 'bob-coll-x');
  assert.equal(normaliseCollection('--my..coll__'), 'my-coll');
  assert.equal(normaliseCollection('vanessa'), 'vanessa');
  assert.equal(normaliseCollection('a b/c'), 'a-b-c');
  assert.equal(normaliseCollection('___'), '');
});
