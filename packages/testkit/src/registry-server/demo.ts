// The demo registry `sregistry-testkit serve` starts with: the collections and images used throughout the
// client spec's transcripts (vanessa/tacos:latest, vanessa/tacolicious:gobacktosleep, private dinosaur/secret),
// as small but real SIF files so a pulled image can be inspected.
import { join } from 'node:path';
import { sampleSif } from '../sif-writer';
import type { RegistryUser, SeedCollection } from './types';

export interface DemoSeed {
  users: RegistryUser[];
  seed: SeedCollection[];
}

/** Writes the demo SIF files into `dir` and returns users and seed for startRegistryServer. */
export async function demoSeed(dir: string, user: RegistryUser): Promise<DemoSeed> {
  // A label per image so every file (and so every md5 version) differs.
  const sif = async (uri: string) =>
    (await sampleSif(join(dir, `${uri.replace(/[/:]/g, '-')}.sif`), { labels: { 'org.sregistry.demo': uri } })).path;
  const tacos = await sif('vanessa/tacos:latest');
  const secret = await sif('dinosaur/secret:latest');
  const tacolicious = await sif('vanessa/tacolicious:gobacktosleep');
  return {
    users: [user],
    // Creation order gives ids 1 (tacos), 2 (secret), 3 (tacolicious), matching the spec's observed transcript.
    seed: [
      { name: 'vanessa', owners: [user.username], containers: [{ name: 'tacos', tag: 'latest', file: tacos }] },
      { name: 'dinosaur', private: true, owners: [user.username], containers: [{ name: 'secret', tag: 'latest', file: secret }] },
      { name: 'vanessa', containers: [{ name: 'tacolicious', tag: 'gobacktosleep', file: tacolicious }] },
    ],
  };
}
