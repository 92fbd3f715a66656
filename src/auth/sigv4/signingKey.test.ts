import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveSigningKey, SigningKeyCache } from './signingKey.js';

describe('signing key', () => {
  test('matches AWS documentation’s derivation example (20120215/us-east-1/iam)', () => {
    const key = deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam');
    assert.equal(key.toString('hex'), 'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
  });

  test('the cache returns the derived key and evicts the least recently used', () => {
    const cache = new SigningKeyCache(2);
    const a = cache.get('secret-a', '20260101', 'us-east-1', 'sts');
    assert.deepEqual(a, deriveSigningKey('secret-a', '20260101', 'us-east-1', 'sts'));
    cache.get('secret-b', '20260101', 'us-east-1', 'sts');
    assert.equal(cache.get('secret-a', '20260101', 'us-east-1', 'sts'), a, 'a hit returns the same buffer');
    cache.get('secret-c', '20260101', 'us-east-1', 'sts'); // evicts b, the least recently used
    assert.equal(cache.size, 2);
    assert.equal(cache.get('secret-a', '20260101', 'us-east-1', 'sts'), a);
  });

  test('a different secret, date, region or service is a different key', () => {
    const cache = new SigningKeyCache();
    const base = cache.get('s', '20260101', 'us-east-1', 'sts').toString('hex');
    for (const k of [
      cache.get('t', '20260101', 'us-east-1', 'sts'),
      cache.get('s', '20260102', 'us-east-1', 'sts'),
      cache.get('s', '20260101', 'eu-west-1', 'sts'),
      cache.get('s', '20260101', 'us-east-1', 'iam'),
    ]) {
      assert.notEqual(k.toString('hex'), base);
    }
  });

  test('refuses a non-positive size', () => {
    assert.throws(() => new SigningKeyCache(0), RangeError);
  });
});
