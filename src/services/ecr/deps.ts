import type { BlobStorage } from '../../store/blobs/BlobStore.js';
import type { ServiceDeps } from '../context.js';
import type { RegistryAddressing } from './addressing.js';

/** What the ECR service needs beyond every service's dependencies. */
export interface EcrDeps extends ServiceDeps {
  /** Blob bytes and upload sessions (the fs driver under the data directory by default). */
  readonly blobs: BlobStorage;
  /** The HMAC key registry tokens are signed with (`DIR/token.key`, 0600). */
  readonly registryTokenKey: Uint8Array;
  /** How long a pull-through cached tag is served before upstream is asked again (24 h). */
  readonly pullThroughRefreshMs?: number;
  /** How `repositoryUri` and `proxyEndpoint` are written. */
  readonly addressing: RegistryAddressing;
  /** Told after a push committed that may have queued replication jobs (wakes the worker). */
  readonly replicationQueued?: () => void;
}
