import { InvalidArgumentError } from 'commander';
import { UsageError } from '../lib/errors.js';
import { MAX_SEED, MAX_WORKERS, parseIntFlag, parseNumberFlag } from '../lib/validation/inputs.js';

/**
 * Commander argument parsers for the CLI's numeric flags: strict decimal syntax and a range,
 * refused as commander's invalid-argument error (exit 2, one line naming the flag).
 */
const asCommander =
  <T>(parse: (v: string) => T) =>
  (v: string): T => {
    try {
      return parse(v);
    } catch (error) {
      if (error instanceof UsageError)
        throw new InvalidArgumentError(error.message.replace(/^\S+ "[^"]*" /, ''));
      throw error;
    }
  };

const MAX = Number.MAX_SAFE_INTEGER;

export const positiveInt = asCommander((v) => parseIntFlag('value', v, 1, MAX));
export const nonNegInt = asCommander((v) => parseIntFlag('value', v, 0, MAX));
export const workersFlag = asCommander((v) => parseIntFlag('value', v, 1, MAX_WORKERS));
export const seedFlag = asCommander((v) => parseIntFlag('value', v, 0, MAX_SEED));
export const positive = asCommander((v) =>
  parseNumberFlag('value', v, { min: 0, max: Number.MAX_VALUE, minExclusive: true }),
);
export const nonNeg = asCommander((v) => parseNumberFlag('value', v, { min: 0, max: Number.MAX_VALUE }));
/** `--hidden 128,64`: 1–8 comma-separated layer sizes, each 1..4096. */
export const hiddenFlag = asCommander((v) => {
  const sizes = v.split(',').map((s) => parseIntFlag('value', s, 1, 4096));
  if (sizes.length > 8) throw new UsageError(`value "${v}" has ${sizes.length} layers; at most 8`);
  return sizes;
});
export const fraction = asCommander((v) => parseNumberFlag('value', v, { min: 0, max: 0.9 }));

/** A version argument (`models promote <name> <version>`): a positive integer. */
export function versionArg(v: string): number {
  return parseIntFlag('version', v, 1, MAX);
}
