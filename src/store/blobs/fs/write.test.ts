import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import { test } from 'node:test';
import { writeBatched } from './write.js';

/** A file in memory whose `writev` writes at most `cap` bytes per call, as a short write does. */
function fakeFile(cap: number) {
  const file = Buffer.alloc(40 << 20);
  const calls = { writev: 0, datasync: 0, concurrent: 0, maxConcurrent: 0 };
  const handle = {
    async writev(buffers: Buffer[], position: number) {
      calls.writev++;
      calls.maxConcurrent = Math.max(calls.maxConcurrent, ++calls.concurrent);
      await new Promise((resolve) => setImmediate(resolve));
      let written = 0;
      for (const b of buffers) {
        const n = Math.min(b.length, cap - written);
        b.copy(file, position + written, 0, n);
        written += n;
        if (written === cap) break;
      }
      calls.concurrent--;
      return { bytesWritten: written, buffers };
    },
    async datasync() {
      calls.datasync++;
    },
  };
  return { handle: handle as unknown as FileHandle, file, calls };
}

async function* chunks(data: Buffer, size: number, failAt?: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) {
    if (failAt !== undefined && at >= failAt) throw new Error('boom');
    yield data.subarray(at, at + size);
  }
}

const data = Buffer.from(Array.from({ length: 35 << 20 }, (_, i) => (i * 7919) & 0xff));

test('every byte lands at its position despite short writes, one writev at a time', async () => {
  const { handle, file, calls } = fakeFile(300_000);
  assert.equal(await writeBatched(handle, chunks(data, 65_536), 5), data.length);
  assert.ok(file.subarray(5, 5 + data.length).equals(data));
  assert.equal(calls.maxConcurrent, 1);
  assert.ok(calls.datasync >= 2, 'the disk is drained in the background as bytes arrive');
});

test('tiny chunks are batched by count too', async () => {
  const { handle, file, calls } = fakeFile(Number.MAX_SAFE_INTEGER);
  const small = data.subarray(0, 5000);
  assert.equal(await writeBatched(handle, chunks(small, 1), 0), 5000);
  assert.ok(file.subarray(0, 5000).equals(small));
  assert.equal(calls.writev, 5, '1024 chunks per writev at most');
});

test('a failing body waits for the write in flight before it rethrows', async () => {
  const { handle, calls } = fakeFile(Number.MAX_SAFE_INTEGER);
  await assert.rejects(writeBatched(handle, chunks(data, 65_536, 3 << 20), 0), /boom/);
  assert.equal(calls.concurrent, 0);
});

test('a failed background sync fails the write, even when later syncs succeed', async () => {
  const { handle } = fakeFile(Number.MAX_SAFE_INTEGER);
  let syncs = 0;
  (handle as unknown as { datasync(): Promise<void> }).datasync = async () => {
    if (++syncs === 1) throw new Error('EIO: write-back failed');
  };
  await assert.rejects(writeBatched(handle, chunks(data, 65_536), 0), /EIO/);
});

test('reading goes on while a write is slow, up to a bounded queue of batches', async () => {
  const { handle, file } = fakeFile(Number.MAX_SAFE_INTEGER);
  const fast = handle.writev.bind(handle);
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  (handle as unknown as { writev: typeof fast }).writev = async (buffers, position) => {
    if (first) {
      first = false;
      await gate;
    }
    return fast(buffers, position);
  };
  let read = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const c of chunks(data, 65_536)) {
      read += c.length;
      yield c;
    }
  }
  const writing = writeBatched(handle, counted(), 0);
  for (let i = 0; i < 200; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(read > 3 << 20, `read ${read} bytes while the first write waited`);
  assert.ok(read < 8 << 20, `read ${read} bytes: the queue is bounded`);
  release();
  assert.equal(await writing, data.length);
  assert.ok(file.subarray(0, data.length).equals(data));
});
