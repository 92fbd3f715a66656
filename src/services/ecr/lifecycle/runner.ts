/**
 * Lifecycle runs: what AWS does within 24 hours of a policy being set, on demand and on a timer.
 * For each repository with a lifecycle policy, in one store transaction: read the images, ask the
 * pure evaluator which expire now, delete them as BatchDeleteImage does (an image an index that
 * stays still references is kept), and record `lifecycleEvaluatedAt`. The preview
 * (GetLifecyclePolicyPreview) calls the same {@link planExpiry} on the same inputs, so a preview
 * shows exactly what a run at that moment deletes.
 *
 * Which images the evaluator sees: the repository's images except the manifests an index of the
 * repository references (a platform image of a multi-arch index is part of that index, not an
 * image of its own) and the referrers whose subject is in the repository (signatures,
 * attestations). Expiring a subject expires its referrers with it, as ECR does since OCI 1.1
 * support; expiring an index leaves its platform manifests, which become images of their own and
 * answer to the policy on the next run.
 */
import type { MetadataTx } from '../../../store/meta/MetadataStore.js';
import type { ImageInfo, Repository, RepositoryRef } from '../../../store/meta/records.js';
import { listAll } from '../../authz.js';
import type { ServiceDeps } from '../../context.js';
import { evaluateLifecycle, type LifecycleExpiry } from './evaluate.js';
import { parseLifecyclePolicy, type LifecyclePolicy } from './policy.js';

/** An image a policy expires, as the preview shows it and a run deletes it. */
export interface PlannedExpiry extends LifecycleExpiry {
  readonly tags: readonly string[];
  readonly pushedAt: Date;
}

/** What a lifecycle evaluation of one repository decided (and, in a run, did). */
export interface RepositoryLifecycleResult {
  readonly repository: RepositoryRef;
  /** The images the policy expires, oldest first. */
  readonly expired: readonly PlannedExpiry[];
  /** Referrers deleted with their expired subjects. */
  readonly referrers: readonly string[];
  /** Expired images kept because an index that stays references them. */
  readonly kept: readonly string[];
  /** Why the policy was not applied (a stored text that no longer parses). */
  readonly error?: string;
}

