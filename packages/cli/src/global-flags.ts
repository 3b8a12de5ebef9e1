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

/** `--version` anywhere among the options asks for the version, as `sregistry --version` does. */
export function asksForVersion(argv: readonly string[]): boolean {
  if (argv.length === 1 && argv[0] === '-v') return true;
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--version');
}
