/**
 * Context keys as the engine sees them. Keys are case-insensitive in IAM, so every lookup goes
 * through a lowercased key; values keep their case because operators decide how to compare them.
 */
export type ContextValue = string | readonly string[];

/** Looks up a context key by its lowercased name; `undefined` means the key is absent. */
export interface KeyLookup {
  get(lowerKey: string): ContextValue | undefined;
}

/** A lookup over a plain record, lowercasing its keys once (tests and simple callers). */
export function lookupFromRecord(record: Readonly<Record<string, ContextValue>>): KeyLookup {
  const map = new Map<string, ContextValue>();
  for (const [k, v] of Object.entries(record)) map.set(k.toLowerCase(), v);
  return { get: (k) => map.get(k) };
}

/**
 * A context key as policies name it: lower-cased, and the engine's one shared copy of that text
 * (the one property names use), so that reading it from a record or comparing it with the key
 * names the engine knows costs a pointer comparison rather than a character-by-character one.
 */
export function contextKey(name: string): string {
  const lower = name.toLowerCase();
  for (const key in { [lower]: true }) return key;
  return lower;
}
