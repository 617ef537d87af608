import type { z } from 'zod';
import { excerpt, oneLine } from './validation/text.js';

/**
 * One error family for the whole project (house style #6): every error a user can see is a
 * `ShardtrainError`, with `name` set and the original error passed on as `cause`.
 */
export class ShardtrainError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShardtrainError';
  }
}

/** Where in a data file a problem is: file name, 1-based line, and column name when known. */
export interface DataLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: string;
}

/**
 * Bad input data: the message names the file, line and column, e.g.
 * `data.csv line 57, column "x2": "abc" is not a number`.
 */
export class DatasetError extends ShardtrainError {
  public readonly file: string;
  public readonly line: number | undefined;
  public readonly column: string | undefined;

  public constructor(location: DataLocation, problem: string, options?: { cause?: unknown }) {
    super(DatasetError.format(location, problem), options);
    this.name = 'DatasetError';
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
  }

  private static format(location: DataLocation, problem: string): string {
    const where = [location.file];
    if (location.line !== undefined) where.push(`line ${location.line}`);
    const head = where.join(' ');
    // One line of at most MAX_MESSAGE characters: a long cell or name is cut, never echoed whole.
    const column = location.column !== undefined ? `, column ${excerpt(location.column)}` : '';
    return oneLine(`${head}${column}: ${problem}`);
  }
}

/** Bad arguments or options from a user (CLI flags, job spec fields). */
export class UsageError extends ShardtrainError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** A message or stored document that does not follow the protocol (schema, version, unknown job). */
export class ProtocolError extends ShardtrainError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
  }
}

/** Something outside the project failed: storage, queue, network, a cloud API. */
export class InfrastructureError extends ShardtrainError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfrastructureError';
  }
}

/** A conditional write lost: the object exists (`ifNoneMatch: '*'`) or changed (`ifMatch`). */
export class PreconditionFailedError extends ShardtrainError {
  public readonly key: string;

  public constructor(key: string, options?: { cause?: unknown }) {
    super(`conditional write to "${key}" failed: the object exists or changed since it was read`, options);
    this.name = 'PreconditionFailedError';
    this.key = key;
  }
}

/** A job, model, dataset or object that was asked for by name and does not exist. */
export class NotFoundError extends ShardtrainError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/**
 * A setting from the environment or the command line that does not parse: names the variable or
 * flag (`path`) and what it must be, e.g. `SHARDTRAIN_WORKER_THREADS: expected an integer ≥ 1`.
 */
export class ConfigError extends UsageError {
  public readonly path: string;

  public constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super(`${path}: ${problem}`, options);
    this.name = 'ConfigError';
    this.path = path;
  }
}

/**
 * A value that is not JSON or does not follow its schema: a stored document (read through
 * `lib/documents.ts`, the one reader), a message, a request body, a zod error that escaped a
 * plain `.parse()`. Names what was read (`subject`: an object key, "message", "request body") and
 * the field (`path`, dotted; empty for the value itself or for bytes that are not JSON), e.g.
 * `jobs/x/spec.json: options.lr: expected number` or `jobs/x/plan.json: not valid JSON`.
 */
export class SchemaError extends ProtocolError {
  public readonly subject: string;
  public readonly path: string;

  public constructor(subject: string, path: string, problem: string, options?: { cause?: unknown }) {
    super(oneLine(`${subject}: ${path === '' ? '' : `${path}: `}${problem}`), options);
    this.name = 'SchemaError';
    this.subject = subject;
    this.path = path;
  }
}

/** The first issue of a zod error as a {@link SchemaError} about `subject`. */
export function schemaError(error: z.ZodError, subject: string): SchemaError {
  const issue = error.issues[0];
  return new SchemaError(subject, issue?.path.map(String).join('.') ?? '', issue?.message ?? 'not valid', {
    cause: error,
  });
}

/**
 * `schema.parse(value)` inside the error family: a value that does not follow the schema is a
 * {@link SchemaError} naming `subject` and the field, never a bare ZodError.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, subject: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw schemaError(parsed.error, subject);
  return parsed.data;
}
