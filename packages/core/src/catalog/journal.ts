import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NewImageRow } from '../contracts/database';
import type { ImageRecord } from '../contracts/records';
import { syncDir, writeFileAtomic } from '../settings/atomic-write';

/** What a multi-step change is about to do; enough for recovery to finish or undo it (see catalog.ts). */
export type IntentBody =
  | { op: 'add'; source: string; dest: string; copy: boolean; row: NewImageRow; replaces?: string }
  | {
      op: 'move';
      id: number;
      from: string;
      to: string;
      changes: Partial<Pick<ImageRecord, 'collection' | 'name' | 'tag' | 'uri' | 'image'>>;
    }
  | { op: 'remove'; id: number; file: string };

export type Intent = IntentBody & { pid: number; host: string; startedAt: string };

export interface PendingIntent {
  file: string;
  intent: Intent;
}

/**
 * A folder of small JSON files, one per change in flight. Each is written whole (temp file, fsync, rename)
 * before the change starts and removed after it committed.
 */
export class Journal {
  /** intents of this process that are still in progress (several catalogues may be open in one process) */
  private static readonly inFlight = new Set<string>();

  constructor(readonly dir: string) {}

  async begin(body: IntentBody): Promise<string> {
    const intent: Intent = { ...body, pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
    const file = path.join(this.dir, `${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}.json`);
    Journal.inFlight.add(file);
    try {
      await writeFileAtomic(file, `${JSON.stringify(intent)}\n`);
    } catch (error) {
      Journal.inFlight.delete(file);
      throw error;
    }
    return file;
  }

  async end(file: string): Promise<void> {
    await fs.rm(file, { force: true });
    await syncDir(this.dir);
    Journal.inFlight.delete(file);
  }

  /** Leaves the intent for recovery: the change failed half-way in this process. */
  release(file: string): void {
    Journal.inFlight.delete(file);
  }

  /** Intents left by processes that are no longer running (those of live processes are still in progress). */
  async abandoned(): Promise<PendingIntent[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const found: PendingIntent[] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
      const file = path.join(this.dir, name);
      let intent: Intent;
      try {
        intent = JSON.parse(await fs.readFile(file, 'utf8')) as Intent;
      } catch {
        continue; // written whole or not at all; unreadable means another process just removed it
      }
      if (isRunning(intent, Journal.inFlight.has(file))) continue;
      found.push({ file, intent });
    }
    return found;
  }
}

function isRunning(intent: Intent, inFlightHere: boolean): boolean {
  if (intent.host !== os.hostname()) return true; // a shared folder: only its own host can judge its processes
  if (intent.pid === process.pid) return inFlightHere; // otherwise a dead process whose pid we reuse
  try {
    process.kill(intent.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
