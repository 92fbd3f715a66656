/**
 * The one wrapper every driver runs in, so drivers do raw I/O only. It
 * - validates every digest and upload id before a driver sees it (no key can escape storage);
 * - hashes and counts the bytes of a put or an append in the same pass that streams them to the
 *   driver, and hands the driver a `seal` that refuses a digest or size mismatch before anything is
 *   published;
 * - verifies a re-put of an existing blob without writing it again;
 * - keeps the running hash of each upload session in memory so `commit` does not re-read the
 *   bytes, and re-hashes them only when that state is gone (after a restart, or on another node);
 * - serialises appends and commits of one session in this process, and restores the running hash
 *   when a chunk fails (drivers cut the bytes back);
 * - checks read ranges against the blob's size;
 * - reports what happened to optional hooks (metrics, size accounting).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  DIGEST_ALGORITHMS,
  digestAlgorithm,
  isUploadId,
  parseDigest,
  parseUploadId,
  type BlobInfo,
  type BlobStorage,
  type BlobStore,
  type ByteRange,
  type CreateUploadOptions,
  type Digest,
  type DigestAlgorithm,
  type PutOptions,
  type UploadId,
  type UploadStatus,
  type UploadStore,
} from './BlobStore.js';
import type { BlobDriver } from './driver.js';
import { Digester } from './hashing.js';
import {
  BlobUnknown,
  DigestInvalid,
  DigestMismatch,
  RangeInvalid,
  SizeMismatch,
  UploadUnknown,
} from './errors.js';

/**
 * What the wrapper reports, for metrics and size accounting. Hooks run inline after the operation
 * succeeded and must not throw.
 */
export interface BlobStoreHooks {
  /** A put or commit finished; `created` is false when the blob existed and the bytes were dropped. */
  stored?(info: BlobInfo, created: boolean): void;
  /** A blob was opened; `bytes` is how many the stream carries (the range's length or the size). */
  opened?(info: BlobInfo, bytes: number): void;
  /** A delete was done (whether or not the blob existed). */
  deleted?(digest: Digest): void;
  /** A chunk of `bytes` was appended to an upload session. */
  appended?(id: UploadId, bytes: number): void;
}

/** The injected sources and hooks of the wrapper; defaults are the real clock and random ids. */
export interface CheckedOptions {
  /** Milliseconds; stamps upload sessions for `cleanup`. Default `Date.now`. */
  readonly clock?: () => number;
  /** Makes upload ids (must match `[A-Za-z0-9_-]{1,128}`). Default `randomUUID`. */
  readonly newUploadId?: () => string;
  readonly hooks?: BlobStoreHooks;
}

/** A driver opened behind the wrapper, plus what it holds outside published blobs. */
export interface CheckedStorage extends BlobStorage {
  /** Staged puts and open upload sessions by name: tests expect none left, operators watch it. */
  temporaries(): Promise<string[]>;
}

/** Wraps a driver in the checked `BlobStore` and `UploadStore`. */
export function checkedStorage(driver: BlobDriver, opts: CheckedOptions = {}): CheckedStorage {
  return {
    store: new CheckedBlobStore(driver, opts.hooks ?? {}),
    uploads: new CheckedUploadStore(driver, opts),
    temporaries: () => driver.temporaries(),
  };
}

/**
 * The chunks of a byte stream, refusing object-mode or decoded (string) streams whose bytes are
 * not the client's. Iterates without destroying the body when the consumer stops early, so an
 * HTTP caller can still answer on the same connection.
 */
async function* bytesOf(body: Readable): AsyncGenerator<Buffer> {
  const source: AsyncIterable<unknown> =
    typeof body.iterator === 'function'
      ? { [Symbol.asyncIterator]: () => body.iterator({ destroyOnReturn: false }) }
      : body;
  for await (const chunk of source) {
    if (Buffer.isBuffer(chunk)) yield chunk;
    else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else throw new TypeError('a blob body must be a byte stream (no encoding, no object mode)');
  }
}

/**
 * Hashes and counts bytes on their way to a driver. The hash of a large body runs in the hash
 * worker (`hashing.ts`) while the chunks go on; the digest is known when the source has ended,
 * before the driver's `seal`.
 */
class Meter {
  size = 0;
  private readonly digester: Digester;
  private actual: string | undefined;
  constructor(algorithm: DigestAlgorithm) {
    this.digester = new Digester(algorithm);
  }

