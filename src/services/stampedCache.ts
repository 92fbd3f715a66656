/**
 * Values derived from a store, kept while the store's change stamp (`MetadataStore.changeStamp`)
 * stays equal: the registry's read cache (`ecr/readCache.ts`) and the door's derived reads (a
 * user's group policies, an account's SCP chain) both keep what they read here.
 */

/** Values kept at most; past it, everything is dropped and kept anew. */
const DEFAULT_MAX_ENTRIES = 10_000;

/** Values read under one stamp, by key; a value loaded while the stamp moved is not kept. */
export class StampedCache {
  private readonly values = new Map<string, unknown>();
  private stamp: string | undefined;
  /** Reads answered from memory and from the store, for tests and metrics. */
  hits = 0;
  misses = 0;

  constructor(
    private readonly stampOf: () => string,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {}

  /** The value kept for `key` under the current stamp, or `load()`'s, kept if nothing was written. */
  async read<T>(key: string, load: () => Promise<T>): Promise<T> {
    const before = this.stampOf();
    if (before !== this.stamp) {
      this.values.clear();
      this.stamp = before;
    } else if (this.values.has(key)) {
      this.hits++;
      return this.values.get(key) as T;
    }
    this.misses++;
    const value = await load();
    if (this.stamp === before && this.stampOf() === before) {
      if (this.values.size >= this.maxEntries) this.values.clear();
      this.values.set(key, value);
    }
    return value;
  }
}
