import { CommanderError } from 'commander';
import { asShardtrainError, classifyError } from '../lib/error-table.js';
import { oneLine } from '../lib/validation/text.js';
import { OutputClosedError } from './output.js';

/**
 * Maps any error to what the user sees: one line on stderr and an exit code from the one error
 * table (`lib/error-table.ts`). Bad arguments and bad data exit 2 (the CLI contract), a zod error
 * included (it names the field); infrastructure failures and bugs exit 1. The stack trace is
 * printed only with `--debug`.
 */
export function reportError(err: unknown, debug: boolean, write: (line: string) => void): number {
  // A closed pipe (`shardtrain predict ... | head`) is how the reader said it has enough.
  if (err instanceof OutputClosedError) return 0;
  if (err instanceof CommanderError) {
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    ) {
      return 0;
    }
    write(`shardtrain: ${oneLine(err.message.replace(/^error: /, ''))}`);
    return 2;
  }
  const known = asShardtrainError(err);
  if (known !== undefined) {
    write(`shardtrain: ${oneLine(known.message)}`);
    if (debug) write((err instanceof Error ? err.stack : undefined) ?? '');
    return classifyError(known).exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(
    `shardtrain: unexpected error: ${oneLine(message, 200)}${debug ? '' : ' (run with --debug for the stack trace)'}`,
  );
  if (debug && err instanceof Error) write(err.stack ?? '');
  return 1;
}
