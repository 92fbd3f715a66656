/**
 * Online garbage collection of blobs: bytes that no manifest of any repository references any
 * more are deleted from the blob store while the registry keeps serving pushes and pulls.
 *
 * Two sweeps, each one small transaction per item:
 *
 * 1. Unused links. A blob stays visible in a repository while it is linked there, also after the
 *    images that used it are gone (deleted, expired by a lifecycle policy). A link that no image
 *    of its repository references (`imageCount` 0) and that no push has made or refreshed for the
 *    grace period is removed — ECR's "unassociated image layers may be cleaned up at any time",
 *    with a delay. The check and the unlink are one transaction, and the store refuses to unlink
 *    a blob an image references, so an image is never left without one of its blobs.
 * 2. Unreferenced bytes. Every blob the blob store holds is deleted if nothing references it:
 *    no link in any repository, no image, no upload session naming it
 *    (`BlobLinkOps.referencedAnywhereLocked`).
 *
 * Why a push never loses a blob (the proof the code relies on):
 *
 * (a) Every push step that makes a blob referenced goes through the metadata store: a chunked
 *     upload names its digest in its session record (COMPLETING) before its bytes are committed,
 *     and holds it until the blob is linked (`uploads.ts`); a monolithic put and a cross-repository
 *     mount hold the digest the same way ({@link holdBlob}) before they look at or write the
 *     bytes, until they have linked it. So from the moment a push first depends on the bytes
 *     until the blob is linked, a store record names the digest; after that, the link does, and
 *     then the image.
 * (b) Sweep 2 checks for such records and deletes the bytes inside ONE store transaction whose
 *     check took the store's write lock (`referencedAnywhereLocked`). No other write of any
 *     process commits between the check and the deletion.
 * (c) So each push's naming write commits either before the check — the check sees it and the
 *     blob is kept — or after the deletion, in which case the push looks at the bytes only after
 *     they are gone: the upload commits its own bytes anew, the monolithic put writes them, the
 *     mount finds nothing and the client uploads. In no order does a push link a blob whose bytes
 *     are deleted, and an image needs all its blobs linked (the store checks it when the manifest
 *     is put). ∎
 *
 * What sweep 1 can do to a push: a client that learnt a blob is present (HEAD) and then puts a
 * manifest needs the link to stay until then. Links are refreshed whenever a push uploads, mounts
 * or HEADs an unused blob (`LayerService`), and only links idle for the grace period are removed,
 * so a push that puts its manifest within the grace period of its last look at a layer always
 * succeeds. One that takes longer may be refused `MANIFEST_BLOB_UNKNOWN` and uploads the layer
 * again; it never stores an image with a missing blob. Pruning the link takes no bytes: those go
 * only in sweep 2, under (a)–(c).
 *
 * Every push path that stores a blob or links an existing one must keep (a): new code paths
 * (replication, pull-through cache) call {@link holdBlob} around their byte work and link.
 */
import { StoreError } from '../../store/meta/errors.js';
import type { RepositoryRef } from '../../store/meta/records.js';
import { listAll } from '../authz.js';
import type { EcrDeps } from './deps.js';

/** The default grace period of an unused link: a day, the life of an abandoned upload. */
export const DEFAULT_GC_GRACE_MS = 24 * 3600_000;

/**
 * A push refreshes an unused link it relies on (upload, mount, HEAD) once it is older than this,
 * so that busy blobs are not rewritten on every request; the grace period must be longer.
 */
export const LINK_REFRESH_MS = 60_000;

/** What one collection did. */
export interface GcReport {
  /** Links removed by sweep 1 (no image of their repository used them for the grace period). */
  readonly unlinked: readonly { readonly repository: RepositoryRef; readonly digest: string }[];
  /** Blobs whose bytes sweep 2 deleted. */
  readonly deleted: readonly { readonly digest: string; readonly size: number }[];
  /** The sum of their sizes. */
  readonly freedBytes: number;
}

/**
 * Holds `digest` against garbage collection while `fn` works with its bytes and links it into
 * `ref`: an upload session record of the repository that names the digest (state COMPLETING),
 * written before `fn` runs and removed after it settles. Throws the store's `NotFound(repository)`
 * when the repository is gone.
 */
