// The demo library `sregistry-testkit serve-library` starts with: a public image in two arches, a second tag, and
// a private collection, as small but real SIF files so a pulled image can be inspected.
import { join } from 'node:path';
import { sampleSif } from '../fixtures/sample-sif';
import { SifFsType, SifPartType } from '../fixtures/sif-layout';
import { fakeSquashfs } from '../fixtures/squashfs';
import type { LibrarySeedImage } from './types';

/** Writes the demo SIF files into `dir`; `user` owns every entity seeded. */
export async function demoLibrarySeed(dir: string, user: string): Promise<LibrarySeedImage[]> {
  const sif = async (ref: string, arch = 'amd64') =>
    (
      await sampleSif(join(dir, `${ref.replace(/[/:,]/g, '-')}-${arch}.sif`), {
        labels: { 'org.sregistry.demo': `${ref} ${arch}` },
        partition: { data: fakeSquashfs({ size: 4096 }), fsType: SifFsType.Squashfs, partType: SifPartType.PrimSys, arch },
      })
    ).path;
  const hello = `${user}/demo/hello:latest,v1.0`;
  const secret = `${user}/secret/thing:latest`;
  return [
    { ref: hello, file: await sif(hello) },
    { ref: `${user}/demo/hello:latest`, file: await sif(hello, 'arm64'), arch: 'arm64' },
    { ref: secret, file: await sif(secret), private: true },
  ];
}
