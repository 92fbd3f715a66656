/**
 * Helpers the conformance cases share (`conformance.ts` and the ECR cases it registers from
 * `conformanceEcr.ts`): typed rejections and marker-walking.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { StoreError, type StoreErrorCode } from './errors.js';
import type { MetadataStore } from './MetadataStore.js';
import type { Page } from './pagination.js';

/** What a driver's factory hands the suite. */
export interface MetadataStoreHarness {
  readonly store: MetadataStore;
  /** Closes whatever store is open and removes the driver's data. */
  cleanup(): Promise<void>;
  /**
   * For drivers that persist: closes the store last handed out and opens a new one over the same
   * data. Absent for drivers that keep nothing across close (the reopen case is then skipped).
   */
  reopen?(): Promise<MetadataStore>;
}

/** Registers one case that gets a fresh store from the driver's factory. */
export type WithStore = (
  title: string,
  body: (s: MetadataStore, h: MetadataStoreHarness, t: TestContext) => Promise<void>,
) => void;

/** Asserts that `p` rejects with a store error of `code` (and, when given, matching `check`). */
export async function rejectsWith(
  p: Promise<unknown>,
  code: StoreErrorCode,
  check: (e: StoreError) => boolean = () => true,
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof StoreError, `expected a StoreError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(check(e), `unexpected details: ${e.message}`);
    return true;
  });
}

/** Follows markers to the end, checking that every page but the last is full. */
export async function drain<T>(fetch: (marker?: string) => Promise<Page<T>>, size: number): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await fetch(marker);
    out.push(...page.items);
    if (page.marker === undefined) return out;
    assert.equal(page.items.length, size, 'a page followed by a marker is full');
    marker = page.marker;
  }
  throw new Error('pagination did not end');
}