export async function holdBlob<T>(
  deps: Pick<EcrDeps, 'store' | 'clock' | 'ids'>,
  ref: RepositoryRef,
  digest: string,
  fn: () => Promise<T>,
): Promise<T> {
  const id = deps.ids.requestId();
  const at = new Date(deps.clock.now());
  await deps.store.transaction(async (tx) => {
    await tx.uploads.create({ id, repository: ref, createdAt: at });
    await tx.uploads.update(id, { state: 'COMPLETING', digest, updatedAt: at });
  });
  try {
    return await fn();
  } finally {
    await deps.store.uploads.delete(id).catch(() => undefined);
  }
}

/** Blob garbage collection; see the module comment. */
export class BlobCollector {
  private running: Promise<GcReport> | undefined;

  constructor(
    private readonly deps: Pick<EcrDeps, 'store' | 'blobs' | 'clock'>,
    private readonly opts: { readonly graceMs?: number } = {},
  ) {
    if ((opts.graceMs ?? DEFAULT_GC_GRACE_MS) <= LINK_REFRESH_MS)
      throw new Error(`the garbage collection grace period must be longer than ${LINK_REFRESH_MS} ms`);
  }

  /** Collects now, or joins the collection in progress. */
  collect(): Promise<GcReport> {
    this.running ??= this.collectOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async collectOnce(): Promise<GcReport> {
    const unlinked = await this.pruneLinks();
    const deleted = await this.sweepBytes();
    return { unlinked, deleted, freedBytes: deleted.reduce((n, b) => n + b.size, 0) };
  }

  /** Sweep 1: links no image used for the grace period. */
  private async pruneLinks(): Promise<{ repository: RepositoryRef; digest: string }[]> {
    const { store } = this.deps;
    const cutoff = this.deps.clock.now() - (this.opts.graceMs ?? DEFAULT_GC_GRACE_MS);
    const out: { repository: RepositoryRef; digest: string }[] = [];
    const repos = await listAll((marker) =>
      store.repositories.listAll(marker === undefined ? {} : { marker }),
    );
    for (const r of repos) {
      const ref: RepositoryRef = { accountId: r.accountId, region: r.region, name: r.name };
      let links;
      try {
        links = await listAll((marker) => store.blobs.list(ref, marker === undefined ? {} : { marker }));
      } catch (e) {
        if (e instanceof StoreError && e.code === 'NotFound') continue; // deleted meanwhile
        throw e;
      }
      for (const l of links) {
        if (l.imageCount > 0 || l.linkedAt.getTime() > cutoff) continue;
        const removed = await store
          .transaction(async (tx) => {
            // Decided again on what the transaction reads: a push may have used or refreshed it.
            const now = await tx.blobs.get(ref, l.digest);
            if (now === undefined || now.imageCount > 0 || now.linkedAt.getTime() > cutoff) return false;
            await tx.blobs.unlink(ref, l.digest);
            return true;
          })
          .catch((e: unknown) => {
            if (e instanceof StoreError && (e.code === 'NotFound' || e.code === 'Conflict')) return false;
            throw e;
          });
        if (removed) out.push({ repository: ref, digest: l.digest });
      }
    }
    return out;
  }

  /** Sweep 2: stored bytes nothing references, each checked and deleted under the store's lock. */
  private async sweepBytes(): Promise<{ digest: string; size: number }[]> {
    const { store, blobs } = this.deps;
    const list = blobs.store.list?.bind(blobs.store);
    if (list === undefined) return [];
    const stored = [];
    for await (const b of list()) stored.push(b);
    const out: { digest: string; size: number }[] = [];
    for (const b of stored) {
      // Most blobs are in use: an unlocked look first keeps them from taking the write lock.
      if (await store.blobs.referencedAnywhere(b.digest)) continue;
      const gone = await store.transaction(async (tx) => {
        if (await tx.blobs.referencedAnywhereLocked(b.digest)) return false;
        await blobs.store.delete(b.digest);
        return true;
      });
      if (gone) out.push({ digest: b.digest, size: b.size });
    }
    return out;
  }
}
