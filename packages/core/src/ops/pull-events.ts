import path from 'node:path';
import type { Output } from '../output/output';
import { createProgressReporter, type ProgressReporter } from '../transfer/progress';

/** What a pull kept (or found already kept). It lives beside the events that carry it: pull.ts imports this file, never the reverse. */
export interface PullResult {
  path: string;
  uri: string;
  version: string;
  backend: string;
  size: number;
  sha256: string;
  format: string;
  created?: boolean;
  cached: boolean;
}

/**
 * What `pullImage` reports while it works, in order: `announce` once, `progress` while bytes arrive and
 * `progress-end` when they stop (also on failure), `info`/`warning`/`debug` lines on the way, and `done` with the
 * result. A library caller gets these only if it passes `onEvent`; `pullPrinter` turns them into the CLI's output.
 */
export type PullEvent =
  /** the backend and database used: the original's first line, `[client|<backend>] [database|<url>]` */
  | { type: 'announce'; backend: string; database: string; line: string; detail?: string }
  | { type: 'progress'; label: string; done: number; total?: number }
  | { type: 'progress-end' }
  | { type: 'info' | 'warning' | 'debug'; message: string }
  /** `shown`: the file as the user named it (--name as given, or the default name in this folder), without the catalogue */
  | { type: 'done'; result: PullResult; shown?: string };

/**
 * What `sregistry pull` prints for each event, on `out` (its level, --quiet and --json decide as for every
 * command): the announce line, a progress bar on a terminal, warnings, and the success lines scripts read
 * (`[container][new] <uri>` and `Success! <path>`, or `Success! <relative path>` without the catalogue).
 */
export function pullPrinter(out: Output): (event: PullEvent) => void {
  let progress: ProgressReporter | undefined;
  return (event) => {
    switch (event.type) {
      case 'announce':
        out.info(event.line);
        if (event.detail) out.debug(event.detail);
        return;
      case 'progress':
        progress ??= createProgressReporter({ label: event.label, enabled: out.progressEnabled, stream: out.stderr });
        progress.update(event.done, event.total);
        return;
      case 'progress-end':
        progress?.done();
        return;
      case 'info':
        out.info(event.message);
        return;
      case 'warning':
        out.warn(event.message);
        return;
      case 'debug':
        out.debug(event.message);
        return;
      case 'done': {
        const { result } = event;
        if (!result.cached) {
          // as the original printed it: the name as given (`Success! custom.sif`, an absolute path as it was typed)
          out.result(`Success! ${event.shown ?? (path.relative(process.cwd(), result.path) || result.path)}`);
          return;
        }
        out.result(`[container][${result.created ? 'new' : 'update'}] ${result.uri}`);
        out.result(`Success! ${result.path}`);
      }
    }
  };
}
