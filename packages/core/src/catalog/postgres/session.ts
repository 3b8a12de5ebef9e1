import type { QueryRunner } from 'typeorm';

/**
 * Gives a connection that held session-level advisory locks back by closing it: in the pool, its locks would
 * outlive their purpose (pg-pool discards a client released with an error).
 */
export async function discardConnection(runner: QueryRunner): Promise<void> {
  const postgres = runner as QueryRunner & { releasePostgresConnection?: (error?: Error) => Promise<void> };
  if (postgres.releasePostgresConnection) await postgres.releasePostgresConnection(new Error('session-level locks: not reused'));
  else await runner.release();
}
