// Under --json, stdout holds one JSON document and nothing else. A plugin's console.log (a debug line left in a
// backend) would corrupt it, so while a --json command runs, the console's stdout methods write to stderr, and
// the document itself is written straight to process.stdout (writeJsonDocument), past the console.
import { Console } from 'node:console';
import { jsonText } from './untrusted';

/** The console methods that write to stdout, with those that share their state (a timer, a counter, the indent). */
const STDOUT_METHODS = [
  ...['log', 'info', 'debug', 'dir', 'dirxml', 'table'],
  ...['group', 'groupCollapsed', 'groupEnd', 'count', 'countReset', 'time', 'timeLog', 'timeEnd'],
] as const;

/** Sends what the console would print on stdout to stderr until the returned function restores it. */
export function consoleToStderr(): () => void {
  const toStderr = new Console({ stdout: process.stderr, stderr: process.stderr });
  const saved = STDOUT_METHODS.map((name) => [name, console[name]] as const);
  for (const name of STDOUT_METHODS) (console as unknown as Record<string, unknown>)[name] = toStderr[name].bind(toStderr);
  return () => {
    for (const [name, method] of saved) (console as unknown as Record<string, unknown>)[name] = method;
  };
}

/** A --json document on stdout (redacted and escaped as every document is), one line break after it. */
export function writeJsonDocument(document: unknown): void {
  process.stdout.write(`${jsonText(document)}\n`);
}
