/**
 * Blob storage as the layers above see it: content-addressed bytes behind one async interface, so
 * the embedded filesystem driver, the in-memory driver and a future S3 driver are interchangeable
 * and pass one conformance suite (`conformance.ts`).
 *
 * Rules every implementation keeps (the checked wrapper of `checked.ts` enforces the shared part):
 * a blob becomes visible only whole and verified, under the digest of its bytes; nothing of a
 * refused or failed write stays behind; a digest is validated before it names anything in storage.
 * Upload sessions carry the bytes of a chunked OCI upload until `commit` turns them into a blob.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DigestInvalid, UploadUnknown } from './errors.js';

/** The digest algorithms a registry accepts: OCI requires sha256 and allows sha512. */
export type DigestAlgorithm = 'sha256' | 'sha512';

/** Every accepted algorithm, in the order drivers lay them out. */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha512'];

declare const validDigest: unique symbol;

/**
 * `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`. Branded so that only
 * `parseDigest` (or `digestOf`) makes one: a value of this type is safe to use as a storage key.
 */
export type Digest = `${DigestAlgorithm}:${string}` & { readonly [validDigest]: true };

const DIGEST = /^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

/**
 * Validates a digest from the outside world (URL, header, manifest). Anything but the two exact
 * forms, including uppercase hex, other algorithms, separators or dots, is `DigestInvalid`, so no
 * digest can reach outside its place in storage.
 */
export function parseDigest(input: string): Digest {
  if (typeof input !== 'string' || !DIGEST.test(input)) throw new DigestInvalid(String(input));
  return input as Digest;
}

/** Tells a valid digest string from anything else without throwing. */
export function isDigest(input: unknown): input is Digest {
  return typeof input === 'string' && DIGEST.test(input);
}

/** The algorithm part of a digest, to pick the hash to verify with. */
export function digestAlgorithm(d: Digest): DigestAlgorithm {
  return d.startsWith('sha512:') ? 'sha512' : 'sha256';
}

/** The hex part of a digest: the key drivers store the blob under. */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

/** The digest of bytes already in memory (manifests, configs, tests). */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}` as Digest;
}

/** What the store knows of a blob: the registry answers HEAD and `Content-Length` from it. */
export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
}

/** A byte range of a blob, both ends inclusive as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Options of `put`. */
export interface PutOptions {
  /** The size the client announced (`Content-Length`); any other count is `SizeMismatch`. */
  readonly expectedSize?: number;
}

/**
 * Content-addressed blobs. Blobs are immutable: a digest names one sequence of bytes forever, so
 * there is no update, only put (which verifies) and delete.
 */
export interface BlobStore {
  /** The blob's size, or `undefined` when it is not stored. `DigestInvalid` for a bad digest. */
  stat(d: Digest): Promise<BlobInfo | undefined>;
  /**
   * Streams the blob, or the inclusive `range` of it. `BlobUnknown` when absent, `RangeInvalid`
   * when the range is not within the blob. The stream is opened before the promise resolves, so a
   * blob deleted afterwards still reads whole.
   */
  open(d: Digest, range?: ByteRange): Promise<Readable>;
  /**
   * Stores `body` under `d`, hashing it in the same pass that streams it to storage, and makes it
   * visible only once it is whole, verified and durable. `DigestMismatch` / `SizeMismatch` leave
   * nothing behind. Idempotent: for a blob already stored the body is still read and verified,
   * then dropped. When the promise rejects before reading starts (bad digest) the body is left
   * unread; otherwise it is never destroyed by the store, so the caller can still answer.
   */
  put(d: Digest, body: Readable, opts?: PutOptions): Promise<BlobInfo>;
  /** Removes the blob. Idempotent: deleting an absent blob is not an error. */
  delete(d: Digest): Promise<void>;
  /** Every stored blob, once each, in no particular order (garbage collection, audits). */
  list?(): AsyncIterable<BlobInfo>;
}

/**
 * A blob stream whose chunks the reader may hand back once it is done with them (written to a
 * socket), so that later reads fill them again instead of allocating: a download then turns over
 * a few buffers instead of one per chunk, which at hundreds of MB/s costs the garbage collector
 * more than the copying. A capability of some drivers' `open` streams (the fs driver's); a reader
 * that never recycles loses nothing.
 */
export interface RecyclingReadable extends Readable {
  /** Gives a chunk this stream pushed back to it; the caller must not touch its bytes afterwards. */
  recycle(chunk: Buffer): void;
}

/** Whether a blob stream takes its chunks back ({@link RecyclingReadable}). */
export function isRecycling(body: Readable): body is RecyclingReadable {
  return typeof (body as Partial<RecyclingReadable>).recycle === 'function';
}

declare const validUploadId: unique symbol;

/** The id of an upload session: 1–128 of `[A-Za-z0-9_-]`, so it is safe as a storage key. */
export type UploadId = string & { readonly [validUploadId]: true };

const UPLOAD_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Validates an upload id from a URL. An id of any other shape cannot name a session, so it is
 * `UploadUnknown` (OCI `BLOB_UPLOAD_UNKNOWN`), never a path.
 */
export function parseUploadId(input: string): UploadId {
  if (typeof input !== 'string' || !UPLOAD_ID.test(input)) throw new UploadUnknown(String(input));
  return input as UploadId;
}

/** Tells a well-formed upload id from anything else without throwing. */
export function isUploadId(input: unknown): input is UploadId {
  return typeof input === 'string' && UPLOAD_ID.test(input);
}

/** Options of `UploadStore.create`. */
export interface CreateUploadOptions {
  /**
   * The algorithm to hash with as chunks arrive (OCI `digest-algorithm`); a commit with another
   * algorithm re-reads the bytes once. Default sha256.
   */
  readonly algorithm?: DigestAlgorithm;
}

/** The state of an upload the client may resume from (`Range: 0-<size-1>`). */
export interface UploadStatus {
  readonly size: number;
}

/**
 * Upload sessions of the OCI chunked protocol (POST, PATCH..., PUT `?digest=`). Each append is
 * all or nothing: a chunk that fails midway leaves the session as it was. Bytes are hashed as they
 * arrive, so a commit does not re-read them (except after a restart, when the running hash is gone).
 */
export interface UploadStore {
  /** Starts a session and returns its id. */
  create(opts?: CreateUploadOptions): Promise<UploadId>;
  /**
   * Appends `body` if `offset` equals the session's size, else `RangeMismatch` carrying the size.
   * `UploadUnknown` for an unknown session. Returns the new size.
   */
  append(id: UploadId, body: Readable, opts: { readonly offset: number }): Promise<UploadStatus>;
  /** The session's size, or `undefined` when there is no such session. */
  status(id: UploadId): Promise<UploadStatus | undefined>;
  /**
   * Turns the session's bytes into the blob `expected` and ends the session. `DigestMismatch`
   * ends the session too (the client must start over) and stores nothing; `UploadUnknown` when
   * absent. Idempotent when the blob already exists.
   */
  commit(id: UploadId, expected: Digest): Promise<BlobInfo>;
  /** Ends the session and drops its bytes; `UploadUnknown` when absent. */
  cancel(id: UploadId): Promise<void>;
  /**
   * Ends every session untouched (no create or append) for more than `olderThanMs` before `now`
   * (clock values in ms), except sessions busy in this process. Returns how many were removed.
   */
  cleanup(olderThanMs: number, now: number): Promise<number>;
}

/** A driver opened for use: the blob store and the upload sessions over the same storage. */
export interface BlobStorage {
  readonly store: BlobStore;
  readonly uploads: UploadStore;
}
