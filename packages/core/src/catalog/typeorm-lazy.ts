// TypeORM on first use: its ~300 modules (one bundled file) cost 30-40 ms of CPU even from the compile cache,
// and only the PostgreSQL catalogue needs them.
import { requireBundled } from '../bundled';
import type * as TypeormPart from './typeorm-entry';

let loaded: typeof TypeormPart | undefined;

/** The built bundle of typeorm-entry.ts when there is one, else its modules (sources run through tsx). */
export function typeormPart(): typeof TypeormPart {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= requireBundled<typeof TypeormPart>(
    () => require('./typeorm-bundle'),
    'typeorm-bundle',
    () => require('./typeorm-entry'),
  );
  return loaded;
}

export const openPostgresDatabase: typeof TypeormPart.openPostgresDatabase = (...args) => typeormPart().openPostgresDatabase(...args);
