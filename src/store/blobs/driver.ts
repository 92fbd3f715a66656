/**
 * The raw I/O a storage backend implements. A driver never sees an unvalidated digest or id, never
 * hashes and never counts: `checked.ts` wraps every driver in the same `BlobStore`/`UploadStore`
 * that validates, hashes, verifies, locks upload sessions and reports metrics. What is left to a
 * driver is what differs per backend: where bytes are staged, how they are made durable, and how
 * they become visible atomically.
 */
import type { Readable } from 'node:stream';
import type { BlobInfo, ByteRange, Digest, UploadId } from './BlobStore.js';

/** An upload session as the backend lists it, for the cleanup of stale sessions. */
export interface StoredUpload {
  readonly id: UploadId;
  readonly size: number;
  /** The clock value (ms) passed with the session's last create or append. */
  readonly touchedAt: number;
}

/** Raw blob and upload I/O; the contract of each method is what `checked.ts` relies on. */
export interface BlobDriver {
  /** The blob's size, or `undefined` when absent. */
  stat(d: Digest): Promise<BlobInfo | undefined>;
  /**
   * Opens the blob, or the inclusive `range` of it (already checked against the size), before
   * resolving. `BlobUnknown` when absent.
   */
  open(d: Digest, range?: ByteRange): Promise<Readable>;
  /**
   * Streams `body` to a private staging place, calls `seal()` once the last byte is consumed, and
   * only if `seal` returns makes the bytes durable and publishes them under `d` in one atomic
   * step (replacing an identical copy a concurrent writer published). On any failure, including a
   * throwing `seal` or `body`, the staged bytes are removed and nothing under `d` changes.
   */
  write(d: Digest, body: AsyncIterable<Buffer>, seal: () => void): Promise<void>;
  /** Removes the blob; absent is fine. */
  delete(d: Digest): Promise<void>;
  /** Every stored blob once. */
  list(): AsyncIterable<BlobInfo>;

  /** Creates an empty session named `id`, touched at `at`. */
  createUpload(id: UploadId, at: number): Promise<void>;
  /** The session's size, or `undefined` when absent. */
  uploadSize(id: UploadId): Promise<number | undefined>;
  /**
   * Appends `body` at `offset` and makes it durable, touching the session at `at`. All or
   * nothing: `RangeMismatch` (before reading anything) when the size is not `offset`,
   * `UploadUnknown` when absent; on any other failure the session is cut back to `offset`.
   * Returns the new size.
   */
  appendUpload(id: UploadId, offset: number, body: AsyncIterable<Buffer>, at: number): Promise<number>;
  /** Streams the session's bytes (to re-hash them when the running hash is gone). `UploadUnknown`. */
  readUpload(id: UploadId): Promise<Readable>;
  /**
   * Publishes the session's bytes, already verified, as the blob `d` in one atomic step and ends
   * the session (a move where the backend can, not a copy). `UploadUnknown` when absent.
   */
  commitUpload(id: UploadId, d: Digest): Promise<void>;
  /** Ends the session and drops its bytes; says whether there was one. */
  deleteUpload(id: UploadId): Promise<boolean>;
  /** Every session once. */
  listUploads(): AsyncIterable<StoredUpload>;

  /**
   * What the driver holds outside published blobs, by name: staged puts and upload sessions. The
   * conformance suite expects none after each case; operators can watch it.
   */
  temporaries(): Promise<string[]>;
}
