import type { ActiveBackend, Session } from './session';

/** `[client|<name>] [database|sqlite:///<path>]`, the original's first line of every remote command. */
export function announce(session: Session, active: ActiveBackend): void {
  if (active.reason === 'default') session.defaultBackendUsed = active.name;
  session.out.info(`[client|${active.name}] [database|${session.databaseUrl}]`);
  const extra = active.backend.describe?.();
  if (extra) session.out.debug(extra);
}
