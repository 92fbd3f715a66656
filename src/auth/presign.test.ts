import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlobUrlSigner, PRESIGN_EXPIRES, PRESIGN_SIGNATURE } from './presign.js';

const key = Buffer.alloc(32, 7);
const blob = {
  accountId: '111122223333',
  region: 'us-east-1',
  repositoryName: 'team/app',
  digest: `sha256:${'a'.repeat(64)}`,
};
const NOW = 1_800_000_000_000;
const signer = new BlobUrlSigner(key);
const signed = new URLSearchParams(signer.sign(blob, NOW + 60_000));

test('a signed query verifies for its own blob until it expires', () => {
  assert.deepEqual(signer.verify(blob, signed, NOW), { ok: true });
  assert.deepEqual(signer.verify(blob, signed, NOW + 59_999), { ok: true });
  assert.deepEqual(signer.verify(blob, signed, NOW + 60_000), { ok: false, problem: 'expired' });
});

test('any change to the blob, the expiry, the signature or the key breaks it', () => {
  const cases = [
    { name: 'another account', b: { ...blob, accountId: '444455556666' } },
    { name: 'another region', b: { ...blob, region: 'eu-west-1' } },
    { name: 'another repository', b: { ...blob, repositoryName: 'team/other' } },
    { name: 'another digest', b: { ...blob, digest: `sha256:${'b'.repeat(64)}` } },
  ];
  for (const c of cases)
    assert.deepEqual(signer.verify(c.b, signed, NOW), { ok: false, problem: 'forged' }, c.name);
  const later = new URLSearchParams(signed);
  later.set(PRESIGN_EXPIRES, String(Number(signed.get(PRESIGN_EXPIRES)) + 1));
  assert.deepEqual(signer.verify(blob, later, NOW), { ok: false, problem: 'forged' });
  const flipped = new URLSearchParams(signed);
  const sig = signed.get(PRESIGN_SIGNATURE)!;
  flipped.set(PRESIGN_SIGNATURE, (sig[0] === '0' ? '1' : '0') + sig.slice(1));
  assert.deepEqual(signer.verify(blob, flipped, NOW), { ok: false, problem: 'forged' });
  const otherKey = new BlobUrlSigner(Buffer.alloc(32, 8));
  assert.deepEqual(otherKey.verify(blob, signed, NOW), { ok: false, problem: 'forged' });
});

test('missing or malformed parameters are refused before any hashing', () => {
  const cases = [
    new URLSearchParams(),
    new URLSearchParams({ [PRESIGN_EXPIRES]: 'soon', [PRESIGN_SIGNATURE]: signed.get(PRESIGN_SIGNATURE)! }),
    new URLSearchParams({ [PRESIGN_EXPIRES]: signed.get(PRESIGN_EXPIRES)!, [PRESIGN_SIGNATURE]: 'zz' }),
  ];
  for (const q of cases) assert.deepEqual(signer.verify(blob, q, NOW), { ok: false, problem: 'malformed' });
});
