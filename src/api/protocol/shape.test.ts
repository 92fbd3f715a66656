// Strict base64 for blob members: exactly padded base64 is accepted, and megabytes of it decode
// without exhausting the stack (a 5 MiB UploadLayerPart once answered InternalFailure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBase64 } from './shape.js';

test('decodeBase64 accepts exactly strict padded base64', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['AAAA', true],
    ['AAA=', true],
    ['AA==', true],
    ['A===', false],
    ['====', false],
    ['AAA', false],
    ['AA=A', false],
    ['AAAA=', false],
    ['AAAAAA==', true],
    ['AAAA AAA', false],
    ['AA-_', false],
  ];
  for (const [text, ok] of cases) assert.equal(decodeBase64(text) !== undefined, ok, JSON.stringify(text));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const text = Buffer.from(bytes).toString('base64');
      assert.deepEqual(decodeBase64(text), new Uint8Array(bytes));
    }),
  );
});

test('decodeBase64 decodes 20 MiB (ECR’s largest layer part) without overflowing the stack', () => {
  const bytes = Buffer.alloc(20 * 1024 * 1024, 0xa5);
  const decoded = decodeBase64(bytes.toString('base64'));
  assert.ok(decoded !== undefined && Buffer.from(decoded).equals(bytes));
});
