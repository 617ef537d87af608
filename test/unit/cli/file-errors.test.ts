import { describe, expect, it } from 'vitest';
import { reportError } from '../../../cli/errors.js';
import { fileError } from '../../../cli/home.js';
import { OutputClosedError } from '../../../cli/output.js';
import { InfrastructureError, NotFoundError, UsageError } from '../../../lib/errors.js';

const errno = (code: string) => Object.assign(new Error(`${code}: boom /secret/path`), { code });

describe('Function: fileError', () => {
  it.each([
    ['ENOENT', NotFoundError, /no such file/],
    ['EACCES', UsageError, /permission denied/],
    ['EPERM', UsageError, /permission denied/],
    ['EISDIR', UsageError, /directory/],
    ['ENOTDIR', NotFoundError, /not a folder/],
    ['ENAMETOOLONG', UsageError, /too long/],
    ['EIO', InfrastructureError, /EIO/],
  ])('maps %s to one line naming the file', (code, type, message) => {
    const e = fileError('data.csv', errno(code));
    expect(e).toBeInstanceOf(type);
    expect(e.message).toMatch(/^"data\.csv"/);
    expect(e.message).toMatch(message);
  });
});

describe('Function: reportError', () => {
  it('exits 0 without a line when standard output was closed', () => {
    const lines: string[] = [];
    expect(reportError(new OutputClosedError(), false, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual([]);
  });

  it('writes one line of at most 300 characters for a long multi-line message', () => {
    const lines: string[] = [];
    expect(reportError(new UsageError(`a\n${'b'.repeat(1000)}`), false, (l) => lines.push(l))).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBeLessThanOrEqual('shardtrain: '.length + 300);
    expect(reportError(new Error('x\ny'), false, (l) => lines.push(l))).toBe(1);
    expect(lines[1]).not.toContain('\n');
  });
});
