import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { DigestAlgorithm } from './BlobStore.js';
import { Digester, stopHashWorker } from './hashing.js';

const MiB = 1024 * 1024;

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const expected = (data: Buffer, algorithm: DigestAlgorithm = 'sha256'): string =>
  `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;

/** Feeds `data` in chunks of `chunk` bytes, waiting when the digester asks to. */
async function feed(d: Digester, data: Buffer, chunk: number): Promise<void> {
  for (let at = 0; at < data.length; at += chunk) {
    const behind = d.update(data.subarray(at, at + chunk));
    if (behind !== undefined) await behind;
  }
}

const cases: { name: string; size: number; chunk: number; algorithm?: DigestAlgorithm }[] = [
  { name: 'an empty body is hashed on the main thread', size: 0, chunk: 1 },
  { name: 'a small body in tiny chunks', size: 5000, chunk: 7 },
  { name: 'a body one byte short of a slot', size: MiB - 1, chunk: 65_536 },
  { name: 'a body of exactly one slot', size: MiB, chunk: 65_536 },
  { name: 'a body one byte past a slot', size: MiB + 1, chunk: 65_536 },
  { name: 'a large body in socket-sized chunks', size: 9 * MiB + 3, chunk: 65_536 },
  { name: 'chunks larger than a slot', size: 7 * MiB + 11, chunk: 3 * MiB + 1 },
  { name: 'sha512 in the worker', size: 3 * MiB + 5, chunk: 100_003, algorithm: 'sha512' },
];

for (const c of cases) {
  test(`${c.name} gives the digest of its bytes`, async () => {
    const data = bytes(c.size, c.size);
    const d = new Digester(c.algorithm ?? 'sha256');
    await feed(d, data, c.chunk);
    assert.equal(await d.digest(), expected(data, c.algorithm));
  });
}

test('a chunk may be reused as soon as update returns', async () => {
  const data = bytes(4 * MiB, 1);
  const d = new Digester('sha256');
  const scratch = Buffer.alloc(65_536);
  for (let at = 0; at < data.length; at += scratch.length) {
    data.copy(scratch, 0, at, at + scratch.length);
    const behind = d.update(scratch);
    scratch.fill(0xff);
    if (behind !== undefined) await behind;
  }
  assert.equal(await d.digest(), expected(data));
});

for (const size of [1000, 3 * MiB]) {
  test(`a copy of a ${size}-byte state goes on independently of the original`, async () => {
    const head = bytes(size, 2);
    const [a, b] = [bytes(2 * MiB, 3), bytes(5, 4)];
    const original = new Digester('sha256');
    await feed(original, head, 65_536);
    const copy = await original.copy();
    await feed(original, a, 65_536);
    await feed(copy, b, 1);
    assert.equal(await copy.digest(), expected(Buffer.concat([head, b])));
    assert.equal(await original.digest(), expected(Buffer.concat([head, a])));
  });
}

test('a state lost with the worker fails, and the next one starts a new worker', async () => {
  const data = bytes(3 * MiB, 5);
  const lost = new Digester('sha256');
  await feed(lost, data, 65_536);
  await lost.settle();
  await stopHashWorker();
  await assert.rejects(lost.digest(), /hash worker/);

  const fresh = new Digester('sha256');
  await feed(fresh, data, 65_536);
  assert.equal(await fresh.digest(), expected(data));
});

test('a disposed state can be dropped midway', async () => {
  const d = new Digester('sha256');
  await feed(d, bytes(3 * MiB + 1, 6), 65_536);
  d.dispose();
  const after = new Digester('sha256');
  await feed(after, bytes(2 * MiB, 7), 65_536);
  assert.equal(await after.digest(), expected(bytes(2 * MiB, 7)));
});
