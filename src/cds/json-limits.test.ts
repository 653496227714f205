import { describe, expect, it } from 'vitest';
import { checkJsonLimits } from './json-limits.js';

const nest = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 1; i < depth; i++) v = { a: v };
  return v;
};

describe('checkJsonLimits', () => {
  const limits = { maxDepth: 10, maxArrayLength: 5 };

  it('accepts a value exactly at the depth limit and rejects one level deeper', () => {
    expect(checkJsonLimits(nest(10), limits)).toBeUndefined();
    expect(checkJsonLimits(nest(12), limits)).toMatch(/deeper than 10/);
  });

  it('accepts an array at the length limit and rejects one item more', () => {
    expect(checkJsonLimits({ a: [1, 2, 3, 4, 5] }, limits)).toBeUndefined();
    expect(checkJsonLimits({ a: [1, 2, 3, 4, 5, 6] }, limits)).toMatch(/more than 5/);
  });

  it('does not overflow the stack on very deep input', () => {
    expect(checkJsonLimits(nest(100_000), { maxDepth: 64, maxArrayLength: 10 })).toMatch(/deeper/);
  });
});
