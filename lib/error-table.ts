import { ZodError } from 'zod';
import {
  ConfigError,
  DatasetError,
  InfrastructureError,
  NotFoundError,
  PreconditionFailedError,
  ProtocolError,
  SchemaError,
  ShardtrainError,
  schemaError,
  UsageError,
} from './errors.js';
import { AliasConflictError } from './registry/registry-errors.js';

/** How an error leaves the program: the CLI's exit code and an HTTP endpoint's status. */
export interface ErrorOutcome {
  /** The error family member that matched (`unexpected` for anything outside the family). */
  readonly kind: string;
  /** 2: the input was wrong (fix it and run again); 1: something failed (retrying may help). */
  readonly exitCode: 1 | 2;
  readonly httpStatus: number;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * The one table from error kinds to exit codes and HTTP statuses, most specific first: the CLI
 * (`cli/errors.ts`), the predict function and the dashboard all answer through it. Bad input —
 * arguments, settings, data, a message or document that breaks its schema — is exit 2 and a 4xx;
 * something missing is 404 (a missing model, version or alias alike); infrastructure is exit 1
 * and 503.
 */
export const ERROR_TABLE: readonly (readonly [ErrorClass, Omit<ErrorOutcome, 'kind'>])[] = [
  [NotFoundError, { exitCode: 2, httpStatus: 404 }],
  [ConfigError, { exitCode: 2, httpStatus: 400 }],
  [DatasetError, { exitCode: 2, httpStatus: 400 }],
  [UsageError, { exitCode: 2, httpStatus: 400 }],
  [SchemaError, { exitCode: 2, httpStatus: 400 }],
  [ProtocolError, { exitCode: 2, httpStatus: 400 }],
  [PreconditionFailedError, { exitCode: 2, httpStatus: 409 }],
  [AliasConflictError, { exitCode: 2, httpStatus: 409 }],
  [InfrastructureError, { exitCode: 1, httpStatus: 503 }],
  [ShardtrainError, { exitCode: 2, httpStatus: 400 }],
];

const UNEXPECTED: ErrorOutcome = { kind: 'unexpected', exitCode: 1, httpStatus: 500 };

/**
 * The error as a member of the family: itself when it is one, a {@link SchemaError} for a zod
 * error that escaped a plain `.parse()` (with its field path), undefined for anything else (a bug).
 */
export function asShardtrainError(error: unknown, subject = 'input'): ShardtrainError | undefined {
  if (error instanceof ShardtrainError) return error;
  if (error instanceof ZodError) return schemaError(error, subject);
  return undefined;
}

/** Looks `error` up in {@link ERROR_TABLE}. */
export function classifyError(error: unknown): ErrorOutcome {
  const known = asShardtrainError(error);
  if (known === undefined) return UNEXPECTED;
  for (const [kind, outcome] of ERROR_TABLE) {
    if (known instanceof kind) return { kind: kind.name, ...outcome };
  }
  return UNEXPECTED;
}
