/**
 * The registry's reads of the metadata store, kept while nothing was written. Every registry
 * request resolves its token's identity (access key or session, account, user or role), gathers
 * the caller's policies and the repository's, and finds an image or blob link: a dozen point reads
 * whose answers change only when someone writes. {@link withReadCache} wraps the store so those
 * reads are answered from memory while the store's `changeStamp` stays equal, and the services
 * above run unchanged: the same token checks, the same `authorize()` door and evaluation, per
 * request. So a token still dies with its identity at once: deleting or deactivating the key,
 * deleting the user or role, or closing the account is a write, which moves the stamp, which
 * drops everything kept. Time-dependent checks (token and session expiry, `aws:CurrentTime`) are
 * never kept: they run on every request over the kept records.
 *
 * Rules that make it exact:
 * - a value is kept only if the stamp was the same before the read started and after it ended,
 *   so a value that may predate a write is never kept;
 * - any change of the stamp drops every value (no per-entry bookkeeping to get wrong);
 * - only root-level reads are kept; `transaction()` hands out the store's own, uncached `tx`;
 * - values are the store's records, which are immutable (`readonly` all the way down), shared by
 *   the requests that read them.
 * A store without `changeStamp` (the in-memory one) is returned as it is.
 */
import type { MetadataStore } from '../../store/meta/MetadataStore.js';
import { StampedCache } from '../stampedCache.js';

/** The reads of a registry request, by group of the store: the only ones kept. */
const HOT_READS = {
  accounts: ['get'],
  users: ['get', 'getById'],
  roles: ['getById'],
  accessKeys: ['get'],
  sessions: ['get'],
  inlinePolicies: ['list'],
  attachments: ['listForPrincipal'],
  managedPolicies: ['getByArn', 'getVersion'],
  repositories: ['get'],
  registries: ['get'],
  images: ['get', 'getByTag'],
  blobs: ['get'],
} as const satisfies { readonly [G in keyof MetadataStore]?: readonly (keyof MetadataStore[G])[] };

type AnyRead = (...args: unknown[]) => Promise<unknown>;

/** Binds methods read from a target to it, so a proxy can hand them out unchanged. */
function bound(target: object, prop: string | symbol): unknown {
  const v: unknown = Reflect.get(target, prop, target);
  return typeof v === 'function' ? (v as AnyRead).bind(target) : v;
}

/**
 * The store with its hot reads kept while its `changeStamp` stays equal (see the module
 * comment); everything else, transactions included, goes to the store itself. Returns `store`
 * unchanged when it has no `changeStamp`, and the cache (for tests) otherwise.
 */
export function withReadCache(
  store: MetadataStore,
  opts: { readonly maxEntries?: number } = {},
): { readonly store: MetadataStore; readonly cache?: StampedCache } {
  if (store.changeStamp === undefined) return { store };
  const cache = new StampedCache(() => store.changeStamp!(), opts.maxEntries);
  const groups = new Map<string | symbol, object>();
  for (const [group, methods] of Object.entries(HOT_READS)) {
    const target = Reflect.get(store, group, store) as Record<string, AnyRead>;
    const reads = new Map<string | symbol, AnyRead>();
    for (const method of methods) {
      const read = target[method]!.bind(target);
      const prefix = `${group}.${method}:`;
      reads.set(method, (...args) => cache.read(prefix + JSON.stringify(args), () => read(...args)));
    }
    groups.set(group, new Proxy(target, { get: (t, prop) => reads.get(prop) ?? bound(t, prop) }));
  }
  const cached = new Proxy(store, { get: (t, prop) => groups.get(prop) ?? bound(t, prop) });
  return { store: cached, cache };
}
