import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler, MAX_PREDICT_ROWS } from '../../../functions/predict.js';
import { homeWithChampion, removeTemp, tempDir } from '../../support/cli.js';

const context = {
  functionName: 'test',
  awsRequestId: 'r',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const raw = (body: string | undefined, isBase64Encoded = false) =>
  ({ ...(body === undefined ? {} : { body }), isBase64Encoded }) as APIGatewayProxyEventV2;
const event = (body: unknown) => raw(JSON.stringify(body));

const NOT_JSON = 'the request body must be JSON: {"model": "name@alias", "rows": [{...}]}';
const NOT_OBJECT = 'the request body must be a JSON object: {"model": "name@alias", "rows": [{...}]}';
const SHAPE = 'give "model" (a string) and "rows" (an array of objects) or "row" (an object)';

/**
 * The predict Function URL's request handling, word for word: base64 bodies, the body's shape,
 * `rows` over `row`, the row limit's message, and JSON replies. The model is y = 2x + 1, fitted
 * exactly on 30 points, so x = 3 predicts 7 and x = -1 predicts -1.
 */
describe('Function: predict, request shapes', () => {
  let dir: string;
  // The handler configured with the home directly, as the local cloud configures its handlers.
  let predictHandler: ReturnType<typeof createHandler>;
  beforeAll(async () => {
    dir = tempDir();
    const rows = ['x,y', ...Array.from({ length: 30 }, (_, i) => `${i},${2 * i + 1}`)];
    const home = await homeWithChampion(dir, 'line.csv', `${rows.join('\n')}\n`);
    predictHandler = createHandler({ cloud: 'local', home, backend: {} });
  }, 120_000);
  afterAll(() => {
    removeTemp(dir);
  });

  const call = async (e: APIGatewayProxyEventV2) => {
    const r = await predictHandler(e, context);
    return { status: r.statusCode, headers: r.headers, body: JSON.parse(r.body!) as Record<string, unknown> };
  };
  const values = (body: Record<string, unknown>) =>
    (body.predictions as { value: number }[]).map((p) => p.value);

  it('reads a base64 body and answers JSON', async () => {
    const body = Buffer.from(JSON.stringify({ model: 'line@champion', row: { x: 3 } })).toString('base64');
    const r = await call(raw(body, true));
    expect(r.status).toBe(200);
    expect(r.headers).toEqual({ 'content-type': 'application/json' });
    expect(values(r.body)).toHaveLength(1);
    expect(values(r.body)[0]).toBeCloseTo(7, 4);
  });

  it.each([
    ['a missing body', raw(undefined)],
    ['a missing base64 body', raw(undefined, true)],
    ['base64 of text', raw(Buffer.from('not json').toString('base64'), true)],
    ['text', raw('{"model":')],
  ])('answers 400 "must be JSON" to %s', async (_what, e) => {
    const r = await call(e);
    expect(r).toMatchObject({ status: 400, body: { error: NOT_JSON } });
    expect(r.headers).toEqual({ 'content-type': 'application/json' });
  });

  it.each([['[]'], ['3'], ['"text"'], ['null'], ['true']])(
    'answers 400 "a JSON object" to %s',
    async (body) => {
      expect(await call(raw(body))).toMatchObject({ status: 400, body: { error: NOT_OBJECT } });
    },
  );

  it.each([
    ['no model', { rows: [{ x: 1 }] }],
    ['a numeric model', { model: 1, rows: [{ x: 1 }] }],
    ['neither rows nor row', { model: 'line@champion' }],
    ['a number row', { model: 'line@champion', row: 5 }],
    ['a null row', { model: 'line@champion', row: null }],
    ['an array row', { model: 'line@champion', row: [1] }],
    ['rows of numbers', { model: 'line@champion', rows: [1, 2] }],
    ['one string among object rows', { model: 'line@champion', rows: [{ x: 1 }, 'x=2'] }],
    ['one null among object rows', { model: 'line@champion', rows: [{ x: 1 }, null] }],
    ['one array among object rows', { model: 'line@champion', rows: [{ x: 1 }, [2]] }],
  ])('answers 400 naming the shape to %s', async (_what, body) => {
    expect(await call(event(body))).toMatchObject({ status: 400, body: { error: SHAPE } });
  });

  it('reads "rows" before "row", in order', async () => {
    const r = await call(event({ model: 'line@champion', rows: [{ x: 3 }, { x: -1 }], row: { x: 100 } }));
    expect(r.status).toBe(200);
    const [a, b] = values(r.body);
    expect(a).toBeCloseTo(7, 4);
    expect(b).toBeCloseTo(-1, 4);
  });

  it('says the row limit and the count one row above it', async () => {
    const rows = Array.from({ length: MAX_PREDICT_ROWS + 1 }, () => ({ x: 1 }));
    expect(await call(event({ model: 'line@champion', rows }))).toMatchObject({
      status: 413,
      body: { error: `at most ${MAX_PREDICT_ROWS} rows per request, got ${MAX_PREDICT_ROWS + 1}` },
    });
  });

  it('answers 404 with the reason for a missing model', async () => {
    const r = await call(event({ model: 'line@99', row: { x: 1 } }));
    expect(r.status).toBe(404);
    expect(r.body.error).toBe('model "line" has no version 99');
  });
});
