import type { PolicyCache } from '../iam/index.js';
import type { MetadataStore } from '../store/meta/MetadataStore.js';
import type { SecretBox } from '../store/meta/secrets.js';
import type { Authorizer } from './authz.js';
import type { IdFactory } from './ids.js';
import type { Clock } from './runtime.js';

/**
 * What every service is built from. Services follow one shape per operation:
 * authenticate (the caller arrives resolved) → authorize (through `authz`, the one door) → act
 * (on `store`, in a transaction when several rows change) → return the result in AWS's terms.
 */
export interface ServiceDeps {
  readonly store: MetadataStore;
  readonly authz: Authorizer;
  readonly clock: Clock;
  readonly ids: IdFactory;
  /** Seals secret access keys before they reach the store. */
  readonly box: SecretBox;
  readonly cache: PolicyCache;
  /** The server's default region. */
  readonly region: string;
}
