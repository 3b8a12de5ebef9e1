import type { ActiveBackend, Session } from './session';

/**
 * `[client|<name>] [database|sqlite:///<path>]`, the original's first line of every remote command, and the
 * backend's own description (a debug line); notes that the default backend was used, for the CLI's hint.
 */
export function announcement(
  session: Session,
  active: ActiveBackend,
): { backend: string; database: string; line: string; detail?: string } {
  if (active.reason === 'default') session.defaultBackendUsed = active.name;
  const detail = active.backend.describe?.();
  const line = `[client|${active.name}] [database|${session.databaseUrl}]`;
  return { backend: active.name, database: session.databaseUrl, line, ...(detail ? { detail } : {}) };
}

/** The lines each session (one command) has announced: a command that reaches its backend twice says so once. */
const announced = new WeakMap<Session, Set<string>>();

/**
 * Prints the announcement on the session's output (the remote commands other than pull, which reports events),
 * once per command and backend: `delete` announces before its question and does not repeat it when deleting.
 */
export function announce(session: Session, active: ActiveBackend): void {
  const { line, detail } = announcement(session, active);
  const lines = announced.get(session) ?? new Set<string>();
  announced.set(session, lines);
  if (lines.has(line)) return;
  lines.add(line);
  session.out.info(line);
  if (detail) session.out.debug(detail);
}

/**
 * The same line for the local commands the original announced too, `mv`, `rename` and `rm` (client-spec §2.8-2.10;
 * `rmi` is our half of the original's `rm`): the backend is named as selected, never loaded, since they do not use
 * it. Hidden by --quiet and --json, as every announce line.
 */
export function announceLocal(session: Session, uri?: string): void {
  session.out.info(`[client|${session.selection(uri).name}] [database|${session.databaseUrl}]`);
}
