import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isRecycling } from '../BlobStore.js';
import { FileReadStream } from './read.js';

const MiB = 1 << 20;
let dir = '';
let file = '';
const data = randomBytes(3 * MiB + 12345);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crossdock-read-'));
  file = join(dir, 'blob');
  await writeFile(file, data);
});
after(() => rm(dir, { recursive: true, force: true }));

async function readAll(s: FileReadStream, recycle = false): Promise<{ bytes: Buffer; chunks: Buffer[] }> {
  const chunks: Buffer[] = [];
  for await (const c of s) {
    chunks.push(Buffer.from(c as Buffer)); // a copy: the chunk itself may be recycled below
    if (recycle) s.recycle(c as Buffer);
  }
  return { bytes: Buffer.concat(chunks), chunks };
}

const cases: { name: string; range?: { start: number; end: number }; expect: Buffer }[] = [
  { name: 'the whole file, in chunks of at most 1 MiB', expect: data },
  {
    name: 'an inclusive range inside one chunk',
    range: { start: 10, end: 19 },
    expect: data.subarray(10, 20),
  },
  {
    name: 'a range across chunk boundaries',
    range: { start: MiB - 5, end: 2 * MiB + 5 },
    expect: data.subarray(MiB - 5, 2 * MiB + 6),
  },
  {
    name: 'a range past the end of a shorter file ends early, as createReadStream does',
    range: { start: 3 * MiB, end: 10 * MiB },
    expect: data.subarray(3 * MiB),
  },
];
for (const c of cases) {
  test(`reads ${c.name}`, async () => {
    const s = new FileReadStream(await open(file, 'r'), c.range);
    const { bytes, chunks } = await readAll(s, true);
    assert.ok(bytes.equals(c.expect));
    assert.ok(chunks.every((x) => x.length <= MiB));
  });
}

test('an empty file is an empty stream', async () => {
  const empty = join(dir, 'empty');
  await writeFile(empty, '');
  const { bytes } = await readAll(new FileReadStream(await open(empty, 'r')));
  assert.equal(bytes.length, 0);
});

test('recycled chunks are filled again instead of allocating; foreign buffers are ignored', async () => {
  const s = new FileReadStream(await open(file, 'r'));
  assert.ok(isRecycling(s));
  const seen = new Set<ArrayBufferLike>();
  const out: Buffer[] = [];
  for await (const c of s) {
    const chunk = c as Buffer;
    seen.add(chunk.buffer);
    out.push(Buffer.from(chunk));
    s.recycle(Buffer.alloc(MiB)); // not this stream's: ignored
    s.recycle(chunk);
  }
  assert.ok(Buffer.concat(out).equals(data));
  // Four chunks pass, but read-ahead holds at most two more than the reader has given back.
  assert.ok(seen.size < 4, `${seen.size} buffers for 4 chunks`);
});

/** Every chunk of a stream as it was pushed (`data` events hand them over one by one). */
function chunksOf(s: FileReadStream): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    s.on('data', (c: Buffer) => out.push(c));
    s.once('end', () => resolve(out));
    s.once('error', reject);
  });
}

test('a chunk given back twice, or a slice of one, is taken back once: no two chunks share memory', async () => {
  const first = await chunksOf(new FileReadStream(await open(file, 'r'), { start: 0, end: 2 * MiB - 1 }));
  assert.equal(first.length, 2);
  const [a, b] = first as [Buffer, Buffer];
  // Given back twice, and a slice of the second: only `a`'s memory may be reused, once.
  const s = new FileReadStream(await open(file, 'r'));
  s.recycle(a);
  s.recycle(a);
  s.recycle(b.subarray(0, 10));
  const held = await chunksOf(s); // held, never given back
  assert.ok(Buffer.concat(held).equals(data));
  const memories = held.map((c) => c.buffer);
  assert.equal(new Set(memories).size, memories.length, 'two live chunks share memory');
});

test('without recycling every chunk is its own buffer, and the bytes are the same', async () => {
  const s = new FileReadStream(await open(file, 'r'));
  const { bytes, chunks } = await readAll(s);
  assert.ok(bytes.equals(data));
  assert.equal(new Set(chunks.map((c) => c.buffer)).size, chunks.length);
});

const closed = (s: FileReadStream) =>
  new Promise<void>((resolve) => (s.closed ? resolve() : s.once('close', () => resolve())));

test('the handle is closed when the stream ends, and when it is destroyed early', async () => {
  const ended = await open(file, 'r');
  const whole = new FileReadStream(ended);
  await readAll(whole);
  await closed(whole);
  assert.equal(ended.fd, -1);
  const early = await open(file, 'r');
  const s = new FileReadStream(early);
  for await (const _ of s) break; // leaving the loop destroys the stream
  await closed(s);
  assert.equal(early.fd, -1);
});

test('a failing read destroys the stream with its error', async () => {
  const fh = await open(file, 'r');
  const failing = Object.assign(Object.create(fh) as typeof fh, {
    read: async () => {
      throw new Error('EIO: read failed');
    },
    close: () => fh.close(),
  });
  await assert.rejects(readAll(new FileReadStream(failing)), /EIO/);
  assert.equal(fh.fd, -1);
});
