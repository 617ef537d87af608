import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ModelServer } from '../lib/engine/serving/model-server.js';
import { asShardtrainError, classifyError } from '../lib/error-table.js';
import { type ConfigSource, type RuntimeRequest, runtimeMiddleware } from './shared/middleware.js';

/** Most rows one request may ask predictions for. */
export const MAX_PREDICT_ROWS = 10_000;

let server: ModelServer | undefined;

/**
 * Serving (Lambda Function URL, IAM auth): `POST {"model": "houses@champion", "rows": [{...}]}`
 * or `{"model": ..., "row": {...}}`. The alias is resolved per request and models are cached per
 * version, so promoting a new champion takes effect on the next request.
 */
async function serve(
  event: APIGatewayProxyEventV2,
  context: RuntimeRequest['context'],
): Promise<APIGatewayProxyStructuredResultV2> {
  server ??= new ModelServer(context.runtime.registry);
  let body: { model?: unknown; rows?: unknown; row?: unknown };
  try {
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : (event.body ?? '');
    body = JSON.parse(text) as typeof body;
  } catch {
    return reply(400, { error: 'the request body must be JSON: {"model": "name@alias", "rows": [{...}]}' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return reply(400, {
      error: 'the request body must be a JSON object: {"model": "name@alias", "rows": [{...}]}',
    });
  }
  const rows = Array.isArray(body.rows) ? body.rows : body.row !== undefined ? [body.row] : undefined;
  if (
    typeof body.model !== 'string' ||
    rows === undefined ||
    rows.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))
  ) {
    return reply(400, {
      error: 'give "model" (a string) and "rows" (an array of objects) or "row" (an object)',
    });
  }
  if (rows.length > MAX_PREDICT_ROWS)
    return reply(413, { error: `at most ${MAX_PREDICT_ROWS} rows per request, got ${rows.length}` });
  try {
    return reply(200, await server.predict(body.model, rows as Record<string, unknown>[]));
  } catch (error) {
    // The status comes from the one error table: a missing model, version or alias alike is 404.
    const known = asShardtrainError(error, 'request');
    if (known !== undefined) return reply(classifyError(known).httpStatus, { error: known.message });
    throw error;
  }
}

function reply(statusCode: number, payload: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) };
}

/** The handler with its configuration given (the local cloud passes its own). */
export function createHandler(config?: ConfigSource) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(serve as never).use(
    runtimeMiddleware(config),
  );
}

/** The Lambda entry point: configured from the function's environment. */
export const handler = createHandler();
