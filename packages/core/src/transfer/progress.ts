// Progress bars for pulls and pushes (client-spec §1.1): drawn on a terminal only, never with --quiet or --json,
// so piped output and JSON stay clean. The original's bars (an '=' bar with a percentage) are kept in spirit and
// gain real byte counts, speed and ETA.
import type { SingleBar } from 'cli-progress';

export interface ProgressReporter {
  /** bytes done so far; `total` may arrive late (it is known only once the server answered) */
  update(done: number, total?: number): void;
  /** ends the bar (idempotent) */
  done(): void;
}

export interface ProgressOptions {
  label: string;
  total?: number;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** the caller's decision, normally shouldShowProgress(...) */
  enabled: boolean;
}

const MIB = 1024 * 1024;
const NOOP: ProgressReporter = { update() {}, done() {} };

/** A bar is shown only on a terminal, and never with --quiet or --json. */
export function shouldShowProgress(options: { quiet?: boolean; json?: boolean; stream?: { isTTY?: boolean } }): boolean {
  const stream = options.stream ?? process.stderr;
  return !options.quiet && !options.json && Boolean(stream.isTTY);
}

function mib(bytes: number): string {
  return (bytes / MIB).toFixed(1);
}

export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  if (!options.enabled) return NOOP;
  const stream = options.stream ?? process.stderr;
  let total = options.total;
  let bar: SingleBar | undefined;
  let startedAt = 0;
  let finished = false;

  const payload = (done: number) => {
    const seconds = (Date.now() - startedAt) / 1000;
    return { speed: seconds > 0.2 ? mib(done / seconds) : '-', doneMiB: mib(done), totalMiB: total === undefined ? '?' : mib(total) };
  };

  return {
    update(done, newTotal) {
      if (finished) return;
      if (newTotal !== undefined && newTotal !== total) {
        total = newTotal;
        bar?.setTotal(total);
      }
      if (!bar) {
        startedAt = Date.now();
        // loaded only when a bar is really drawn (a terminal): pipes and --json never pay for it
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { Format, SingleBar } = require('cli-progress') as typeof import('cli-progress');
        bar = new SingleBar({
          stream,
          fps: 10,
          barsize: 30,
          barCompleteChar: '=',
          barIncompleteChar: '-',
          hideCursor: null,
          // `enabled` is the caller's decision: draw even where cli-progress would guess otherwise.
          noTTYOutput: !stream.isTTY,
          notTTYSchedule: 2000,
          etaBuffer: 40,
          format: (barOptions, params, data: Record<string, string>) => {
            const head = `${options.label} `;
            const tail = `${data.doneMiB}/${data.totalMiB} MiB  ${data.speed} MiB/s`;
            if (!params.total) return `${head}${tail}`;
            const pct = `${(Math.min(1, params.progress) * 100).toFixed(1).padStart(5)}%`;
            const eta = Number.isFinite(params.eta) && params.progress < 1 ? `  ETA ${Format.TimeFormat(params.eta, barOptions, 1)}` : '';
            return `${head}|${Format.BarFormat(Math.min(1, params.progress), barOptions)}| ${pct}  ${tail}${eta}`;
          },
        });
        bar.start(total ?? 0, done, payload(done));
        return;
      }
      bar.update(done, payload(done));
    },
    done() {
      if (finished) return;
      finished = true;
      bar?.stop();
    },
  };
}
