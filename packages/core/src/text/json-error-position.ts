import type { ParseError } from 'jsonc-parser';

/**
 * Where JSON text first goes wrong, without quoting any of it: "at line 3, column 14", "at the end" for text that
 * stops too early ("at the end: …"), or undefined when no error is found.
 *
 * Node's JSON.parse message quotes the text around the problem, and in a hand-edited settings file that text is
 * often a token, so that message must not be shown. jsonc-parser (VS Code's JSON scanner) reports the offset of
 * the first error instead; with comments and trailing commas refused it reads strict JSON.
 */
export function jsonErrorPlace(text: string): string | undefined {
  // loaded only for a file that is broken: every command reads the secrets file, few need this
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require('jsonc-parser') as typeof import('jsonc-parser');
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return undefined;
  if (first.offset >= text.length) return 'at the end: it stops too early';
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length;
  return `at line ${line}, column ${first.offset - (before.lastIndexOf('\n') + 1) + 1}`;
}
