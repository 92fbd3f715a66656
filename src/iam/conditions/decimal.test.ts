import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareDecimal, parseDecimal } from './decimal.js';

const cases: { name: string; a: string; b: string; expected: number | undefined }[] = [
  { name: 'leading zeros do not matter', a: '007', b: '7', expected: 0 },
  { name: 'trailing fraction zeros do not matter', a: '7.50', b: '7.5', expected: 0 },
  { name: 'minus zero equals zero', a: '-0', b: '0.0', expected: 0 },
  { name: 'a bare fraction is read', a: '.5', b: '0.5', expected: 0 },
  { name: 'a trailing dot is read', a: '5.', b: '5', expected: 0 },
  { name: 'a plus sign is read', a: '+3', b: '3', expected: 0 },
  { name: 'negative numbers order below positive ones', a: '-10', b: '2', expected: -1 },
  { name: 'more negative is smaller', a: '-10', b: '-2', expected: -1 },
  { name: 'longer integers are larger', a: '100', b: '99.99', expected: 1 },
  { name: 'fractions compare digit by digit', a: '0.1', b: '0.09', expected: 1 },
  {
    name: 'integers beyond double precision stay exact',
    a: '9007199254740993',
    b: '9007199254740992',
    expected: 1,
  },
  { name: 'an exponent is not a number here', a: '1e3', b: '1000', expected: undefined },
  { name: 'a lone dot is not a number', a: '.', b: '0', expected: undefined },
  { name: 'text is not a number', a: 'ten', b: '10', expected: undefined },
  { name: 'a number followed by text is not a number', a: '10abc', b: '10', expected: undefined },
];

describe('decimal', () => {
  for (const c of cases) {
    test(c.name, () => {
      const a = parseDecimal(c.a);
      const b = parseDecimal(c.b);
      if (c.expected === undefined) return assert.equal(a, undefined);
      assert.ok(a && b);
      assert.equal(Math.sign(compareDecimal(a, b)), c.expected);
    });
  }

  test('it orders safe integers and short decimals as numbers do', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1e6, max: 1e6 }), (x, y) => {
        const a = parseDecimal((x / 100).toString());
        const b = parseDecimal((y / 100).toString());
        assert.ok(a && b);
        // `|| 0` folds -0 into 0: only the sign matters, and -0 === 0 where the engine uses it.
        assert.equal(Math.sign(compareDecimal(a, b)) || 0, Math.sign(x - y) || 0);
      }),
    );
  });
});
