import { describe, expect, it } from 'vitest';
import { planFeatures } from '../../../cli/commands/plan.js';

describe('Function: planFeatures', () => {
  const numeric = (name: string) => ({ name, type: 'numeric' });
  const text = (name: string) => ({ name, type: 'categorical' });

  it('takes a text column as a classifier’s label and one numeric column as a regression target', () => {
    const columns = [numeric('x1'), numeric('x2'), numeric('x3'), text('label')];
    expect(planFeatures(columns, 'logistic', undefined)).toBe(3); // x1..x3; the label is text
    expect(planFeatures(columns, 'softmax', undefined)).toBe(3);
    expect(planFeatures(columns, 'linear', undefined)).toBe(2); // a regression target is numeric
    expect(planFeatures([numeric('a'), numeric('b')], 'logistic', undefined)).toBe(1); // 0/1 label
  });

  it('leaves the named target out, numeric or text, and refuses an unknown one', () => {
    const columns = [numeric('x1'), numeric('y'), text('city')];
    expect(planFeatures(columns, 'linear', 'y')).toBe(1);
    expect(planFeatures(columns, 'logistic', 'city')).toBe(2);
    expect(() => planFeatures(columns, 'linear', 'z')).toThrow('--target z: no such column in the dataset');
  });
});
