import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/predict.js';
import { homeWithChampion, removeTemp, tempDir } from '../support/cli.js';
import { FUZZ_RUNS, fuzz } from './fuzz-support.js';

const context = {
  functionName: 'fuzz',
  awsRequestId: 'r',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

/**
 * Request bodies for the predict Function URL: arbitrary JSON, near-valid requests with odd
 * rows and values, raw strings and base64. Every answer is 200, 400, 404 or 413 with a JSON
 * body; a 200 carries only finite predictions, one per row.
 */
describe('Fuzz: predict request body', () => {
  const dir = tempDir('shardtrain-fuzz-');
  // The handler configured with the home directly, as the local cloud configures its handlers.
  let predictHandler: ReturnType<typeof createHandler>;
  beforeAll(async () => {
    const rows = ['x,__proto__,y', ...Array.from({ length: 20 }, (_, i) => `${i},${i % 3},${2 * i + 1}`)];
    const home = await homeWithChampion(dir, 'm.csv', `${rows.join('\n')}\n`);
    predictHandler = createHandler({ cloud: 'local', home, backend: {} });
  }, 120_000);
  afterAll(() => {
    removeTemp(dir);
  });

  const cellValue = fc.oneof(
    fc.double(),
    fc.double().map(String),
    fc.constantFrom('0x10', '1e308', ' 3 ', '', 'NaN', null, true, [], {}, 1e308, -1e308, '16'),
    fc.anything(),
  );
  const row = fc.oneof(
    fc.record({ x: cellValue, __proto__: cellValue }, { requiredKeys: [] }),
    fc.dictionary(fc.constantFrom('x', '__proto__', 'constructor', 'toString', 'y'), cellValue),
    fc.anything(),
  );
  const request = fc.record(
    {
      model: fc.oneof(
        fc.constantFrom('m', 'm@champion', 'm@1', 'm@2', 'm@nosuch', 'nosuch', '../m', 'm@latest', ''),
        fc.anything(),
      ),
      rows: fc.oneof(fc.array(row, { maxLength: 5 }), fc.anything()),
      row: row,
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    { weight: 6, arbitrary: request.map((r) => ({ text: JSON.stringify(r) ?? '', base64: false })) },
    { weight: 1, arbitrary: fc.json().map((text) => ({ text, base64: false })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((text) => ({ text, base64: false })) },
    {
      weight: 1,
      arbitrary: request.map((r) => ({
        text: Buffer.from(JSON.stringify(r) ?? '').toString('base64'),
        base64: true,
      })),
    },
  );

  it(`answers ${FUZZ_RUNS} generated requests with a status and a JSON body`, async () => {
    const report = await fuzz('predict-request', body, async ({ text, base64 }) => {
      const res = await predictHandler(
        { body: text, isBase64Encoded: base64 } as APIGatewayProxyEventV2,
        context,
      );
      expect([200, 400, 404, 413]).toContain(res.statusCode);
      const payload = JSON.parse(res.body!) as { predictions?: { value: unknown }[]; error?: string };
      if (res.statusCode === 200) {
        for (const p of payload.predictions ?? []) expect(Number.isFinite(p.value)).toBe(true);
      } else {
        expect(typeof payload.error).toBe('string');
        expect(payload.error!).not.toContain('\n');
      }
    });
    expect(report.failures).toBe(0);
  }, 3_600_000);
});
