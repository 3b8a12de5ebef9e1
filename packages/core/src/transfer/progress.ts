// Progress bars for pulls and pushes (client-spec §1.1): drawn on a terminal only, never with --quiet or --json,
// so piped output and JSON stay clean. The original's bars (an '=' bar with a percentage) are kept in spirit and
// gain real byte counts, speed and ETA.
import type { SingleBar } from 'cli-progress';
import type { OutputSink } from '../output/output';

export interface ProgressReporter {
  /** bytes done so far; `total` may arrive late (it is known only once the server answered) */
  update(done: number, total?: number): void;
  /** ends the bar (idempotent) */
  done(): void;
}

export interface ProgressOptions {
  label: string;
  total?: number;
  /** where bars are drawn: a terminal's stream (a sink without isTTY, as a script gives Output, never gets one) */
  stream?: OutputSink;
  /** the caller's decision, normally shouldShowProgress(...) */
  enabled: boolean;
}

const MIB = 1024 * 1024;
/** the widest bar drawn; a narrower terminal gets a shorter one */
const MAX_BAR = 40;
const MIN_BAR = 5;
/** the fewest label columns worth keeping the ETA for */
const MIN_LABEL = 12;
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
          // a stream whenever a bar is drawn: only a terminal's (isTTY) is given one
          stream: stream as NodeJS.WritableStream,
          fps: 10,
          barsize: MAX_BAR,
          barCompleteChar: '=',
          barIncompleteChar: '-',
          hideCursor: null,
          // `enabled` is the caller's decision: draw even where cli-progress would guess otherwise.
          noTTYOutput: !stream.isTTY,
          notTTYSchedule: 2000,
          etaBuffer: 40,
          format: (barOptions, params, data: Record<string, string>) => {
            const progress = Math.min(1, params.progress);
            const eta =
              params.total && Number.isFinite(params.eta) && progress < 1 ? Format.TimeFormat(params.eta, barOptions, 1) : undefined;
            return progressLine({
              label: options.label,
              fraction: params.total ? progress : undefined,
              amounts: `${data.doneMiB}/${data.totalMiB} MiB  ${data.speed} MiB/s`,
              eta,
              width: terminalWidth(stream as { columns?: number }),
              bar: (size) => Format.BarFormat(progress, { ...barOptions, barsize: size }),
            });
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

/** Columns to draw in, one short of the terminal's so the cursor never wraps the line. */
function terminalWidth(stream: { columns?: number }): number {
  return Math.max(20, (stream.columns || 80) - 1);
}

export interface ProgressLineParts {
  label: string;
  /** 0..1, or undefined while the total is unknown */
  fraction?: number;
  /** `12.0/300.0 MiB  45.1 MiB/s` */
  amounts: string;
  eta?: string;
  width: number;
  bar(size: number): string;
}

/**
 * One progress line that fits `width` columns: the bar takes the room the words leave (up to MAX_BAR). On a
 * narrow terminal the bar goes first, then the label is shortened from the left, and the ETA goes last, so the
 * percentage, amounts and speed stay readable.
 */
export function progressLine(parts: ProgressLineParts): string {
  const { label, fraction, amounts, eta, width } = parts;
  if (fraction === undefined) return fit(label, ` ${amounts}`, width);
  const pct = `${(fraction * 100).toFixed(1).padStart(5)}%`;
  const words = ` ${pct}  ${amounts}${eta ? `  ETA ${eta}` : ''}`;
  const room = width - label.length - words.length - 3; // ` |` and `|`
  if (room >= MIN_BAR) return `${label} |${parts.bar(Math.min(MAX_BAR, room))}|${words}`;
  if (width - words.length >= MIN_LABEL) return fit(label, words, width);
  return fit(label, ` ${pct}  ${amounts}`, width);
}

/** label + rest within width, the label shortened from the left (`…acos:latest`) when it has to be. */
function fit(label: string, rest: string, width: number): string {
  const room = width - rest.length;
  if (label.length <= room) return `${label}${rest}`;
  if (room <= 1) return rest.trimStart().slice(0, width);
  return `…${label.slice(label.length - room + 1)}${rest}`;
}

/** How pulls and pushes label their bars: `pull collection/name:tag`, `push collection/name:tag`. */
export function transferLabel(verb: 'pull' | 'push', name: { collection: string; image: string; tag: string }): string {
  return `${verb} ${name.collection}/${name.image}:${name.tag}`;
}
