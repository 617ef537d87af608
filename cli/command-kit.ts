import type { Command } from 'commander';
import type { z } from 'zod';
import { ConfigError } from '../lib/errors.js';
import type { Io } from './output.js';
import type { Session } from './session.js';

/** What every command's action gets from `main`: the session for its invocation and the output. */
export interface CommandContext {
  /** Opens the session of this invocation (home from `--home`, settings from the environment). */
  readonly session: (cmd: Command) => Session;
  readonly io: Io;
}

/** A command module's registration: declares its command(s) on `program` next to their handlers. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** `batchSize` → `--batch-size`: the flag a commander option key came from. */
export function flagName(key: PropertyKey): string {
  return `--${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The options of one command, parsed by that command's schema: commander has already checked
 * syntax, ranges and choices (its messages name the flag); the schema gives the action typed
 * options without casts, and anything it still refuses is a {@link ConfigError} naming the flag.
 * `withGlobals` also sees options a parent command declared (`dlq redrive --json`).
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  cmd: Command,
  { withGlobals = false }: { withGlobals?: boolean } = {},
): z.output<S> {
  const parsed = schema.safeParse(withGlobals ? cmd.optsWithGlobals() : cmd.opts());
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const flag = issue?.path[0] !== undefined ? flagName(issue.path[0]) : 'options';
  throw new ConfigError(flag, issue?.message ?? 'not valid', { cause: parsed.error });
}
