import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  cryptoMessageExtra,
  fakeSquashfs,
  ociDigestExtra,
  SAMPLE_ATTRIBUTES,
  SAMPLE_DEFFILE,
  SAMPLE_UUID,
  SifDataType,
  sampleSif,
  sbomExtra,
  writeSif,
} from '../../testkit/src/sif-writer';
import { GO_ZERO_TIME, readSif } from '../src/sif/index';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sif-reader-'));
after(() => fs.rm(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (name = 'x.sif') => path.join(dir, `${n++}-${name}`);

const FINGERPRINT = '433FE984155206BD962725E20E8713472A879943';
const EPOCH = Date.UTC(2024, 0, 1) / 1000;

test('round trip: every header and descriptor field of a sample SIF comes back', async () => {
  const file = tmp();
  const written = await sampleSif(file, {
    signatures: [{ hashType: 1, fingerprint: FINGERPRINT, data: '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{"version":1}\n' }],
  });
  const info = await readSif(file);

  assert.equal(info.format, 'sif');
  assert.equal(info.size, (await fs.stat(file)).size);
  assert.deepEqual(info.header, {
    launchScript: '#!/usr/bin/env run-singularity\n',
    magic: 'SIF_MAGIC',
    version: '01',
    archCode: '02',
    arch: 'amd64',
    uuid: SAMPLE_UUID,
    createdAt: new Date(EPOCH * 1000),
    modifiedAt: new Date(EPOCH * 1000),
    descriptorsFree: 44,
    descriptorsTotal: 48,
    descriptorsOffset: 4096,
    descriptorsSize: 48 * 585,
    dataOffset: 32176,
    dataSize: written.dataSize,
  });
  assert.equal(info.descriptors.length, 4);
  for (const [i, d] of info.descriptors.entries()) {
    const w = written.objects[i];
    assert.equal(d.slot, i);
    assert.equal(d.id, w.id);
    assert.equal(d.type, w.type);
    assert.equal(d.groupId, w.groupId);
    assert.equal(d.offset, w.offset);
    assert.equal(d.size, w.size);
    assert.equal(d.sizeWithPadding, w.sizeWithPadding);
    assert.equal(d.name, w.name);
    assert.deepEqual(d.createdAt, new Date(EPOCH * 1000));
    assert.deepEqual(d.modifiedAt, new Date(EPOCH * 1000));
  }
  assert.deepEqual(
    info.descriptors.map((d) => [d.typeName, d.groupId, d.link]),
    [
      ['Deffile', 1, null],
      ['GenericJSON', 1, null],
      ['Partition', 1, null],
      ['Signature', 0, { type: 'group', groupId: 1 }],
    ],
  );
  assert.equal(info.descriptors[1].name, 'inspect-metadata.json');
  assert.equal(info.descriptors[2].offset % 4096, 0, 'partitions are aligned');

  assert.equal(info.primaryPartition?.id, 3);
  assert.deepEqual(info.primaryPartition?.partition, {
    fsType: 1,
    fsTypeName: 'Squashfs',
    partType: 2,
    partTypeName: 'PrimSys',
    archCode: '02',
    arch: 'amd64',
  });
  assert.equal(info.arch, 'amd64');
  assert.equal(info.deffile, SAMPLE_DEFFILE);
  assert.equal(info.deffileTruncated, false);
  assert.deepEqual(info.inspectMetadata, {
    labels: SAMPLE_ATTRIBUTES.labels,
    environment: SAMPLE_ATTRIBUTES.environment,
    runscript: SAMPLE_ATTRIBUTES.runscript,
    startscript: null,
    test: null,
    helpfile: SAMPLE_ATTRIBUTES.helpfile,
    apps: {},
  });
  assert.equal(info.labelsObject, null);
  assert.equal(info.envObject, null);
  assert.deepEqual(info.descriptors[3].signature, { hashType: 1, hashName: 'SHA-256', fingerprint: FINGERPRINT });
  assert.deepEqual(info.signatures, { count: 1, types: ['SHA-256'], formats: ['pgp-cleartext'] });
  assert.equal(info.signed, true);
  assert.equal(info.encrypted, false);
  assert.deepEqual(info.warnings, []);
  assert.ok(info.bytesRead > 128 + 48 * 585, 'read at least the header and table');
});

test('an unsigned sample is not signed; the Go zero time and unix 0 are told apart', async () => {
  const file = tmp();
  await sampleSif(file, { createdAt: 0, modifiedAt: null, launchScript: false, uuid: undefined });
  const info = await readSif(file);
  assert.equal(info.signed, false);
  assert.deepEqual(info.signatures, { count: 0, types: [], formats: [] });
  assert.deepEqual(info.header.createdAt, new Date(0));
  assert.equal(info.header.modifiedAt, null, `${GO_ZERO_TIME} is shown as unset`);
  assert.equal(info.descriptors[0].modifiedAt, null);
  assert.equal(info.header.launchScript, '');
  assert.equal(info.header.uuid, '00000000-0000-0000-0000-000000000000');
});

test('each object type has its extra field decoded', async () => {
  const file = tmp();
  const digest = `sha256:${'ab'.repeat(32)}`;
  await writeSif(file, {
    partition: { data: fakeSquashfs(), fsType: 2, partType: 3, arch: 'arm64' },
    labels: { maintainer: 'me', 'org.label-schema.schema-version': '1.0' },
    objects: [
      { type: SifDataType.EnvVar, data: 'export A=1\n' },
      { type: SifDataType.CryptoMessage, data: Buffer.from([1, 2, 3]), extra: cryptoMessageExtra(2, 0x200), link: { objectId: 1 } },
      { type: SifDataType.SBOM, data: '{"spdxVersion":"SPDX-2.3"}', extra: sbomExtra(4), name: 'sbom.spdx.json' },
      { type: SifDataType.OCIRootIndex, data: '{}', extra: ociDigestExtra(digest) },
      { type: SifDataType.OCIBlob, data: '{}', extra: ociDigestExtra(`sha256:${'cd'.repeat(32)}`), groupId: 0 },
      { type: SifDataType.Generic, data: 'raw' },
      { type: 0x4077, data: 'from the future' },
    ],
    signatures: [
      { hashType: 5, fingerprint: null, data: '{"payloadType":"application/vnd.sylabs.sif-metadata+json"}' },
      { hashType: 3, fingerprint: FINGERPRINT, data: '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nSIFHASH:\nabc\n' },
      { hashType: 99, data: 'garbage' },
    ],
  });
  const info = await readSif(file);
  const byType = (name: string) => info.descriptors.filter((d) => d.typeName === name);

  assert.deepEqual(byType('Partition')[0].partition, {
    fsType: 2,
    fsTypeName: 'Ext3',
    partType: 3,
    partTypeName: 'Data',
    archCode: '04',
    arch: 'arm64',
  });
  assert.equal(info.primaryPartition, null, 'a Data partition is not the primary one');
  assert.equal(info.arch, 'unknown', 'no primary partition: the header arch (00) is used');
  assert.deepEqual(info.labelsObject, { maintainer: 'me', 'org.label-schema.schema-version': '1.0' });
  assert.equal(info.envObject, 'export A=1\n');
  assert.deepEqual(byType('CryptoMessage')[0].cryptoMessage, {
    format: 2,
    formatName: 'PEM',
    messageType: 0x200,
    messageTypeName: 'RSA-OAEP',
  });
  assert.deepEqual(byType('CryptoMessage')[0].link, { type: 'object', id: 1 });
  assert.deepEqual(byType('SBOM')[0].sbom, { format: 4, formatName: 'spdx-json' });
  assert.equal(byType('SBOM')[0].name, 'sbom.spdx.json');
  assert.equal(byType('OCIRootIndex')[0].ociDigest, digest);
  assert.equal(byType('OCIBlob')[0].ociDigest, `sha256:${'cd'.repeat(32)}`);
  assert.equal(byType('OCIBlob')[0].groupId, 0);
  const generic = byType('Generic')[0];
  for (const key of ['partition', 'signature', 'cryptoMessage', 'sbom', 'ociDigest']) assert.equal(key in generic, false, key);
  assert.equal(info.descriptors.at(-4)?.typeName, 'unknown (0x4077)');

  const signatures = byType('Signature');
  assert.deepEqual(
    signatures.map((d) => d.signature),
    [
      { hashType: 5, hashName: 'BLAKE2b-256', fingerprint: null },
      { hashType: 3, hashName: 'SHA-512', fingerprint: FINGERPRINT },
      { hashType: 99, hashName: 'unknown (99)', fingerprint: null },
    ],
  );
  assert.deepEqual(info.signatures, {
    count: 3,
    types: ['BLAKE2b-256', 'SHA-512', 'unknown (99)'],
    formats: ['dsse', 'legacy', 'unknown'],
  });
});

test('encrypted primary partitions (fs 5 and 6) are reported as encrypted', async () => {
  for (const [fsType, encrypted] of [
    [5, true],
    [6, true],
    [1, false],
    [4, false],
  ] as const) {
    const file = tmp();
    await writeSif(file, { partition: { data: Buffer.alloc(100), fsType, arch: 's390x' } });
    const info = await readSif(file);
    assert.equal(info.encrypted, encrypted, `fs ${fsType}`);
    assert.equal(info.header.arch, 's390x');
  }
});

test('inspect-metadata.json: apps, non-string values, missing attributes and broken JSON', async () => {
  const file = tmp();
  await writeSif(file, {
    inspectMetadata: {
      labels: { a: 'b', n: 3, nested: { x: 1 } },
      startscript: '#!/bin/sh\n',
      test: 'exit 0',
      apps: { foo: { runscript: 'echo foo', labels: { app: 'foo' } }, bad: 'not an object' },
    },
  });
  const info = await readSif(file);
  assert.deepEqual(info.inspectMetadata?.labels, { a: 'b', n: '3' });
  assert.equal(info.inspectMetadata?.startscript, '#!/bin/sh\n');
  assert.equal(info.inspectMetadata?.test, 'exit 0');
  assert.equal(info.inspectMetadata?.runscript, null);
  assert.deepEqual(info.inspectMetadata?.apps, {
    foo: { labels: { app: 'foo' }, environment: {}, runscript: 'echo foo', startscript: null, test: null, helpfile: null },
  });

  const broken = tmp();
  await writeSif(broken, { inspectMetadata: '{"type":"container", "data": {' });
  const brokenInfo = await readSif(broken);
  assert.equal(brokenInfo.inspectMetadata, null);
  assert.match(brokenInfo.warnings.join('\n'), /inspect-metadata\.json .* is not valid JSON/);

  const shapeless = tmp();
  await writeSif(shapeless, { inspectMetadata: { type: 'container', data: {} } });
  const shapelessInfo = await readSif(shapeless);
  assert.equal(shapelessInfo.inspectMetadata, null);
  assert.match(shapelessInfo.warnings.join('\n'), /no data\.attributes/);
});

test('a SIF with only the header and empty table reads as an empty container', async () => {
  const file = tmp();
  await writeSif(file, {});
  const info = await readSif(file);
  assert.equal(info.size, 32176);
  assert.deepEqual(info.descriptors, []);
  assert.equal(info.header.descriptorsFree, 48);
  assert.equal(info.header.dataSize, 0);
  assert.equal(info.deffile, null);
  assert.equal(info.inspectMetadata, null);
  assert.equal(info.primaryPartition, null);
});

test('unused slots are skipped and ids need not be contiguous', async () => {
  const file = tmp();
  await sampleSif(file);
  const bytes = await fs.readFile(file);
  bytes[4096 + 585 * 1 + 4] = 0; // "delete" object 2 (inspect-metadata.json) by clearing its used flag
  bytes.writeBigInt64LE(46n, 80); // and keep the free count honest
  await fs.writeFile(file, bytes);
  const info = await readSif(file);
  assert.deepEqual(
    info.descriptors.map((d) => d.id),
    [1, 3],
  );
  assert.equal(info.inspectMetadata, null);
  assert.equal(info.primaryPartition?.id, 3);
  assert.deepEqual(info.warnings, []);
});

test('an inconsistent free count is a warning, not an error', async () => {
  const file = tmp();
  await sampleSif(file);
  const bytes = await fs.readFile(file);
  bytes.writeBigInt64LE(48n, 80);
  await fs.writeFile(file, bytes);
  const info = await readSif(file);
  assert.match(info.warnings.join('\n'), /48 free descriptors but 45 are unused/);
});

test('the deffile is read as UTF-8 and cut at the cap without splitting a character', async () => {
  const file = tmp();
  const deffile = `Bootstrap: docker\nFrom: alpine\n%labels\n    Author Zoë 🚀\n${'x'.repeat(100)}`;
  await writeSif(file, { deffile });
  assert.equal((await readSif(file)).deffile, deffile);

  const cut = Buffer.byteLength('Bootstrap: docker\nFrom: alpine\n%labels\n    Author Zoë ') + 2; // inside the rocket's 4 bytes
  const info = await readSif(file, { maxDeffileBytes: cut });
  assert.equal(info.deffileTruncated, true);
  assert.equal(info.deffile, 'Bootstrap: docker\nFrom: alpine\n%labels\n    Author Zoë ');
  assert.match(info.warnings.join('\n'), /only the first/);
});

test('objects above the size cap are not read', async () => {
  const file = tmp();
  await writeSif(file, { inspectMetadata: { labels: { big: 'y'.repeat(5000) } } });
  const info = await readSif(file, { maxObjectBytes: 1000 });
  assert.equal(info.inspectMetadata, null);
  assert.match(info.warnings.join('\n'), /over the 1000-byte limit/);
  assert.ok(info.bytesRead < 128 + 48 * 585 + 1000);
});

test('a 64 MiB partition is not read: bytesRead stays under 1 MiB, and countBytes sees every read', async () => {
  const file = tmp();
  await sampleSif(file, { partition: { data: { size: 64 * 1024 * 1024, fill: 0x5a }, arch: 'amd64' } });
  assert.ok((await fs.stat(file)).size > 64 * 1024 * 1024);
  let tally = 0;
  const info = await readSif(file, { countBytes: (bytes) => (tally += bytes) });
  assert.equal(info.primaryPartition?.size, 64 * 1024 * 1024);
  assert.ok(info.bytesRead < 1024 * 1024, `read ${info.bytesRead} bytes`);
  assert.equal(tally, info.bytesRead);
  // header + table + deffile + inspect-metadata.json, and nothing else
  const expected = 128 + 48 * 585 + (info.descriptors[0].size + info.descriptors[1].size);
  assert.equal(info.bytesRead, expected);
});

test('a larger descriptor table is honoured (the header values are used, not the defaults)', async () => {
  const file = tmp();
  await writeSif(file, { descriptorsTotal: 100, deffile: 'Bootstrap: scratch\n' });
  const info = await readSif(file);
  assert.equal(info.header.descriptorsTotal, 100);
  assert.equal(info.header.dataOffset, 4096 + 100 * 585);
  assert.equal(info.descriptors[0].offset, 4096 + 100 * 585);
  assert.equal(info.deffile, 'Bootstrap: scratch\n');
});
