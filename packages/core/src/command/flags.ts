import { Errors, Flags } from '@oclif/core';

/**
 * An integer flag of 1 or more (an object group, an object id). oclif's own integer flag says only "Parsing
 * --group" for `--group abc`; this one says what is wrong with the value, as a usage error (exit 2, EUSAGE).
 */
export const positiveInteger = Flags.custom<number>({
  parse: async (input, _context, flag) => {
    const value = input.trim();
    if (/^\d+$/.test(value) && Number(value) >= 1 && Number.isSafeInteger(Number(value))) return Number(value);
    throw new Errors.CLIError(`--${flag.name} takes a positive integer, got ${input === '' ? 'an empty value' : input}`);
  },
});
