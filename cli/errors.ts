import { CommanderError } from 'commander';
import { InfrastructureError, ShardtrainError } from '../lib/errors.js';

/**
 * Maps any error to what the user sees: one line on stderr and an exit code.
 * Bad arguments and bad data exit 2 (the CLI contract); infrastructure failures and bugs exit 1.
 * The stack trace is printed only with `--debug`.
 */
export function reportError(err: unknown, debug: boolean, write: (line: string) => void): number {
  if (err instanceof CommanderError) {
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    ) {
      return 0;
    }
    write(`shardtrain: ${err.message.replace(/^error: /, '')}`);
    return 2;
  }
  if (err instanceof ShardtrainError) {
    write(`shardtrain: ${err.message}`);
    if (debug) write(err.stack ?? '');
    return err instanceof InfrastructureError ? 1 : 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  write(`shardtrain: unexpected error: ${message}${debug ? '' : ' (run with --debug for the stack trace)'}`);
  if (debug && err instanceof Error) write(err.stack ?? '');
  return 1;
}
