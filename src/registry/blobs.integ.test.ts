// Blob downloads as the registry streams them: a body that takes its chunks back (the fs driver's)
// gets each one once the socket has it, and the client still reads every byte; a client that goes
// away mid-download releases the body (its file handle) instead of leaving it open.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { RecyclingReadable } from '../store/blobs/BlobStore.js';
import { createRegistryHandler } from './index.js';
import { FakeRegistryBackend } from './testkit.js';

const A = '111111111111';
const APP = { accountId: A, region: 'us-east-1', name: 'app' };
const AUTH = `Basic ${Buffer.from('AWS:token-a').toString('base64')}`;
const MiB = 1 << 20;

/** A body of `count` chunks of 1 MiB that records what it is given back, paced by the reader. */
class Recycling extends Readable implements RecyclingReadable {
  readonly recycled: Buffer[] = [];
  sent = 0;
  constructor(
    readonly chunks: Buffer[],
    private readonly endless = false,
  ) {
    super({ highWaterMark: 2 * MiB });
  }
  recycle(chunk: Buffer): void {
    this.recycled.push(chunk);
  }
  override _read(): void {
    if (!this.endless && this.sent === this.chunks.length) return void this.push(null);
    this.push(this.chunks[this.sent++ % this.chunks.length]);
  }
}

let server: Server;
let port = 0;
const fake = new FakeRegistryBackend();
let body: Recycling | undefined;

before(async () => {
  fake.addToken('token-a', A);
  fake.createRepository(APP);
  // Every blob GET is answered from `body` (the size the test announces).
  fake.openBlob = async () => ({ size: body!.chunks.length * MiB, body: body! });
  const handler = createRegistryHandler({ backend: fake, defaultRegion: 'us-east-1' });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const digest = `sha256:${'a'.repeat(64)}`;

/** GETs the blob; `-1` when `onData` aborted the request. */
function get(onData: (chunk: Buffer, abort: () => void) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let aborted = false;
    const abort = () => {
      aborted = true;
      req.destroy();
      resolve(-1);
    };
    const req = request(
      { host: '127.0.0.1', port, path: `/v2/${A}/app/blobs/${digest}`, headers: { Authorization: AUTH } },
      (res) => {
        res.on('data', (c: Buffer) => aborted || onData(c, abort));
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', (e) => aborted || reject(e));
      },
    );
    req.on('error', (e) => aborted || reject(e));
    req.end();
  });
}

test('a recycling body gets every chunk back once written, and the client reads every byte', async () => {
  const chunks = Array.from({ length: 24 }, () => randomBytes(MiB));
  body = new Recycling(chunks);
  const hash = createHash('sha256');
  let size = 0;
  const status = await get((c) => {
    hash.update(c);
    size += c.length;
  });
  assert.equal(status, 200);
  assert.equal(size, 24 * MiB);
  const expected = createHash('sha256');
  for (const c of chunks) expected.update(c);
  assert.equal(hash.digest('hex'), expected.digest('hex'));
  await new Promise((r) => setImmediate(r));
  assert.equal(body.recycled.length, 24);
  assert.ok(
    body.recycled.every((c, i) => c === chunks[i]),
    'each chunk comes back once, in order',
  );
});

test('a client that goes away mid-download destroys the body', async () => {
  body = new Recycling([randomBytes(MiB)], true);
  const b = body;
  await get((_c, abort) => abort());
  await new Promise<void>((resolve) => (b.destroyed ? resolve() : b.once('close', () => resolve())));
  assert.ok(b.destroyed);
  assert.ok(b.sent < 1000, 'the server stopped reading');
});
