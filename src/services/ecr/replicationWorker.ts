/**
 * The replication worker: takes jobs from the durable queue (`store.replication`) and copies each
 * image into its destination registry, as ECR's replication service does.
 *
 * One job, one attempt:
 * 1. `claimNext` hands the most overdue job to this worker with a lease; the claim's `attempts`
 *    is its fencing token. A worker that dies mid-attempt simply lets the lease lapse: the next
 *    claim (by any worker, after a restart too) takes the job again with a higher token.
 * 2. The copy runs in ONE metadata transaction that also marks the job COMPLETE under the token:
 *    authorize as the replication principal (below), create the destination repository when
 *    missing (through the destination's REPLICATION creation template, else ECR's defaults), link
 *    every blob, store every manifest (an index's children before the index), point the tags. A
 *    stale claim's transaction fails on the token and leaves nothing; a crash leaves nothing. Blobs
 *    are content-addressed and shared by all registries of the server, so a copy is metadata and
 *    links only.
 * 3. The copy converges: manifests and links already at the destination are kept, a destination
 *    tag already on the same digest is fine, so a job re-run after any failure ends in the same
 *    state as a clean run, and nothing is copied twice or half.
 * 4. ECR's refusals are final (FAILED with ECR's code and sentence): the destination registry's
 *    policy does not allow `ecr:CreateRepository` or `ecr:ReplicateImage`, a destination tag is
 *    immutable and names another image, the source image is gone. Anything else (a busy database,
 *    an I/O error) is retried with exponential backoff, and FAILED as ServerException once
 *    `maxAttempts` attempts failed.
 *
 * The replication principal. ECR replicates with the service-linked role
 * `AWSServiceRoleForECRReplication` of the SOURCE account, whose fixed permissions policy
 * (`ECRReplicationServiceRolePolicy`) allows `ecr:CreateRepository` and `ecr:ReplicateImage` on
 * `*`: its identity side always allows, and the decision rests with the destination's resource
 * policies, which AWS's documentation writes with `Principal: {"AWS": "arn:aws:iam::<source>:root"}`.
 * crossdock therefore decides as the source account's principal (`arn:aws:iam::<source>:root`,
 * whose identity side allows as that role's does) through the one door, with the destination
 * repository's ARN, its repository policy and its registry policy. Within one account (another
 * region) nothing needs granting, as in ECR. A destination policy that names the service-linked
 * role's own ARN is not matched (a documented deviation).
 */
import { principalOf, type Caller } from '../../auth/caller.js';
import { Conflict, NotFound } from '../../store/meta/errors.js';
import type { MetadataTx } from '../../store/meta/MetadataStore.js';
import type { Image, ReplicationJob, Repository, RepositoryRef } from '../../store/meta/records.js';
import { AccessDeniedError, ServiceError } from '../errors.js';
import { RepositoryAccess } from './access.js';
import type { EcrDeps } from './deps.js';
import { ecrErrors as E } from './errors.js';
import { tagAlreadyExists, tagIsImmutable } from './images.js';
import { failureText, type ReplicationFailureInfo } from './replication.js';
import { repositoryFromTemplate, templateFor } from './templates.js';
import { requestTagContext } from './validate.js';

/** How a worker paces itself. */
export interface ReplicationWorkerOptions {
  /** This worker's name in the claims it takes. */
  readonly id?: string;
  /** How long a claim holds before another worker may take the job (default 60 s). */
  readonly leaseMs?: number;
  /** The first retry's delay; each next one doubles (default 1 s). */
  readonly baseBackoffMs?: number;
  /** The longest delay between retries (default 5 min). */
  readonly maxBackoffMs?: number;
  /** Attempts before a job that keeps failing transiently is FAILED (default 8). */
  readonly maxAttempts?: number;
  /** Where errors of the background loop go (the server logs them). */
  readonly onError?: (err: unknown) => void;
}

/** What one attempt did: copied, refused for good, to be retried, or discarded (the claim was stale). */
export type ReplicationOutcome = 'COMPLETE' | 'FAILED' | 'RETRY' | 'STALE';

/** An ECR refusal: the job fails for good with this code and sentence. */
class Refusal extends Error {
  constructor(readonly failure: ReplicationFailureInfo) {
    super(failure.reason);
    this.name = 'Refusal';
  }
}

/** The code and sentence of a final failure, or `undefined` when the error is worth a retry. */
function refusalOf(err: unknown): ReplicationFailureInfo | undefined {
  if (err instanceof Refusal) return err.failure;
  if (err instanceof AccessDeniedError) return { code: 'AccessDeniedException', reason: err.message };
  if (err instanceof ServiceError) return { code: err.code, reason: err.message };
  return undefined;
}