  async *tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of source) {
        const behind = this.digester.update(chunk);
        if (behind !== undefined) await behind;
        this.size += chunk.length;
        yield chunk;
      }
      this.actual = await this.digester.digest();
    } finally {
      if (this.actual === undefined) this.digester.dispose();
    }
  }

  async drain(source: AsyncIterable<Buffer>): Promise<void> {
    for await (const _ of this.tap(source));
  }

  /** Throws unless the bytes seen are `expected` (and `expectedSize` long). Call once. */
  verify(expected: Digest, expectedSize: number | undefined): void {
    if (expectedSize !== undefined && this.size !== expectedSize) {
      throw new SizeMismatch(expectedSize, this.size);
    }
    if (this.actual === undefined) throw new Error('a blob was sealed before its body ended');
    if (this.actual !== expected) throw new DigestMismatch(expected, this.actual);
  }
}

function checkRange(info: BlobInfo, range: ByteRange | undefined): number {
  if (range === undefined) return info.size;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end) {
    throw new RangeInvalid(start, end, info.size);
  }
  if (end >= info.size) throw new RangeInvalid(start, end, info.size);
  return end - start + 1;
}

/** The checked `BlobStore` over a driver. */
export class CheckedBlobStore implements BlobStore {
  constructor(
    private readonly driver: BlobDriver,
    private readonly hooks: BlobStoreHooks = {},
  ) {}

  async stat(d: Digest): Promise<BlobInfo | undefined> {
    return this.driver.stat(parseDigest(d));
  }

  async open(d: Digest, range?: ByteRange): Promise<Readable> {
    const digest = parseDigest(d);
    const info = await this.driver.stat(digest);
    if (info === undefined) throw new BlobUnknown(digest);
    const bytes = checkRange(info, range);
    const stream = await this.driver.open(digest, range);
    this.hooks.opened?.(info, bytes);
    return stream;
  }

  async put(d: Digest, body: Readable, opts: PutOptions = {}): Promise<BlobInfo> {
    const digest = parseDigest(d);
    const { expectedSize } = opts;
    if (expectedSize !== undefined && !(Number.isSafeInteger(expectedSize) && expectedSize >= 0)) {
      throw new RangeError(`expected size must be a non-negative integer, got ${expectedSize}`);
    }
    const meter = new Meter(digestAlgorithm(digest));
    const existing = await this.driver.stat(digest);
    if (existing !== undefined) {
      await meter.drain(bytesOf(body));
      meter.verify(digest, expectedSize);
      this.hooks.stored?.(existing, false);
      return existing;
    }
    let sealed = false;
    await this.driver.write(digest, meter.tap(bytesOf(body)), () => {
      meter.verify(digest, expectedSize);
      sealed = true;
    });
    if (!sealed) {
      // A driver that publishes without asking has broken the one rule that matters; undo it.
      await this.driver.delete(digest);
      throw new Error(`blob driver published \`${digest}\` without verifying it`);
    }
    const info: BlobInfo = { digest, size: meter.size };
    this.hooks.stored?.(info, true);
    return info;
  }

  async delete(d: Digest): Promise<void> {
    const digest = parseDigest(d);
    await this.driver.delete(digest);
    this.hooks.deleted?.(digest);
  }

  list(): AsyncIterable<BlobInfo> {
    return this.driver.list();
  }
}

/** The running hash of a session: valid for exactly `size` bytes hashed with `algorithm`. */
interface RunningHash {
  readonly algorithm: DigestAlgorithm;
  hash: Digester;
  size: number;
}

/** One operation at a time per key, in call order. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  busy(key: string): boolean {
    return this.tails.has(key);
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** The checked `UploadStore` over a driver. */
export class CheckedUploadStore implements UploadStore {
  private readonly clock: () => number;
  private readonly newId: () => string;
  private readonly hooks: BlobStoreHooks;
  private readonly running = new Map<UploadId, RunningHash>();
  private readonly lock = new KeyedLock();

  constructor(
    private readonly driver: BlobDriver,
    opts: CheckedOptions = {},
  ) {
    this.clock = opts.clock ?? Date.now;
    this.newId = opts.newUploadId ?? randomUUID;
    this.hooks = opts.hooks ?? {};
  }

  async create(opts: CreateUploadOptions = {}): Promise<UploadId> {
    const algorithm = opts.algorithm ?? 'sha256';
    if (!DIGEST_ALGORITHMS.includes(algorithm)) throw new DigestInvalid(`${String(algorithm)}:`);
    const raw = this.newId();
    if (!isUploadId(raw)) throw new Error(`the upload id source made a malformed id \`${raw}\``);
    await this.driver.createUpload(raw, this.clock());
    this.running.set(raw, { algorithm, hash: new Digester(algorithm), size: 0 });
    return raw;
  }