/** What one run did. */
export interface LifecycleRunReport {
  readonly evaluatedAt: Date;
  readonly repositories: readonly RepositoryLifecycleResult[];
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

/** Every image of a repository, read inside `tx`. */
async function imagesOf(tx: MetadataTx, ref: RepositoryRef): Promise<ImageInfo[]> {
  return listAll((marker) => tx.images.list(ref, marker === undefined ? {} : { marker }));
}

/**
 * What `policy` expires in the repository at `now`: the evaluator's answer over the images the
 * policy governs (see the module comment), with each image's tags and push time, oldest first.
 */
export async function planExpiry(
  tx: MetadataTx,
  ref: RepositoryRef,
  policy: LifecyclePolicy,
  now: Date,
): Promise<{ expired: PlannedExpiry[]; all: readonly ImageInfo[] }> {
  const all = await imagesOf(tx, ref);
  const present = new Set(all.map((i) => i.digest));
  const children = new Set<string>();
  for (const img of all) {
    if (!INDEX_TYPES.has(img.mediaType)) continue;
    const refs = await tx.images.references(ref, img.digest);
    for (const c of refs?.children ?? []) children.add(c);
  }
  const governed = all.filter(
    (i) => !children.has(i.digest) && !(i.subjectDigest !== undefined && present.has(i.subjectDigest)),
  );
  const byDigest = new Map(governed.map((i) => [i.digest, i]));
  const expired = evaluateLifecycle(policy, governed, now).map((e) => {
    const img = byDigest.get(e.digest) as ImageInfo;
    return { ...e, tags: img.tags, pushedAt: img.pushedAt };
  });
  return { expired, all };
}

/** The referrers of `subjects` in the repository, transitively (a signature of a signature). */
function referrersOf(all: readonly ImageInfo[], subjects: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set(subjects);
  let frontier = new Set(subjects);
  while (frontier.size > 0) {
    const next = new Set<string>();
    for (const i of all) {
      if (i.subjectDigest !== undefined && frontier.has(i.subjectDigest) && !seen.has(i.digest)) {
        seen.add(i.digest);
        next.add(i.digest);
        out.push(i.digest);
      }
    }
    frontier = next;
  }
  return out;
}

/**
 * Applies a repository's lifecycle policy at `now` in one transaction: deletes what
 * {@link planExpiry} expires (and the referrers of what goes) and records `lifecycleEvaluatedAt`.
 */
export async function applyLifecycle(
  tx: MetadataTx,
  repo: Repository,
  now: Date,
): Promise<RepositoryLifecycleResult> {
  const ref: RepositoryRef = { accountId: repo.accountId, region: repo.region, name: repo.name };
  const text = repo.lifecyclePolicyText;
  if (text === undefined) return { repository: ref, expired: [], referrers: [], kept: [] };
  let policy: LifecyclePolicy;
  try {
    policy = parseLifecyclePolicy(text);
  } catch (e) {
    await tx.repositories.update(ref.accountId, ref.region, ref.name, { lifecycleEvaluatedAt: now });
    return { repository: ref, expired: [], referrers: [], kept: [], error: (e as Error).message };
  }
  const { expired, all } = await planExpiry(tx, ref, policy, now);
  const referrers = referrersOf(
    all,
    expired.map((e) => e.digest),
  );
  const result =
    expired.length + referrers.length === 0
      ? { referencedByIndex: [] as readonly string[] }
      : await tx.images.delete(ref, [...referrers, ...expired.map((e) => e.digest)]);
  await tx.repositories.update(ref.accountId, ref.region, ref.name, { lifecycleEvaluatedAt: now });
  const kept = new Set(result.referencedByIndex);
  return {
    repository: ref,
    expired: expired.filter((e) => !kept.has(e.digest)),
    referrers: referrers.filter((d) => !kept.has(d)),
    kept: [...kept],
  };
}

/**
 * Runs every lifecycle policy of the store (all accounts, all regions), one repository per
 * transaction, at the injected clock's time. Concurrent runs are harmless (each transaction
 * re-reads what it evaluates); one process runs one at a time.
 */
export class LifecycleRunner {
  private running: Promise<LifecycleRunReport> | undefined;

  constructor(private readonly deps: Pick<ServiceDeps, 'store' | 'clock'>) {}

  /** Runs now, or joins the run in progress. */
  run(): Promise<LifecycleRunReport> {
    this.running ??= this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runOnce(): Promise<LifecycleRunReport> {
    const now = new Date(this.deps.clock.now());
    const repos = await listAll((marker) =>
      this.deps.store.repositories.listAll({
        withLifecyclePolicy: true,
        ...(marker !== undefined && { marker }),
      }),
    );
    const results: RepositoryLifecycleResult[] = [];
    for (const r of repos) {
      const ref: RepositoryRef = { accountId: r.accountId, region: r.region, name: r.name };
      // One repository's failure (nothing of it is applied) does not stop the others.
      const result = await this.deps.store
        .transaction(async (tx) => {
          // Read again inside the transaction: the policy may have changed or gone since listing.
          const repo = await tx.repositories.get(r.accountId, r.region, r.name);
          return repo === undefined ? undefined : applyLifecycle(tx, repo, now);
        })
        .catch((e: unknown): RepositoryLifecycleResult => ({
          repository: ref,
          expired: [],
          referrers: [],
          kept: [],
          error: `the run failed: ${e instanceof Error ? e.message : String(e)}`,
        }));
      if (result !== undefined) results.push(result);
    }
    return { evaluatedAt: now, repositories: results };
  }
}
