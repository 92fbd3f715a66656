import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { digestOf, type UploadId } from '../BlobStore.js';
import { openFsBlobStore } from './FsBlobStore.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'crossdock-fsblobs-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const body = (b: Buffer): Readable => Readable.from([b], { objectMode: false });

describe('fs blob store on disk', () => {
  test('a blob is one file named by its digest in a shard of its first two hex digits', () =>
    withDir(async (dir) => {
      const { store } = await openFsBlobStore({ dataDir: dir });
      const data = Buffer.from('layer bytes');
      const d = digestOf(data);
      const hex = d.slice('sha256:'.length);
      await store.put(d, body(data));
      assert.deepEqual(await readFile(join(dir, 'blobs', 'sha256', hex.slice(0, 2), hex)), data);
      const d512 = digestOf(data, 'sha512');
      await store.put(d512, body(data));
      const hex512 = d512.slice('sha512:'.length);
      assert.ok((await stat(join(dir, 'blobs', 'sha512', hex512.slice(0, 2), hex512))).isFile());
    }));

  test('a put streams into blobs/_tmp and nothing appears under blobs/sha256 before it ends', () =>
    withDir(async (dir) => {
      const { store } = await openFsBlobStore({ dataDir: dir });
      const data = Buffer.alloc(3 << 20, 7);
      const d = digestOf(data);
      const stream = new PassThrough();
      const putting = store.put(d, stream);
      stream.write(data.subarray(0, 2 << 20));
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal((await readdir(join(dir, 'blobs', '_tmp'))).length, 1);
      assert.deepEqual(await readdir(join(dir, 'blobs', 'sha256')), []);
      stream.end(data.subarray(2 << 20));
      await putting;
      assert.deepEqual(await readdir(join(dir, 'blobs', '_tmp')), []);
    }));

  test('open removes what a crash left in blobs/_tmp and keeps upload sessions', () =>
    withDir(async (dir) => {
      const first = await openFsBlobStore({ dataDir: dir });
      const id = await first.uploads.create();
      await first.uploads.append(id, body(Buffer.from('resumable')), { offset: 0 });
      await writeFile(join(dir, 'blobs', '_tmp', 'interrupted-put'), 'half a layer');
      const again = await openFsBlobStore({ dataDir: dir });
      assert.deepEqual(await again.temporaries(), [`uploads/${id}`]);
      assert.deepEqual(await again.uploads.status(id), { size: 9 });
      await again.uploads.cancel(id);
    }));

  test('an upload session is DIR/uploads/<id>, stamped with the injected clock', () =>
    withDir(async (dir) => {
      const at = Date.parse('2026-03-04T05:06:07.089Z');
      const { uploads } = await openFsBlobStore({
        dataDir: dir,
        clock: () => at,
        newUploadId: () => 'session-1',
      });
      const id = await uploads.create();
      assert.equal(id, 'session-1');
      const s = await stat(join(dir, 'uploads', 'session-1'));
      assert.equal(Math.round(s.mtimeMs), at);
      assert.equal(await uploads.cleanup(1, at), 0);
      assert.equal(await uploads.cleanup(1, at + 2), 1);
      assert.deepEqual(await readdir(join(dir, 'uploads')), []);
      assert.equal(await uploads.status('session-1' as UploadId), undefined);
    }));

  test('files outside the layout are ignored by list and by the upload cleanup', () =>
    withDir(async (dir) => {
      const { store, uploads } = await openFsBlobStore({ dataDir: dir });
      await writeFile(join(dir, 'blobs', 'sha256', 'README'), 'not a blob');
      await writeFile(join(dir, 'uploads', '.hidden'), 'not a session');
      const listed = [];
      for await (const b of store.list!()) listed.push(b);
      assert.deepEqual(listed, []);
      assert.equal(await uploads.cleanup(0, Date.now() + 60_000), 0);
    }));
});
