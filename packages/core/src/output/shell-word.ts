/**
 * `word` as one shell word, for a command printed as a fix that the user pastes (`mkdir -p <folder>`): as it is
 * when it holds only characters no shell treats specially, else in single quotes (a quote inside as '\''), so a
 * folder with spaces or `$` in its name is still one argument.
 */
export function shellWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/u.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
