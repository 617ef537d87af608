import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TrainingDivergedError } from '../../lib/engine/training/diverged.js';
import { asShardtrainError, classifyError } from '../../lib/error-table.js';
import {
  ConfigError,
  DatasetError,
  InfrastructureError,
  NotFoundError,
  PreconditionFailedError,
  ProtocolError,
  parseWith,
  SchemaError,
  UsageError,
} from '../../lib/errors.js';

describe('Function: classifyError', () => {
  it.each([
    ['a missing model, version or alias', new NotFoundError('no alias'), 'NotFoundError', 2, 404],
    ['a bad flag or setting', new ConfigError('--lr', 'must be > 0'), 'ConfigError', 2, 400],
    ['bad data', new DatasetError({ file: 'a.csv', line: 3 }, 'ragged'), 'DatasetError', 2, 400],
    ['a bad argument', new UsageError('no'), 'UsageError', 2, 400],
    ['a broken message', new ProtocolError('v2'), 'ProtocolError', 2, 400],
    ['a lost conditional write', new PreconditionFailedError('k'), 'PreconditionFailedError', 2, 409],
    ['storage trouble', new InfrastructureError('disk full'), 'InfrastructureError', 1, 503],
    ['a bug', new TypeError('x is undefined'), 'unexpected', 1, 500],
  ])('maps %s to its exit code and HTTP status', (_what, error, kind, exitCode, httpStatus) => {
    expect(classifyError(error)).toEqual({ kind, exitCode, httpStatus });
  });

  it('classifies a subclass by its nearest entry (a diverged job is bad input: exit 2)', () => {
    const diverged = new TrainingDivergedError({
      v: 1,
      jobId: 'j',
      reason: 'diverged',
      round: 3,
      lr: 10,
      message: 'loss became NaN at round 3; lower --lr',
    });
    expect(classifyError(diverged)).toMatchObject({ kind: 'UsageError', exitCode: 2, httpStatus: 400 });
  });

  it('turns a zod error that escaped a plain .parse() into a SchemaError with the field path', () => {
    // Prepare
    const schema = z.object({ options: z.object({ lr: z.number() }) });
    const zod = schema.safeParse({ options: { lr: 'fast' } }).error;

    // Act
    const known = asShardtrainError(zod, 'jobs/j/spec.json');

    // Assess
    expect(known).toBeInstanceOf(SchemaError);
    expect((known as SchemaError).path).toBe('options.lr');
    expect(known?.message).toMatch(/^jobs\/j\/spec\.json: options\.lr: /);
    expect(classifyError(zod)).toEqual({ kind: 'SchemaError', exitCode: 2, httpStatus: 400 });
  });
});

describe('Function: parseWith', () => {
  it('returns the parsed value, or throws a SchemaError naming the subject and field', () => {
    const schema = z.object({ rows: z.array(z.number()) });
    expect(parseWith(schema, { rows: [1, 2] }, 'body')).toEqual({ rows: [1, 2] });
    expect(() => parseWith(schema, { rows: [1, 'x'] }, 'body')).toThrow(/^body: rows\.1: /);
  });
});
