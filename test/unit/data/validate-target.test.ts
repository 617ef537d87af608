import { describe, expect, it } from 'vitest';
import { type DatasetManifest, preprocessCsv, validateTarget } from '../../../lib/data/index.js';
import { DatasetError } from '../../../lib/errors.js';
import { csvSource, MemoryObjectStore } from '../../support/memory-object-store.js';

// price: continuous; label: 2 classes; species: 3 labels; flag: numeric 0/1; one: a single class;
// const: one categorical label
const CSV = [
  'price,label,species,flag,one,const',
  '1.5,yes,setosa,0,7,a',
  '2.5,no,versicolor,1,7,a',
  '3.5,yes,virginica,1,7,a',
  '4.5,no,setosa,0,7,a',
].join('\n');

async function manifest(): Promise<DatasetManifest> {
  return preprocessCsv({
    source: csvSource(CSV, 64),
    file: 'iris.csv',
    dataset: 'iris',
    store: new MemoryObjectStore(),
  });
}

function thrown(f: () => unknown): DatasetError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return error as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('Function: validateTarget', () => {
  it('accepts a numeric target for linear regression', async () => {
    const info = validateTarget(await manifest(), 'price', 'linear');
    expect(info.kind).toBe('regression');
  });

  it('accepts a two-label categorical target for logistic regression', async () => {
    const info = validateTarget(await manifest(), 'label', 'logistic');
    expect(info).toMatchObject({ kind: 'classification', classValues: [0, 1], classLabels: ['yes', 'no'] });
  });

  it('accepts a numeric 0/1 column as a logistic target', async () => {
    const info = validateTarget(await manifest(), 'flag', 'logistic');
    expect(info).toMatchObject({ kind: 'classification', classValues: [0, 1], classLabels: ['0', '1'] });
  });

  it('accepts three labels for softmax', async () => {
    const info = validateTarget(await manifest(), 'species', 'softmax');
    expect(info).toMatchObject({
      classValues: [0, 1, 2],
      classLabels: ['setosa', 'versicolor', 'virginica'],
    });
  });

  it('refuses a missing target, listing the available columns', async () => {
    const m = await manifest();
    const e = thrown(() => validateTarget(m, 'petal', 'linear'));
    expect([e.file, e.column]).toEqual(['iris.csv', 'petal']);
    expect(e.message).toMatch(/available columns: "price", "label", "species", "flag", "one", "const"/);
  });

  it('refuses logistic regression on three classes', async () => {
    const m = await manifest();
    expect(thrown(() => validateTarget(m, 'species', 'logistic')).message).toMatch(
      /exactly 2 classes but the target has 3/,
    );
  });

  it('refuses a one-class target for softmax and logistic', async () => {
    const m = await manifest();
    expect(thrown(() => validateTarget(m, 'one', 'softmax')).message).toMatch(/only one class \(7\)/);
    expect(thrown(() => validateTarget(m, 'const', 'logistic')).message).toMatch(/only one class \(a\)/);
  });

  it('refuses a categorical target for linear regression', async () => {
    const m = await manifest();
    const e = thrown(() => validateTarget(m, 'species', 'linear'));
    expect(e.column).toBe('species');
    expect(e.message).toMatch(/needs a numeric target but the column is categorical/);
  });

  it('refuses a class model on a numeric column with more than 64 values', async () => {
    const rows = Array.from({ length: 65 }, (_, i) => `${i}`).join('\n');
    const m = await preprocessCsv({
      source: csvSource(`v\n${rows}\n`, 256),
      file: 'v.csv',
      dataset: 'v',
      store: new MemoryObjectStore(),
    });
    expect(m.columns[0]!.distinct).toBeUndefined();
    expect(thrown(() => validateTarget(m, 'v', 'softmax')).message).toMatch(/more than 64 distinct values/);
  });
});
