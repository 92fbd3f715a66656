import type { BlobStorage } from '../../store/blobs/BlobStore.js';
import type { ServiceDeps } from '../context.js';
import type { RegistryAddressing } from './addressing.js';

/** What the ECR service needs beyond every service's dependencies. */
export interface EcrDeps extends ServiceDeps {
  /** Blob bytes and upload sessions (the fs driver under the data directory by default). */
  readonly blobs: BlobStorage;
  /** The HMAC key registry tokens are signed with (`DIR/token.key`, 0600). */
  readonly registryTokenKey: Uint8Array;
  /** How `repositoryUri` and `proxyEndpoint` are written. */
  readonly addressing: RegistryAddressing;
}
