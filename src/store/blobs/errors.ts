/**
 * Typed errors of the blob store. The store knows bytes, not HTTP: the registry catches these and
 * maps them once to OCI codes (`BLOB_UNKNOWN`, `DIGEST_INVALID`, `SIZE_INVALID`, `416` for
 * `RangeMismatch` and `RangeInvalid`, `BLOB_UPLOAD_UNKNOWN`). Callers switch on `code`, never on
 * message text. Messages quote what the caller gave (a digest, an upload id), never blob bytes.
 */

/** The codes callers switch on. */
export type BlobErrorCode =
  | 'BlobUnknown'
  | 'DigestInvalid'
  | 'DigestMismatch'
  | 'SizeMismatch'
  | 'RangeInvalid'
  | 'RangeMismatch'
  | 'UploadUnknown';

/** Base class so callers can test `err instanceof BlobStoreError` and switch on `code`. */
export abstract class BlobStoreError extends Error {
  abstract readonly code: BlobErrorCode;
  protected constructor(message: string) {
    super(message);
  }
}

/** No blob is stored under the digest (OCI `BLOB_UNKNOWN`). */
export class BlobUnknown extends BlobStoreError {
  readonly code = 'BlobUnknown' as const;
  constructor(readonly digest: string) {
    super(`blob \`${digest}\` unknown`);
    this.name = 'BlobUnknown';
  }
}

/**
 * A digest is not `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>` (OCI
 * `DIGEST_INVALID`). Refused before any storage is touched, so no key can escape its directory.
 */
export class DigestInvalid extends BlobStoreError {
  readonly code = 'DigestInvalid' as const;
  constructor(readonly input: string) {
    super(`invalid digest \`${input.length > 140 ? `${input.slice(0, 140)}…` : input}\``);
    this.name = 'DigestInvalid';
  }
}

/** The bytes received do not hash to the digest claimed (OCI `DIGEST_INVALID`); nothing was kept. */
export class DigestMismatch extends BlobStoreError {
  readonly code = 'DigestMismatch' as const;
  constructor(
    /** The digest the caller claimed. */
    readonly expected: string,
    /** The digest of the bytes actually received, in the claimed algorithm. */
    readonly actual: string,
  ) {
    super(`digest mismatch: expected \`${expected}\`, received content hashes to \`${actual}\``);
    this.name = 'DigestMismatch';
  }
}

/** The number of bytes received differs from the size announced (OCI `SIZE_INVALID`); nothing kept. */
export class SizeMismatch extends BlobStoreError {
  readonly code = 'SizeMismatch' as const;
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`size mismatch: expected ${expected} bytes, received ${actual}`);
    this.name = 'SizeMismatch';
  }
}

/** A read range lies outside the blob or is not a range at all (HTTP 416 on a blob GET). */
export class RangeInvalid extends BlobStoreError {
  readonly code = 'RangeInvalid' as const;
  constructor(
    readonly start: number,
    readonly end: number,
    /** The blob's size, so the caller can answer `Content-Range: bytes *\/size`. */
    readonly size: number,
  ) {
    super(`range ${start}-${end} not satisfiable for a blob of ${size} bytes`);
    this.name = 'RangeInvalid';
  }
}

/**
 * A chunk does not start where the upload ends: out of order or a retried chunk (OCI `416`).
 * Nothing was appended; `size` is what the client should resume from.
 */
export class RangeMismatch extends BlobStoreError {
  readonly code = 'RangeMismatch' as const;
  constructor(
    readonly uploadId: string,
    /** Where the refused chunk claimed to start. */
    readonly offset: number,
    /** The upload's size, i.e. the only offset an append may start at. */
    readonly size: number,
  ) {
    super(`upload \`${uploadId}\` has ${size} bytes; a chunk at offset ${offset} is out of order`);
    this.name = 'RangeMismatch';
  }
}

/** No upload session has that id: never created, committed, cancelled or cleaned up. */
export class UploadUnknown extends BlobStoreError {
  readonly code = 'UploadUnknown' as const;
  constructor(readonly uploadId: string) {
    super(`upload \`${uploadId.length > 140 ? `${uploadId.slice(0, 140)}…` : uploadId}\` unknown`);
    this.name = 'UploadUnknown';
  }
}
