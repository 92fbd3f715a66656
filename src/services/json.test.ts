// The nesting guard in front of JSON.parse: it counts what JSON.parse would nest, ignoring
// brackets inside strings, the same for text and bytes, and scans megabytes quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json.js';

/** The nesting depth of a parsed value (arrays and objects count one level each). */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (typeof v === 'object' && v !== null) return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

test('brackets in strings and escaped quotes do not count; the limit itself is allowed', () => {
  const cases: [string, number, boolean][] = [
    ['{}', 1, false],
    ['{"a":{}}', 1, true],
    ['{"a":"[[[[[[[[{{{{"}', 1, false],
    ['{"a":"\\"[[[["}', 1, false],
    ['{"a\\\\":[[]]}', 2, true],
    ['["\\\\",[]]', 1, true],
    [`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`, MAX_JSON_DEPTH, false],
    [`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`, MAX_JSON_DEPTH, true],
    ['[]'.repeat(1000), 1, false],
  ];
  for (const [text, max, deeper] of cases) {
    assert.equal(jsonNestsDeeperThan(text, max), deeper, text.slice(0, 40));
    assert.equal(jsonNestsDeeperThan(Buffer.from(text), max), deeper, `bytes of ${text.slice(0, 40)}`);
  }
});

test('agrees with the depth of what JSON.parse builds', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 8 }), (value, max) => {
      const text = JSON.stringify(value);
      const expected = depthOf(JSON.parse(text)) > max;
      assert.equal(jsonNestsDeeperThan(text, max), expected);
      assert.equal(jsonNestsDeeperThan(Buffer.from(text), max), expected);
    }),
  );
});

test('a million levels are refused at once, and megabytes of flat JSON pass', () => {
  assert.equal(jsonNestsDeeperThan('['.repeat(1_000_000)), true);
  const flat = Buffer.from(JSON.stringify({ pad: 'x'.repeat(4 << 20), list: [1, 2, { a: 'b' }] }));
  assert.equal(jsonNestsDeeperThan(flat), false);
});
