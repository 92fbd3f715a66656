/**
 * Blob storage as the layers above see it: the interfaces, digests and upload ids, the typed
 * errors, the wrapper's hooks, and the two drivers' constructors. The conformance suite is imported
 * by tests directly from `./conformance.js`; drivers implement `BlobDriver` from `./driver.js`.
 */
export type {
  BlobInfo,
  BlobStorage,
  BlobStore,
  ByteRange,
  CreateUploadOptions,
  Digest,
  DigestAlgorithm,
  PutOptions,
  RecyclingReadable,
  UploadId,
  UploadStatus,
  UploadStore,
} from './BlobStore.js';
export {
  DIGEST_ALGORITHMS,
  digestAlgorithm,
  digestHex,
  digestOf,
  isDigest,
  isRecycling,
  isUploadId,
  parseDigest,
  parseUploadId,
} from './BlobStore.js';
export type { BlobErrorCode } from './errors.js';
export {
  BlobStoreError,
  BlobUnknown,
  DigestInvalid,
  DigestMismatch,
  RangeInvalid,
  RangeMismatch,
  SizeMismatch,
  UploadUnknown,
} from './errors.js';
export type { BlobStoreHooks, CheckedOptions, CheckedStorage } from './checked.js';
export type { FsBlobStoreOptions } from './fs/FsBlobStore.js';
export { openFsBlobStore } from './fs/FsBlobStore.js';
export { createMemoryBlobStore } from './memory/MemoryBlobStore.js';
