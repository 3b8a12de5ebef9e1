import { mkdtempSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { addToMaterial, emptyKeyMaterial, type KeyMaterial, parseKeys } from '../src/sif/signature/index';

/** The reference signer's images and keys, beside the repository (never copied into it). */
export const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'sif-signatures');
export const fixture = (name: string) => path.join(FIXTURES, name);

export const PGP_FINGERPRINT = '12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84';
export const ED25519_KEYID = 'SHA256:x6l8ZblpSSXGaPMCzySedWg88BwIFcz8jlPb6el0mFs';
export const RSA_KEYID = 'SHA256:BhCwr7qZulYcOMSl2Jt2DuYHxHNnN6th4NdMqR/PGa4';

/** Key material from fixture key files. */
export async function fixtureKeys(...names: string[]): Promise<KeyMaterial> {
  const keys = emptyKeyMaterial();
  for (const name of names) addToMaterial(keys, await parseKeys(await fs.readFile(fixture(name)), name), name);
  return keys;
}

/** A temp folder removed when the test file ends. */
export function tempDir(prefix: string): (name: string) => string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => fs.rm(dir, { recursive: true, force: true }));
  let n = 0;
  return (name: string) => path.join(dir, `${n++}-${name}`);
}

/** A copy of a fixture with the byte at `offset` inverted. */
export async function flipped(source: string, offset: number, dest: string): Promise<string> {
  const bytes = await fs.readFile(source);
  bytes[offset] = bytes[offset]! ^ 0xff;
  await fs.writeFile(dest, bytes);
  return dest;
}
