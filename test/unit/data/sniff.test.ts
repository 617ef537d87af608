import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SNIFF_BYTES, sniffedSource, sniffHead } from '../../../lib/data/sniff.js';
import { DatasetError } from '../../../lib/errors.js';

const bytes = (s: string) => new TextEncoder().encode(s);

function refusal(head: Uint8Array, complete = true): DatasetError {
  try {
    sniffHead(head, 'f.csv', complete);
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return error as DatasetError;
  }
  throw new Error('expected a refusal');
}

describe('Module: sniff', () => {
  describe('Function: sniffHead', () => {
    it.each([
      ['gzip', gzipSync(bytes('x,y\n1,2\n')), /gzip/],
      ['zip', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 1, 2]), /zip/],
      ['UTF-16', Uint8Array.from([0xff, 0xfe, 0x78, 0x00]), /UTF-16/],
      ['binary', Uint8Array.from([0x78, 0x2c, 0x79, 0x0a, 0x31, 0x00, 0x32]), /NUL byte at byte 6/],
      [
        'latin-1',
        Uint8Array.from([...bytes('caf'), 0xe9, ...bytes(',y\n1,2\n')]),
        /not UTF-8.*0xe9 at byte 4/,
      ],
      ['semicolons', bytes('x;y\n1;2\n'), /semicolons/],
      ['tabs', bytes('x\ty\n1\t2\n'), /tabs/],
    ])('refuses %s by name', (_what, head, reason) => {
      expect(refusal(head).message).toMatch(reason);
    });

    it('leaves a Parquet file (PAR1, binary by design) to the Parquet reader', () => {
      expect(() =>
        sniffHead(Uint8Array.from([0x50, 0x41, 0x52, 0x31, 0, 0, 1]), 'f.parquet', true),
      ).not.toThrow();
    });

    it('names the line of a NUL byte', () => {
      expect(refusal(bytes('x,y\n1,2\n3,\u0000\n')).line).toBe(3);
    });

    it('accepts UTF-8 with a BOM, accents and a single column', () => {
      expect(() => sniffHead(bytes('\uFEFFcafé,y\n1,2\n'), 'f.csv', true)).not.toThrow();
      expect(() => sniffHead(bytes('only\n1\n2\n'), 'f.csv', true)).not.toThrow();
    });

    it('accepts a partial head that ends inside a multi-byte character', () => {
      const full = bytes('x,é\n1,2\n');
      // 'é' is two bytes at offsets 2..3; cut after its first byte.
      expect(() => sniffHead(full.subarray(0, 3), 'f.csv', false)).not.toThrow();
      expect(refusal(full.subarray(0, 3), true).message).toMatch(/UTF-8/);
    });

    it('leaves column types to the parser, which decides them on the whole file', () => {
      expect(() => sniffHead(bytes('x,y\nabc,1\n1,2\n2,3\n3,4\n'), 'f.csv', true)).not.toThrow();
    });

    it('leaves a categorical column (text throughout) to the parser', () => {
      expect(() => sniffHead(bytes('c,y\na,1\nb,2\na,3\n'), 'f.csv', true)).not.toThrow();
    });
  });

  describe('Function: sniffedSource', () => {
    it('replays every byte of a source longer than the sniffed head', async () => {
      // Prepare: three chunks, the head spans the first two.
      const chunks = [bytes('x,y\n'), new Uint8Array(SNIFF_BYTES).fill(0x31), bytes('\n')];
      async function* source() {
        for (const c of chunks) yield c;
      }

      // Act
      const out: Uint8Array[] = [];
      for await (const c of await sniffedSource(source(), 'f.csv')) out.push(c);

      // Assess
      expect(Buffer.concat(out)).toEqual(Buffer.concat(chunks));
    });
  });
});