  async append(id: UploadId, body: Readable, opts: { readonly offset: number }): Promise<UploadStatus> {
    const uid = parseUploadId(id);
    const { offset } = opts;
    return this.lock.run(uid, async () => {
      const state = this.running.get(uid);
      // The running hash continues only if it covers exactly the bytes before this chunk.
      let tracked = state !== undefined && state.size === offset ? state : undefined;
      const before = tracked === undefined ? undefined : await tracked.hash.copy().catch(() => undefined);
      if (tracked !== undefined && before === undefined) {
        this.forget(uid);
        tracked = undefined;
      }
      const hash = tracked?.hash;
      let count = 0;
      async function* tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
        for await (const chunk of source) {
          const behind = hash?.update(chunk);
          if (behind !== undefined) await behind;
          count += chunk.length;
          yield chunk;
        }
      }
      let size: number;
      try {
        size = await this.driver.appendUpload(uid, offset, tap(bytesOf(body)), this.clock());
      } catch (e) {
        if (e instanceof UploadUnknown) {
          before?.dispose();
          this.forget(uid);
        } else if (tracked !== undefined && before !== undefined) {
          // The driver cut the bytes back to `offset`; the hash goes back with them, unless the
          // cut failed, in which case commit re-hashes whatever is there.
          if ((await this.driver.uploadSize(uid).catch(() => undefined)) === offset) {
            tracked.hash.dispose();
            tracked.hash = before;
          } else {
            before.dispose();
            this.forget(uid);
          }
        }
        throw e;
      }
      before?.dispose();
      // A hash the worker lost is forgotten: commit then re-reads the bytes.
      const hashed = await hash?.settle().then(
        () => true,
        () => false,
      );
      if (tracked !== undefined && hashed === true && size === offset + count) tracked.size = size;
      else this.forget(uid);
      this.hooks.appended?.(uid, count);
      return { size };
    });
  }

  async status(id: UploadId): Promise<UploadStatus | undefined> {
    if (!isUploadId(id)) return undefined;
    const size = await this.driver.uploadSize(id);
    if (size === undefined) {
      this.forget(id);
      return undefined;
    }
    return { size };
  }

  async commit(id: UploadId, expected: Digest): Promise<BlobInfo> {
    const uid = parseUploadId(id);
    const digest = parseDigest(expected);
    return this.lock.run(uid, async () => {
      const size = await this.driver.uploadSize(uid);
      if (size === undefined) {
        this.forget(uid);
        throw new UploadUnknown(uid);
      }
      const actual = await this.digestOfUpload(uid, digestAlgorithm(digest), size);
      if (actual !== digest) {
        await this.driver.deleteUpload(uid);
        this.forget(uid);
        throw new DigestMismatch(digest, actual);
      }
      const existing = await this.driver.stat(digest);
      if (existing !== undefined) {
        await this.driver.deleteUpload(uid);
        this.forget(uid);
        this.hooks.stored?.(existing, false);
        return existing;
      }
      await this.driver.commitUpload(uid, digest);
      this.forget(uid);
      const info: BlobInfo = { digest, size };
      this.hooks.stored?.(info, true);
      return info;
    });
  }

  async cancel(id: UploadId): Promise<void> {
    const uid = parseUploadId(id);
    // Not behind the session's lock: a cancel must not wait for a slow client's chunk. An append
    // in flight then finds its session gone and fails with `UploadUnknown`.
    const existed = await this.driver.deleteUpload(uid);
    this.forget(uid);
    if (!existed) throw new UploadUnknown(uid);
  }

  async cleanup(olderThanMs: number, now: number): Promise<number> {
    const cutoff = now - olderThanMs;
    const stale: UploadId[] = [];
    for await (const u of this.driver.listUploads()) {
      if (u.touchedAt < cutoff && !this.lock.busy(u.id)) stale.push(u.id);
    }
    let removed = 0;
    for (const id of stale) {
      if (this.lock.busy(id)) continue;
      if (await this.driver.deleteUpload(id)) removed++;
      this.forget(id);
    }
    return removed;
  }

  /** Drops the running hash of a session, if any. */
  private forget(id: UploadId): void {
    this.running.get(id)?.hash.dispose();
    this.running.delete(id);
  }

  /** The session's digest: from the running hash when it covers every byte, else by reading them. */
  private async digestOfUpload(id: UploadId, algorithm: DigestAlgorithm, size: number): Promise<string> {
    const state = this.running.get(id);
    if (state !== undefined && state.size === size && state.algorithm === algorithm) {
      // A copy, so that a commit failing after this (an I/O error) leaves the session resumable.
      const running = await state.hash
        .copy()
        .then((copy) => copy.digest())
        .catch(() => undefined);
      if (running !== undefined) return running;
      this.forget(id);
    }
    const hash = createHash(algorithm);
    for await (const chunk of await this.driver.readUpload(id)) hash.update(chunk as Buffer);
    return `${algorithm}:${hash.digest('hex')}`;
  }
}
