/**
 * Pagination shared by every driver, so that a marker handed out by one page call means the same
 * thing in every driver and across restarts: each list has a fixed sort key (a tuple of strings),
 * items come in ascending UTF-8 byte order of that key (SQLite's BINARY collation, PostgreSQL's
 * `COLLATE "C"`), and a marker is the key of the last item returned, encoded opaquely. A marker
 * therefore stays valid while rows are added or removed: the next page starts after it.
 */
import { InvalidMarker, type EntityKind } from './errors.js';

/** Options of every list call. `maxItems` defaults to IAM's 100; services validate 1–1000. */
export interface ListOptions {
  readonly marker?: string;
  readonly maxItems?: number;
}

/** List options of entities that have an IAM path (`pathPrefix` `/a/` matches `/a/b/`). */
export interface PathListOptions extends ListOptions {
  readonly pathPrefix?: string;
}

/** One page; `marker` is present exactly when more items follow. */
export interface Page<T> {
  readonly items: T[];
  readonly marker?: string;
}

/** IAM's default page size. */
export const DEFAULT_MAX_ITEMS = 100;

/** A sort key: compared element by element. */
export type SortKey = readonly string[];

/** The page size to fetch: the default when absent, at least 1. */
export function pageSize(opts: ListOptions | undefined): number {
  const n = opts?.maxItems;
  if (n === undefined || !Number.isFinite(n)) return DEFAULT_MAX_ITEMS;
  return Math.max(1, Math.floor(n));
}

/** Compares two strings by their UTF-8 bytes (= code point order), as SQLite and `COLLATE "C"` do. */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Compares sort keys element by element with `compareText`. */
export function compareKeys(a: SortKey, b: SortKey): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareText(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Encodes the key of the last item of a page as an opaque marker. */
export function encodeMarker(key: SortKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decodes a marker of a list whose key has `arity` parts; throws `InvalidMarker` otherwise. */
export function decodeMarker(marker: string, arity: number, entity: EntityKind): SortKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidMarker(entity);
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== arity ||
    !parsed.every((p): p is string => typeof p === 'string') ||
    encodeMarker(parsed) !== marker
  ) {
    throw new InvalidMarker(entity);
  }
  return parsed;
}

/**
 * Builds a page from rows fetched in key order after the marker, `size + 1` at most: the extra row
 * only tells that more follow.
 */
export function pageFromRows<R, T>(
  rows: readonly R[],
  size: number,
  keyOf: (r: R) => SortKey,
  map: (r: R) => T,
): Page<T> {
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  const page: Page<T> = { items: items.map(map) };
  return rows.length > size && last !== undefined ? { ...page, marker: encodeMarker(keyOf(last)) } : page;
}

/** Pages through an in-memory collection (the memory driver, small fixed lists). */
export function paginate<T>(
  all: readonly T[],
  keyOf: (t: T) => SortKey,
  opts: ListOptions | undefined,
  entity: EntityKind,
  arity: number,
): Page<T> {
  const after = opts?.marker === undefined ? undefined : decodeMarker(opts.marker, arity, entity);
  const sorted = [...all].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const rest = after === undefined ? sorted : sorted.filter((t) => compareKeys(keyOf(t), after) > 0);
  return pageFromRows(rest.slice(0, pageSize(opts) + 1), pageSize(opts), keyOf, (t) => t);
}

/** IAM's path-prefix test, case-sensitive. */
export function matchesPathPrefix(path: string, prefix: string | undefined): boolean {
  return prefix === undefined || path.startsWith(prefix);
}
