import { describe, expect, it } from 'vitest';
import {
  parseMessage,
  resultDeduplicationId,
  resultMessageSchema,
  workMessageSchema,
} from '../../../lib/engine/training/protocol.js';
import { ProtocolError } from '../../../lib/errors.js';

const work = { v: 1, type: 'work', jobId: 'job-1', round: 3, shard: 2 };

describe('Function: parseMessage', () => {
  it('returns a valid message as parsed, state included', () => {
    expect(parseMessage(workMessageSchema, JSON.stringify(work))).toEqual(work);
    const withState = { ...work, state: { round: 3, params: [0.5, -1], extra: 'kept' } };
    expect(parseMessage(workMessageSchema, JSON.stringify(withState))).toEqual(withState);
    // as stored since state documents v2: the vector is base64 of its float64 bytes
    const encoded = { ...work, state: { v: 2, round: 3, params: 'AAAAAAAA4D8=', extra: 'kept' } };
    expect(parseMessage(workMessageSchema, JSON.stringify(encoded))).toEqual(encoded);
  });

  it('says a body is not JSON, quoting at most 80 characters of it', () => {
    expect(() => parseMessage(workMessageSchema, '{"v":1,')).toThrow(
      new ProtocolError('message is not JSON: "{\\"v\\":1,"'),
    );
    const long = `x${'y'.repeat(200)}`;
    const error = (() => {
      try {
        parseMessage(workMessageSchema, long);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error?.message).toBe(`message is not JSON: "x${'y'.repeat(79)}…" (201 characters)`);
    expect(error?.cause).toBeInstanceOf(SyntaxError);
  });

  it('names an unknown protocol version apart from other schema errors', () => {
    expect(() => parseMessage(workMessageSchema, JSON.stringify({ ...work, v: 2 }))).toThrow(
      new ProtocolError('message has protocol version 2; this handler understands v1'),
    );
    expect(() => parseMessage(workMessageSchema, JSON.stringify({ ...work, v: 'x'.repeat(60) }))).toThrow(
      new ProtocolError(`message has protocol version "${'x'.repeat(39)}; this handler understands v1`),
    );
  });

  it('refuses JSON that is not an object as a schema error, and quotes the rule that was broken', () => {
    for (const body of ['3', '"text"', 'true']) {
      expect(() => parseMessage(workMessageSchema, body)).toThrow(ProtocolError);
      expect(() => parseMessage(workMessageSchema, body)).toThrow(
        /^message does not follow the schema at \(root\): /,
      );
    }
    const bad = { ...work, round: -1 };
    const rule = workMessageSchema.safeParse(bad).error?.issues[0]?.message;
    expect(rule).toBeTruthy();
    expect(() => parseMessage(workMessageSchema, JSON.stringify(bad))).toThrow(
      new ProtocolError(`message does not follow the schema at round: ${rule}`),
    );
  });

  it('names the path of the first rule broken, or (root)', () => {
    expect(() => parseMessage(workMessageSchema, JSON.stringify({ ...work, round: -1 }))).toThrow(
      /^message does not follow the schema at round: /,
    );
    expect(() =>
      parseMessage(workMessageSchema, JSON.stringify({ ...work, state: { round: -1, params: '' } })),
    ).toThrow(/^message does not follow the schema at state\.round: /);
    expect(() =>
      parseMessage(workMessageSchema, JSON.stringify({ ...work, state: { round: 1, params: ['a'] } })),
    ).toThrow(/^message does not follow the schema at state\.params: /);
    expect(() => parseMessage(workMessageSchema, '[]')).toThrow(
      /^message does not follow the schema at \(root\): /,
    );
    expect(() => parseMessage(workMessageSchema, 'null')).toThrow(
      /^message does not follow the schema at \(root\): /,
    );
    // A message without `v` is a schema error, not a version error.
    expect(() => parseMessage(resultMessageSchema, JSON.stringify({ type: 'result' }))).toThrow(
      /^message does not follow the schema at v: /,
    );
  });
});

describe('Function: resultDeduplicationId', () => {
  it('is job:round:shard', () => {
    expect(resultDeduplicationId({ jobId: 'job-1', round: 12, shard: 0 })).toBe('job-1:12:0');
  });
});
