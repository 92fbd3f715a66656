import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { digestOf, type BlobInfo, type Digest, type UploadId } from './BlobStore.js';
import { checkedStorage, type BlobStoreHooks } from './checked.js';
import { stopHashWorker } from './hashing.js';
import { MemoryBlobDriver } from './memory/MemoryBlobStore.js';

/** The memory driver, counting how often upload bytes are read back. */
class CountingDriver extends MemoryBlobDriver {
  readUploads = 0;
  override async readUpload(id: UploadId): Promise<Readable> {
    this.readUploads++;
    return super.readUpload(id);
  }
}

const body = (s: string): Readable => Readable.from([Buffer.from(s)], { objectMode: false });

test('a commit uses the running hash and reads the bytes back only when that state is gone', async () => {
  const driver = new CountingDriver();
  const first = checkedStorage(driver);
  const id = await first.uploads.create();
  await first.uploads.append(id, body('hello '), { offset: 0 });
  await first.uploads.append(id, body('world'), { offset: 6 });
  await first.uploads.commit(id, digestOf('hello world'));
  assert.equal(driver.readUploads, 0, 'no re-read while the running hash covers every byte');

  const other = await first.uploads.create();
  await first.uploads.append(other, body('again'), { offset: 0 });
  const restarted = checkedStorage(driver); // a new process over the same storage
  await restarted.uploads.commit(other, digestOf('again'));
  assert.equal(driver.readUploads, 1, 'a restarted process re-hashes once');

  const third = await restarted.uploads.create();
  await restarted.uploads.append(third, body('abc'), { offset: 0 });
  await restarted.uploads.commit(third, digestOf('abc', 'sha512'));
  assert.equal(driver.readUploads, 2, 'another algorithm than the running one re-hashes once');
});

test('a session whose running hash died with the hash worker commits by reading its bytes back', async () => {
  const driver = new CountingDriver();
  const { uploads, store } = checkedStorage(driver);
  const data = Buffer.alloc(3 << 20, 7); // past one slot: hashed in the worker
  const id = await uploads.create();
  await uploads.append(id, Readable.from([data.subarray(0, 2 << 20)]), { offset: 0 });
  await stopHashWorker();
  await uploads.append(id, Readable.from([data.subarray(2 << 20)]), { offset: 2 << 20 });
  const d = digestOf(data);
  assert.deepEqual(await uploads.commit(id, d), { digest: d, size: data.length });
  assert.equal(driver.readUploads, 1);
  assert.deepEqual(await store.put(d, Readable.from([data])), { digest: d, size: data.length });
});

test('hooks see stores, reads, appends and deletes with their sizes', async () => {
  const events: string[] = [];
  const hooks: BlobStoreHooks = {
    stored: (info: BlobInfo, created: boolean) => events.push(`stored ${info.size} ${created}`),
    opened: (info: BlobInfo, bytes: number) => events.push(`opened ${info.size} ${bytes}`),
    appended: (_id: UploadId, bytes: number) => events.push(`appended ${bytes}`),
    deleted: (_d: Digest) => events.push('deleted'),
  };
  const { store, uploads } = checkedStorage(new MemoryBlobDriver(), { hooks });
  const d = digestOf('0123456789');
  await store.put(d, body('0123456789'));
  await store.put(d, body('0123456789'));
  (await store.open(d, { start: 2, end: 4 })).resume();
  const id = await uploads.create();
  await uploads.append(id, body('0123456789'), { offset: 0 });
  await uploads.commit(id, d);
  await store.delete(d);
  assert.deepEqual(events, [
    'stored 10 true',
    'stored 10 false',
    'opened 10 3',
    'appended 10',
    'stored 10 false',
    'deleted',
  ]);
});

test('injected ids and clock name and stamp the sessions', async () => {
  let n = 0;
  const driver = new MemoryBlobDriver();
  const { uploads } = checkedStorage(driver, { clock: () => 1_000, newUploadId: () => `u${++n}` });
  assert.equal(await uploads.create(), 'u1');
  const listed = [];
  for await (const u of driver.listUploads()) listed.push(u);
  assert.deepEqual(listed, [{ id: 'u1', size: 0, touchedAt: 1_000 }]);
  const bad = checkedStorage(driver, { newUploadId: () => '../x' });
  await assert.rejects(bad.uploads.create(), /malformed id/);
  await uploads.cancel('u1' as UploadId);
});

test('a driver that publishes without sealing is caught and undone', async () => {
  class Careless extends MemoryBlobDriver {
    override async write(d: Digest, b: AsyncIterable<Buffer>): Promise<void> {
      return super.write(d, b, () => undefined);
    }
  }
  const { store } = checkedStorage(new Careless());
  const d = digestOf('claimed');
  await assert.rejects(store.put(d, body('other bytes')), /without verifying/);
  assert.equal(await store.stat(d), undefined);
});

test('object-mode and decoded bodies are refused: their chunks are not the client bytes', async () => {
  const { store } = checkedStorage(new MemoryBlobDriver());
  await assert.rejects(store.put(digestOf('ab'), Readable.from(['ab'])), TypeError);
  const decoded = body('ab');
  decoded.setEncoding('utf8');
  await assert.rejects(store.put(digestOf('ab'), decoded), TypeError);
});
