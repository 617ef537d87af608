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
 * A stored document that is not JSON or does not follow its schema: names the key and the field
 * path of the first problem (`jobs/j1/plan.json: partitions.0.rows: expected number`).
 */
export class CorruptDocumentError extends ProtocolError {
  public readonly key: string;
  /** Dotted path of the first bad field (`(root)` for the document itself), undefined for bad JSON. */
  public readonly path: string | undefined;

  public constructor(key: string, path: string | undefined, problem: string, options?: { cause?: unknown }) {
    super(path === undefined ? `${key}: ${problem}` : `${key}: ${path}: ${problem}`, options);
    this.name = 'CorruptDocumentError';
    this.key = key;
    this.path = path;
  }
}
