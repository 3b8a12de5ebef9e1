// The original client takes its global options before the sub-command (`sregistry --quiet pull X`,
// `sregistry --debug images`), and its users' scripts and docs do so. oclif reads a command id only from the first
// words of argv, so bin/run.js moves these flags behind the command's own words before anything parses argv;
// after the command they mean the same to oclif and to the fast path.

/** The flags every command takes, whichever side of the command id they stand on. */
export const GLOBAL_FLAGS: ReadonlySet<string> = new Set(['--debug', '--quiet', '-q', '--json', '-h', '--help']);

/** argv with its leading global flags moved to the end of the options (before a `--`, if there is one). */
export function globalFlagsLast(argv: readonly string[]): string[] {
  let lead = 0;
  while (lead < argv.length && GLOBAL_FLAGS.has(argv[lead] as string)) lead++;
  if (lead === 0) return [...argv];
  const leading = argv.slice(0, lead);
  const rest = argv.slice(lead);
  const end = rest.indexOf('--');
  return end === -1 ? [...rest, ...leading] : [...rest.slice(0, end), ...leading, ...rest.slice(end)];
}

/**
 * `help <command> --json` asked as `<command> --help --json`: @oclif/plugin-help's help command rejects --json
 * ("Nonexistent flag") before our help class sees it, so a typo under --json would not get the JSON error envelope
 * every other failure prints. `help X` and `X --help` show the same page (help.ts), so this changes nothing else.
 * Only when help's other words are plain words and global flags; anything else is left to the help command.
 */
export function helpWithJsonAsFlag(argv: readonly string[]): string[] {
  if (argv[0] !== 'help' || argv.includes('--')) return [...argv];
  const rest = argv.slice(1);
  if (!rest.includes('--json') || rest.some((a) => a.startsWith('-') && !GLOBAL_FLAGS.has(a))) return [...argv];
  const words = rest.filter((a) => !a.startsWith('-'));
  const flags = rest.filter((a) => a.startsWith('-') && a !== '--help' && a !== '-h');
  return [...words, '--help', ...flags];
}

/** `--version` anywhere among the options asks for the version, as `sregistry --version` does. */
export function asksForVersion(argv: readonly string[]): boolean {
  if (argv.length === 1 && argv[0] === '-v') return true;
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--version');
}
