import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler, MAX_PREDICT_ROWS } from '../../../functions/predict.js';
import { homeWithChampion, removeTemp, tempDir } from '../../support/cli.js';

const context = {
  functionName: 'test',
  awsRequestId: 'r',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const raw = (body: string) => ({ body, isBase64Encoded: false }) as APIGatewayProxyEventV2;
const event = (body: unknown) => raw(JSON.stringify(body));

/** Issue 11, defect 8 and the predict mutations: every bad request is a 4xx with a reason, never a throw. */
describe('Function: predict, bad requests', () => {
  let dir: string;
  // The handler configured with the home directly, as the local cloud configures its handlers.
  let predictHandler: ReturnType<typeof createHandler>;
  beforeAll(async () => {
    dir = tempDir();
    // y = 2x + 1 exactly.
    const rows = ['x,y', ...Array.from({ length: 30 }, (_, i) => `${i},${2 * i + 1}`)];
    const home = await homeWithChampion(dir, 'line.csv', `${rows.join('\n')}\n`);
    predictHandler = createHandler({ cloud: 'local', home, backend: {} });
  }, 120_000);
  afterAll(() => {
    removeTemp(dir);
  });

  const call = async (e: APIGatewayProxyEventV2) => {
    const r = await predictHandler(e, context);
    return { status: r.statusCode, body: JSON.parse(r.body!) as Record<string, unknown> };
  };

  it.each([['null'], ['[]'], ['3'], ['"text"']])('answers 400 to the JSON body %s', async (body) => {
    expect((await call(raw(body))).status).toBe(400);
  });

  it('answers 400, not 200 with null, when an input overflows the prediction', async () => {
    const r = await call(event({ model: 'line@champion', row: { x: 1e308 } }));
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/not a finite number/);
  });

  it('answers 404 for a missing alias, like a missing version and a missing model', async () => {
    expect((await call(event({ model: 'line@nosuch', row: { x: 1 } }))).status).toBe(404);
    expect((await call(event({ model: 'line@99', row: { x: 1 } }))).status).toBe(404);
    expect((await call(event({ model: 'nosuch', row: { x: 1 } }))).status).toBe(404);
  });

  it('reads "0x10" as text, as a CSV upload does (400), and "16" as 16', async () => {
    expect((await call(event({ model: 'line@champion', row: { x: '0x10' } }))).status).toBe(400);
    const ok = await call(event({ model: 'line@champion', row: { x: '16' } }));
    expect(ok.status).toBe(200);
    // ŷ(16) = 2·16 + 1 = 33.
    expect((ok.body.predictions as { value: number }[])[0]!.value).toBeCloseTo(33, 1);
  });

  it.each([[[1, 2]], [[null]], [['x']], [[[1]]]])(
    'answers 400 to the rows %j (not objects)',
    async (rows) => {
      expect((await call(event({ model: 'line@champion', rows }))).status).toBe(400);
    },
  );

  it('serves exactly the row limit, and answers 413 one row above it', async () => {
    const rows = (n: number) => Array.from({ length: n }, () => ({ x: 1 }));
    expect(MAX_PREDICT_ROWS).toBe(10_000);
    const at = await call(event({ model: 'line@champion', rows: rows(10_000) }));
    expect(at.status).toBe(200);
    expect((at.body.predictions as unknown[]).length).toBe(10_000);
    expect((await call(event({ model: 'line@champion', rows: rows(10_001) }))).status).toBe(413);
  });
});
