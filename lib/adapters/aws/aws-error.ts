/**
 * Reading SDK v3 service exceptions without importing each service's exception classes:
 * every `ServiceException` carries `name` (the error code) and `$metadata.httpStatusCode`.
 */
import { InfrastructureError } from '../../errors.js';

/** The HTTP status of an SDK v3 error, when it has one. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  const status = metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The AWS error code (`NoSuchKey`, `PreconditionFailed`, …) of an SDK v3 error. */
export function errorCodeOf(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { Code?: unknown }).Code;
  return typeof code === 'string' ? code : error.name;
}

/** Wraps any failure of an AWS call in an `InfrastructureError` that says what was being done. */
export function infrastructureError(action: string, error: unknown): InfrastructureError {
  if (error instanceof InfrastructureError) return error;
  const code = errorCodeOf(error);
  const status = httpStatusOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  const tags = [code, status === undefined ? undefined : `HTTP ${status}`].filter((t) => t !== undefined);
  const suffix = tags.length > 0 ? ` (${tags.join(', ')})` : '';
  return new InfrastructureError(`${action} failed${suffix}: ${detail}`, { cause: error });
}
