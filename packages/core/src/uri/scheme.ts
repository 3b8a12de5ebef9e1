/**
 * Splits `scheme://rest`. Like the original, everything up to the *last* `://` is the scheme, lower-cased
 * with `_` turned into `-` (so `google_storage://` selects `google-storage`).
 */
export function splitScheme(input: string): { scheme?: string; rest: string } {
  const at = input.lastIndexOf('://');
  if (at < 0) return { rest: input };
  const scheme = input.slice(0, at).toLowerCase().replace(/_/g, '-');
  return { scheme: scheme || undefined, rest: input.slice(at + 3) };
}

/** The image part of a URI without its scheme. */
export function removeScheme(input: string): string {
  return splitScheme(input).rest;
}
