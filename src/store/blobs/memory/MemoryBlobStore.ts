/**
 * The in-memory driver: a fast blob store for unit tests of the layers above, behind the same
 * checked wrapper and passing the same conformance suite as the filesystem driver. It holds every
 * blob in process memory, so it is for tests only.
 *
 * Layout: `blobs` maps a digest to its bytes (published by one `set`, after `seal`), `staging`
 * names the puts in progress, `uploads` maps an upload id to its chunks so far. An append gathers
 * its chunk aside and adds it only once the body ended, so a failing chunk leaves nothing.
 */
import { Readable } from 'node:stream';
import type { BlobInfo, ByteRange, Digest, UploadId } from '../BlobStore.js';
import { checkedStorage, type CheckedOptions, type CheckedStorage } from '../checked.js';
import type { BlobDriver, StoredUpload } from '../driver.js';
import { BlobUnknown, RangeMismatch, UploadUnknown } from '../errors.js';

/** Slice size of the streams `open` returns, like a file read. */
const SLICE = 64 * 1024;

/** Creates an empty in-memory blob store. */
export function createMemoryBlobStore(opts: CheckedOptions = {}): CheckedStorage {
  return checkedStorage(new MemoryBlobDriver(), opts);
}

interface Session {
  chunks: Buffer[];
  size: number;
  touchedAt: number;
}

/** A stream of copies of `data`'s slices, so a consumer cannot change a stored blob. */
function streamOf(data: Buffer): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at >= data.length) {
        this.push(null);
        return;
      }
      const end = Math.min(at + SLICE, data.length);
      this.push(Buffer.from(data.subarray(at, end)));
      at = end;
    },
  });
}

/** Raw in-memory I/O for `checked.ts`; see the layout above. */
export class MemoryBlobDriver implements BlobDriver {
  private readonly blobs = new Map<Digest, Buffer>();
  private readonly staging = new Set<string>();
  private readonly uploads = new Map<UploadId, Session>();
  private nextPut = 0;

  async stat(d: Digest): Promise<BlobInfo | undefined> {
    const data = this.blobs.get(d);
    return data === undefined ? undefined : { digest: d, size: data.length };
  }

  async open(d: Digest, range?: ByteRange): Promise<Readable> {
    const data = this.blobs.get(d);
    if (data === undefined) throw new BlobUnknown(d);
    return streamOf(range === undefined ? data : data.subarray(range.start, range.end + 1));
  }

  async write(d: Digest, body: AsyncIterable<Buffer>, seal: () => void): Promise<void> {
    const name = `put-${this.nextPut++}`;
    this.staging.add(name);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.from(chunk));
      seal();
      this.blobs.set(d, Buffer.concat(chunks));
    } finally {
      this.staging.delete(name);
    }
  }

  async delete(d: Digest): Promise<void> {
    this.blobs.delete(d);
  }

  async *list(): AsyncIterable<BlobInfo> {
    for (const [digest, data] of [...this.blobs]) yield { digest, size: data.length };
  }

  async createUpload(id: UploadId, at: number): Promise<void> {
    if (this.uploads.has(id)) throw new Error(`upload \`${id}\` already exists`);
    this.uploads.set(id, { chunks: [], size: 0, touchedAt: at });
  }

  async uploadSize(id: UploadId): Promise<number | undefined> {
    return this.uploads.get(id)?.size;
  }

  async appendUpload(id: UploadId, offset: number, body: AsyncIterable<Buffer>, at: number): Promise<number> {
    const session = this.uploads.get(id);
    if (session === undefined) throw new UploadUnknown(id);
    if (session.size !== offset) throw new RangeMismatch(id, offset, session.size);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      chunks.push(Buffer.from(chunk));
      size += chunk.length;
    }
    if (this.uploads.get(id) !== session) throw new UploadUnknown(id);
    if (session.size !== offset) throw new RangeMismatch(id, offset, session.size);
    session.chunks.push(...chunks);
    session.size += size;
    session.touchedAt = at;
    return session.size;
  }

  async readUpload(id: UploadId): Promise<Readable> {
    const session = this.uploads.get(id);
    if (session === undefined) throw new UploadUnknown(id);
    return streamOf(Buffer.concat(session.chunks));
  }

  async commitUpload(id: UploadId, d: Digest): Promise<void> {
    const session = this.uploads.get(id);
    if (session === undefined) throw new UploadUnknown(id);
    this.blobs.set(d, Buffer.concat(session.chunks));
    this.uploads.delete(id);
  }

  async deleteUpload(id: UploadId): Promise<boolean> {
    return this.uploads.delete(id);
  }

  async *listUploads(): AsyncIterable<StoredUpload> {
    for (const [id, s] of [...this.uploads]) yield { id, size: s.size, touchedAt: s.touchedAt };
  }

  async temporaries(): Promise<string[]> {
    return [
      ...[...this.staging].map((n) => `staging/${n}`),
      ...[...this.uploads.keys()].map((id) => `uploads/${id}`),
    ];
  }
}
