import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  digestAlgorithm,
  digestHex,
  digestOf,
  isDigest,
  isUploadId,
  parseDigest,
  parseUploadId,
} from './BlobStore.js';
import { BlobStoreError } from './errors.js';

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const validDigest = fc.oneof(
  hex(64).map((h) => `sha256:${h}`),
  hex(128).map((h) => `sha512:${h}`),
);

test('every well-formed digest parses to itself and splits into algorithm and hex', () => {
  fc.assert(
    fc.property(validDigest, (s) => {
      const d = parseDigest(s);
      assert.equal(d, s);
      assert.equal(`${digestAlgorithm(d)}:${digestHex(d)}`, s);
    }),
  );
});

test('a string is a digest exactly when it matches one of the two forms', () => {
  const form = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
  const near = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    validDigest.chain((d) =>
      fc
        .tuple(fc.nat(d.length), fc.string({ maxLength: 3, unit: 'binary' }))
        .map(([i, s]) => d.slice(0, i) + s + d.slice(i + 1)),
    ),
  );
  fc.assert(
    fc.property(near, (s) => {
      assert.equal(isDigest(s), form.test(s));
      if (form.test(s)) assert.equal(parseDigest(s), s);
      else
        assert.throws(
          () => parseDigest(s),
          (e: unknown) => e instanceof BlobStoreError && e.code === 'DigestInvalid',
        );
    }),
  );
});

test('digestOf hashes with the algorithm asked for', () => {
  assert.equal(digestOf(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(
    digestOf('', 'sha512'),
    'sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
  );
});

test('an upload id is 1 to 128 of letters, digits, dash and underscore, nothing else', () => {
  const cases: [string, boolean][] = [
    ['0f8c2b9e-3b1a-4c55-9f0e-1d2c3b4a5e6f', true],
    ['a', true],
    ['A_b-9', true],
    ['x'.repeat(128), true],
    ['x'.repeat(129), false],
    ['', false],
    ['..', false],
    ['a/b', false],
    ['a\\b', false],
    ['é', false],
    ['a b', false],
  ];
  for (const [id, ok] of cases) {
    assert.equal(isUploadId(id), ok, id);
    if (ok) assert.equal(parseUploadId(id), id);
    else
      assert.throws(
        () => parseUploadId(id),
        (e: unknown) => e instanceof BlobStoreError && e.code === 'UploadUnknown',
      );
  }
});