/**
 * The principal replication is decided as: the source account (see the module comment), calling
 * in the destination's region.
 */
export async function replicationCaller(
  store: MetadataTx,
  sourceAccountId: string,
  destinationRegion: string,
): Promise<Caller> {
  const account = await store.accounts.get(sourceAccountId);
  if (account === undefined)
    throw new Refusal({
      code: 'ServerException',
      reason: `the source account '${sourceAccountId}' no longer exists`,
    });
  return {
    principal: principalOf(account, { kind: 'root' }),
    account,
    accessKeyId: '',
    identity: { kind: 'root' },
    request: { sourceIp: '', secure: true, region: destinationRegion },
  };
}

/** Copies queued images to their destinations; see the module comment. One per process. */
export class ReplicationWorker {
  private readonly access: RepositoryAccess;
  private readonly id: string;
  private readonly leaseMs: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxAttempts: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly deps: EcrDeps,
    private readonly opts: ReplicationWorkerOptions = {},
  ) {
    this.access = new RepositoryAccess(deps);
    this.id = opts.id ?? `worker-${process.pid}`;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.baseBackoffMs = opts.baseBackoffMs ?? 1_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5 * 60_000;
    this.maxAttempts = opts.maxAttempts ?? 8;
  }

  /** Claims the most overdue job for this worker, or `undefined` when none is due. */
  claim(): Promise<ReplicationJob | undefined> {
    const now = this.deps.clock.now();
    return this.deps.store.replication.claimNext(new Date(now), {
      worker: this.id,
      leaseUntil: new Date(now + this.leaseMs),
    });
  }

  /** Runs one attempt of a job this worker claimed, and records its outcome under the claim. */
  async process(job: ReplicationJob): Promise<ReplicationOutcome> {
    const now = new Date(this.deps.clock.now());
    try {
      await this.deps.store.transaction(async (tx) => {
        await this.copy(tx, job, now);
        await tx.replication.update(
          job.id,
          { state: 'COMPLETE', failureReason: null, updatedAt: now },
          { attempts: job.attempts },
        );
      });
      return 'COMPLETE';
    } catch (err) {
      if (err instanceof Conflict && err.reason === 'StaleClaim') return 'STALE';
      const refusal = refusalOf(err);
      if (refusal !== undefined) return this.finish(job, 'FAILED', failureText(refusal), now);
      const message = err instanceof Error ? err.message : String(err);
      if (job.attempts >= this.maxAttempts) {
        const reason = `replication failed after ${job.attempts} attempts: ${message}`;
        return this.finish(job, 'FAILED', failureText({ code: 'ServerException', reason }), now);
      }
      const delay = Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** (job.attempts - 1));
      return this.finish(
        job,
        'PENDING',
        failureText({ code: 'ServerException', reason: message }),
        now,
        delay,
      );
    }
  }

  /** Claims and processes one job; `undefined` when nothing was due. */
  async runOnce(): Promise<{ job: ReplicationJob; outcome: ReplicationOutcome } | undefined> {
    const job = await this.claim();
    if (job === undefined) return undefined;
    return { job, outcome: await this.process(job) };
  }

  /** Runs jobs until none is due (or `max` ran); returns how many ran. */
  async drain(max = 10_000): Promise<number> {
    let n = 0;
    while (n < max && !this.stopped) {
      if ((await this.runOnce()) === undefined) break;
      n++;
    }
    return n;
  }

  /** Starts the background loop: a drain every `pollMs`, and at once on {@link wake}. */
  start(pollMs = 1_000): void {
    if (this.timer !== undefined) return;
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Asks the loop to look for due jobs now (a push just queued some). */
  wake(): void {
    if (this.timer === undefined || this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.again = false;
    this.running = this.drain()
      .then(
        () => undefined,
        (err: unknown) => this.opts.onError?.(err),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) this.wake();
      });
  }

  /** Stops the loop and waits for the attempt under way (its claim is recorded or lapses). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async finish(
    job: ReplicationJob,
    state: 'FAILED' | 'PENDING',
    failureReason: string,
    now: Date,
    delayMs = 0,
  ): Promise<ReplicationOutcome> {
    try {
      await this.deps.store.replication.update(
        job.id,
        {
          state,
          failureReason,
          updatedAt: now,
          ...(state === 'PENDING' && { nextAttemptAt: new Date(now.getTime() + delayMs) }),
        },
        { attempts: job.attempts },
      );
      return state === 'FAILED' ? 'FAILED' : 'RETRY';
    } catch (err) {
      if (err instanceof Conflict && err.reason === 'StaleClaim') return 'STALE';
      throw err;
    }
  }

  /** The copy of one job inside `tx`; throws a {@link Refusal} or ECR's error for final failures. */
  private async copy(tx: MetadataTx, job: ReplicationJob, now: Date): Promise<void> {
    const src: RepositoryRef = {
      accountId: job.source.accountId,
      region: job.source.region,
      name: job.source.repositoryName,
    };
    const dst: RepositoryRef = {
      accountId: job.destination.registryId,
      region: job.destination.region,
      name: src.name,
    };
    const image = await tx.images.get(src, job.source.digest).catch((err: unknown) => {
      if (err instanceof NotFound && err.entity === 'repository') return undefined;
      throw err;
    });
    if (image === undefined) {
      const gone = E.imageNotFound({ imageDigest: job.source.digest }, src.name, src.accountId);
      throw new Refusal({ code: gone.code, reason: gone.message });
    }
    const caller = await replicationCaller(tx, src.accountId, dst.region);
    const repo = await this.destination(tx, caller, dst, now);
    for (const m of await this.closure(tx, src, image)) {
      const refs = await tx.images.references(src, m.digest);
      if (refs === undefined)
        throw new Error(`manifest ${m.digest} vanished from ${src.name} during the copy`);
      const links = await tx.blobs.getMany(src, refs.blobs);
      if (links.length !== refs.blobs.length) {
        const have = new Set(links.map((l) => l.digest));
        const missing = refs.blobs.filter((d) => !have.has(d));
        throw new Refusal({
          code: 'LayersNotFoundException',
          reason: `Layers with digests '[${missing.join(', ')}]' of the image do not exist in the repository with name '${src.name}' in the registry with id '${src.accountId}'`,
        });
      }
      for (const l of links) await tx.blobs.link(dst, { digest: l.digest, size: l.size, linkedAt: now });
      await tx.images.put(dst, {
        digest: m.digest,
        mediaType: m.mediaType,
        ...(m.artifactType !== undefined && { artifactType: m.artifactType }),
        ...(m.configDigest !== undefined && { configDigest: m.configDigest }),
        ...(m.configMediaType !== undefined && { configMediaType: m.configMediaType }),
        ...(m.subjectDigest !== undefined && { subjectDigest: m.subjectDigest }),
        ...(m.annotations !== undefined && { annotations: m.annotations }),
        manifest: m.manifest,
        imageSize: m.imageSize,
        pushedAt: now,
        blobs: refs.blobs,
        children: refs.children,
      });
    }
    for (const tag of job.tags) {
      // A tag the source has since moved to another image is that image's job to carry.
      const current = await tx.tags.get(src, tag);
      if (current !== undefined && current.digest !== image.digest) continue;
      const there = await tx.tags.get(dst, tag);
      if (there?.digest === image.digest) continue;
      if (there !== undefined && tagIsImmutable(repo, tag)) throw tagAlreadyExists(dst, tag);
      await tx.tags.put(dst, tag, image.digest, now);
    }
  }

  /**
   * The destination repository, authorized for `ecr:ReplicateImage` (and created, when missing,
   * after `ecr:CreateRepository` is authorized with the tags it will get).
   */
  private async destination(
    tx: MetadataTx,
    caller: Caller,
    dst: RepositoryRef,
    now: Date,
  ): Promise<Repository> {
    const existing = await tx.repositories.get(dst.accountId, dst.region, dst.name);
    if (existing !== undefined) {
      await this.access.authorize(caller, 'ecr:ReplicateImage', dst, { store: tx });
      return existing;
    }
    const registry = await tx.registries.get(dst.accountId, dst.region);
    const fresh = repositoryFromTemplate(
      dst,
      templateFor(registry?.creationTemplates ?? [], dst.name, 'REPLICATION'),
      now,
    );
    await this.access.authorize(caller, 'ecr:CreateRepository', dst, {
      store: tx,
      allowMissing: true,
      context: requestTagContext(fresh.tags),
    });
    await this.access.authorize(caller, 'ecr:ReplicateImage', dst, { store: tx, allowMissing: true });
    return tx.repositories.create(fresh);
  }

  /** The manifests to copy for `root`: every manifest it references, children before parents. */
  private async closure(tx: MetadataTx, src: RepositoryRef, root: Image): Promise<Image[]> {
    const out: Image[] = [];
    const seen = new Set<string>();
    const visit = async (m: Image): Promise<void> => {
      if (seen.has(m.digest)) return;
      seen.add(m.digest);
      const refs = await tx.images.references(src, m.digest);
      for (const child of refs?.children ?? []) {
        const c = await tx.images.get(src, child);
        if (c !== undefined) await visit(c);
      }
      out.push(m);
    };
    await visit(root);
    return out;
  }
}
