/**
 * The ECR groups of the in-memory driver: the model the SQL driver is checked against.
 *
 * Layout: `EcrState` inside the driver's state. Repositories are keyed by (account, region, name)
 * and own their images, tags and blob links, so deleting a repository drops them with it; each
 * keeps the internal id the SQL driver also draws from a counter, which uploads point at.
 * Replication jobs, uploads and registries are maps by their keys. Every operation checks before
 * it writes (a failing call changes nothing), and counters advance exactly where the SQL driver's
 * do, so versions agree between drivers.
 */
import {
  canonBlobLink,
  canonImage,
  canonImageInfo,
  canonImageTag,
  canonRegistry,
  canonReplicationJob,
  canonRepository,
  canonRepositoryRef,
  canonStringMap,
  canonUpload,
  compact,
  definedOnly,
} from '../canonical.js';
import { byDistinctPrefix, distinct, planImageDelete, sortedDistinct, tagLimit } from '../ecrRules.js';
import { AlreadyExists, Conflict, NotFound } from '../errors.js';
import { repositoryKey } from '../keys.js';
import {
  DEFAULT_REPLICATION_LEASE_MS,
  type BlobLinkOps,
  type ImageDeleteResult,
  type ImageListOptions,
  type ImageOps,
  type ImageReferences,
  type NewBlobLink,
  type PutImageResult,
  type RegistryOps,
  type RegistryPatch,
  type ReplicationJobPatch,
  type ReplicationOps,
  type RepositoryListOptions,
  type RepositoryOps,
  type RepositoryPatch,
  type TagList,
  type TagListOptions,
  type TagOps,
  type UploadOps,
  type UploadPatch,
  type VersionExpectation,
} from '../MetadataStore.js';
import { compareText, paginate, type ListOptions, type Page } from '../pagination.js';
import type {
  BlobLink,
  Image,
  ImageInfo,
  ImageTag,
  NewImage,
  NewReplicationJob,
  NewRepository,
  NewUpload,
  Registry,
  ReplicationJob,
  ReplicationState,
  Repository,
  RepositoryRef,
  Upload,
  UploadState,
} from '../records.js';

interface ImageRow {
  readonly info: Omit<ImageInfo, 'tags' | 'lastPulledAt'>;
  lastPulledAt?: Date;
  readonly manifest: Uint8Array;
  readonly blobs: readonly string[];
  readonly children: readonly string[];
}

interface TagRow {
  digest: string;
  updatedAt: Date;
}

interface LinkRow {
  readonly size: number;
  readonly linkedAt: Date;
}

interface RepoRow {
  readonly id: number;
  repo: Repository;
  readonly images: Map<string, ImageRow>;
  readonly tags: Map<string, TagRow>;
  readonly links: Map<string, LinkRow>;
}

interface UploadRow {
  readonly repoId: number;
  upload: Upload;
}

/** The ECR part of the memory driver's state. */
export interface EcrState {
  readonly counters: { change: number; repositoryId: number };
  readonly repos: Map<string, RepoRow>;
  readonly uploads: Map<string, UploadRow>;
  readonly jobs: Map<string, ReplicationJob>;
  readonly registries: Map<string, Registry>;
}

/** An empty ECR state. */
export function emptyEcrState(): EcrState {
  return {
    counters: { change: 0, repositoryId: 0 },
    repos: new Map(),
    uploads: new Map(),
    jobs: new Map(),
    registries: new Map(),
  };
}

/** How the ECR groups reach the state: the driver's context, inside or outside a transaction. */
export interface EcrRunner {
  run<T>(fn: (s: { readonly ecr: EcrState }) => T): Promise<T>;
}

const mapKey = (accountId: string, region: string, name: string): string =>
  `${accountId}\u0000${region}\u0000${name}`;
const imageKey = (ref: RepositoryRef, digest: string): string => `${repositoryKey(ref)}@${digest}`;

function findRepo(s: EcrState, ref: RepositoryRef): RepoRow | undefined {
  return s.repos.get(mapKey(ref.accountId, ref.region, ref.name));
}

function mustRepo(s: EcrState, ref: RepositoryRef): RepoRow {
  const r = findRepo(s, ref);
  if (r === undefined) throw new NotFound('repository', repositoryKey(ref));
  return r;
}

function tagsByDigest(row: RepoRow): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const sorted = [...row.tags.entries()].sort((a, b) => compareText(a[0], b[0]));
  for (const [tag, t] of sorted) out.set(t.digest, [...(out.get(t.digest) ?? []), tag]);
  return out;
}

function infoOut(row: ImageRow, tags: readonly string[]): ImageInfo {
  return canonImageInfo({ ...row.info, lastPulledAt: row.lastPulledAt, tags });
}

function imageOut(repo: RepoRow, digest: string): Image | undefined {
  const row = repo.images.get(digest);
  if (row === undefined) return undefined;
  const tags = tagsByDigest(repo).get(digest) ?? [];
  return canonImage({ ...infoOut(row, tags), manifest: row.manifest });
}

function linkOut(repo: RepoRow, digest: string): BlobLink | undefined {
  const l = repo.links.get(digest);
  if (l === undefined) return undefined;
  let imageCount = 0;
  for (const img of repo.images.values()) if (img.blobs.includes(digest)) imageCount++;
  return canonBlobLink({ digest, size: l.size, linkedAt: l.linkedAt, imageCount });
}

/** Points a tag at a digest (`updatedAt` changes only when the tag is created or moved). */
function setTag(repo: RepoRow, tag: string, digest: string, at: Date): void {
  const prev = repo.tags.get(tag);
  if (prev === undefined) repo.tags.set(tag, { digest, updatedAt: new Date(at.getTime()) });
  else if (prev.digest !== digest) {
    prev.digest = digest;
    prev.updatedAt = new Date(at.getTime());
  }
}

export class MemoryRepositories implements RepositoryOps {
  constructor(private readonly c: EcrRunner) {}

  create(r: NewRepository): Promise<Repository> {
    return this.c.run(({ ecr: s }) => {
      if (findRepo(s, r) !== undefined) throw new AlreadyExists('repository', repositoryKey(r), 'name');
      const id = ++s.counters.repositoryId;
      const repo = canonRepository({ ...r, version: ++s.counters.change });
      s.repos.set(mapKey(r.accountId, r.region, r.name), {
        id,
        repo,
        images: new Map(),
        tags: new Map(),
        links: new Map(),
      });
      return canonRepository(repo);
    });
  }

  get(accountId: string, region: string, name: string): Promise<Repository | undefined> {
    return this.c.run(({ ecr: s }) => {
      const r = s.repos.get(mapKey(accountId, region, name));
      return r === undefined ? undefined : canonRepository(r.repo);
    });
  }

  list(accountId: string, region: string, opts?: RepositoryListOptions): Promise<Page<Repository>> {
    return this.c.run(({ ecr: s }) => {
      const names = opts?.names === undefined ? undefined : new Set(opts.names);
      const all = [...s.repos.values()]
        .map((r) => r.repo)
        .filter(
          (r) =>
            r.accountId === accountId &&
            r.region === region &&
            (names === undefined || names.has(r.name)) &&
            (opts?.namePrefix === undefined || r.name.startsWith(opts.namePrefix)),
        )
        .map(canonRepository);
      return paginate(all, (r) => [r.name], opts, 'repository', 1);
    });
  }

  listAll(opts?: ListOptions & { readonly withLifecyclePolicy?: boolean }): Promise<Page<Repository>> {
    return this.c.run(({ ecr: s }) => {
      const all = [...s.repos.values()]
        .map((r) => r.repo)
        .filter((r) => opts?.withLifecyclePolicy !== true || r.lifecyclePolicyText !== undefined)
        .map(canonRepository);
      return paginate(all, (r) => [r.accountId, r.region, r.name], opts, 'repository', 3);
    });
  }

  update(
    accountId: string,
    region: string,
    name: string,
    patch: RepositoryPatch,
    expect?: VersionExpectation,
  ): Promise<Repository> {
    return this.c.run(({ ecr: s }) => {
      const key = repositoryKey({ accountId, region, name });
      const row = s.repos.get(mapKey(accountId, region, name));
      if (row === undefined) throw new NotFound('repository', key);
      if (expect?.version !== undefined && expect.version !== row.repo.version) {
        throw new Conflict('repository', key, 'VersionMismatch');
      }
      const r = row.repo;
      row.repo = canonRepository({
        ...r,
        ...definedOnly({
          imageTagMutability: patch.imageTagMutability,
          imageTagMutabilityExclusionFilters: patch.imageTagMutabilityExclusionFilters,
          scanOnPush: patch.scanOnPush,
          tags: patch.tags,
        }),
        policyText: patch.policyText === null ? undefined : (patch.policyText ?? r.policyText),
        policyPrincipals:
          patch.policyPrincipals === null ? undefined : (patch.policyPrincipals ?? r.policyPrincipals),
        lifecyclePolicyText:
          patch.lifecyclePolicyText === null
            ? undefined
            : (patch.lifecyclePolicyText ?? r.lifecyclePolicyText),
        lifecycleEvaluatedAt:
          patch.lifecycleEvaluatedAt === null
            ? undefined
            : (patch.lifecycleEvaluatedAt ?? r.lifecycleEvaluatedAt),
        lifecyclePreviewText:
          patch.lifecyclePreviewText === null
            ? undefined
            : (patch.lifecyclePreviewText ?? r.lifecyclePreviewText),
        lifecyclePreviewStartedAt:
          patch.lifecyclePreviewStartedAt === null
            ? undefined
            : (patch.lifecyclePreviewStartedAt ?? r.lifecyclePreviewStartedAt),
        catalogDataText:
          patch.catalogDataText === null ? undefined : (patch.catalogDataText ?? r.catalogDataText),
        version: ++s.counters.change,
      });
      return canonRepository(row.repo);
    });
  }

  delete(
    accountId: string,
    region: string,
    name: string,
    opts?: { readonly force?: boolean },
  ): Promise<Repository> {
    return this.c.run(({ ecr: s }) => {
      const key = repositoryKey({ accountId, region, name });
      const row = s.repos.get(mapKey(accountId, region, name));
      if (row === undefined) throw new NotFound('repository', key);
      if (opts?.force !== true && row.images.size > 0) throw new Conflict('repository', key, 'HasImages');
      s.repos.delete(mapKey(accountId, region, name));
      for (const [id, u] of s.uploads) if (u.repoId === row.id) s.uploads.delete(id);
      return canonRepository(row.repo);
    });
  }
}

export class MemoryImages implements ImageOps {
  constructor(private readonly c: EcrRunner) {}

  put(ref: RepositoryRef, image: NewImage, opts?: { readonly tag?: string }): Promise<PutImageResult> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      let created = false;
      if (!repo.images.has(image.digest)) {
        const blobs = sortedDistinct(image.blobs);
        const missingBlob = blobs.find((b) => !repo.links.has(b));
        if (missingBlob !== undefined) throw new NotFound('blob', imageKey(ref, missingBlob));
        const children = sortedDistinct(image.children);
        const missingChild = children.find((d) => !repo.images.has(d));
        if (missingChild !== undefined) throw new NotFound('image', imageKey(ref, missingChild));
        repo.images.set(image.digest, {
          info: compact({
            digest: image.digest,
            mediaType: image.mediaType,
            artifactType: image.artifactType,
            configDigest: image.configDigest,
            configMediaType: image.configMediaType,
            subjectDigest: image.subjectDigest,
            annotations: image.annotations === undefined ? undefined : canonStringMap(image.annotations),
            manifestSize: image.manifest.byteLength,
            imageSize: image.imageSize,
            pushedAt: new Date(image.pushedAt.getTime()),
          }),
          manifest: Uint8Array.from(image.manifest),
          blobs,
          children,
        });
        created = true;
      }
      let previousTagDigest: string | undefined;
      if (opts?.tag !== undefined) {
        previousTagDigest = repo.tags.get(opts.tag)?.digest;
        setTag(repo, opts.tag, image.digest, image.pushedAt);
      }
      const row = repo.images.get(image.digest) as ImageRow;
      return compact({
        image: infoOut(row, tagsByDigest(repo).get(image.digest) ?? []),
        created,
        previousTagDigest,
      });
    });
  }

  get(ref: RepositoryRef, digest: string): Promise<Image | undefined> {
    return this.c.run(({ ecr: s }) => imageOut(mustRepo(s, ref), digest));
  }

  getByTag(ref: RepositoryRef, tag: string): Promise<Image | undefined> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      const t = repo.tags.get(tag);
      return t === undefined ? undefined : imageOut(repo, t.digest);
    });
  }

  list(ref: RepositoryRef, opts?: ImageListOptions): Promise<Page<ImageInfo>> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      const tags = tagsByDigest(repo);
      const filter = opts?.filter ?? 'any';
      const all = [...repo.images.values()]
        .filter((r) => filter === 'any' || (filter === 'tagged') === tags.has(r.info.digest))
        .map((r) => infoOut(r, tags.get(r.info.digest) ?? []));
      return paginate(all, (i) => [i.digest], opts, 'image', 1);
    });
  }

  references(ref: RepositoryRef, digest: string): Promise<ImageReferences | undefined> {
    return this.c.run(({ ecr: s }) => {
      const row = mustRepo(s, ref).images.get(digest);
      return row === undefined ? undefined : { blobs: [...row.blobs], children: [...row.children] };
    });
  }

  referrers(
    ref: RepositoryRef,
    subjectDigest: string,
    opts?: ListOptions & { readonly artifactType?: string },
  ): Promise<Page<ImageInfo>> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      const tags = tagsByDigest(repo);
      const all = [...repo.images.values()]
        .filter(
          (r) =>
            r.info.subjectDigest === subjectDigest &&
            (opts?.artifactType === undefined || r.info.artifactType === opts.artifactType),
        )
        .map((r) => infoOut(r, tags.get(r.info.digest) ?? []));
      return paginate(all, (i) => [i.digest], opts, 'image', 1);
    });
  }

  markPulled(ref: RepositoryRef, digest: string, at: Date): Promise<void> {
    return this.c.run(({ ecr: s }) => {
      const row = mustRepo(s, ref).images.get(digest);
      if (row === undefined) throw new NotFound('image', imageKey(ref, digest));
      if (row.lastPulledAt === undefined || row.lastPulledAt.getTime() < at.getTime()) {
        row.lastPulledAt = new Date(at.getTime());
      }
    });
  }

  delete(ref: RepositoryRef, digests: readonly string[]): Promise<ImageDeleteResult> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      const parentsOf = (d: string): string[] =>
        [...repo.images.values()].filter((r) => r.children.includes(d)).map((r) => r.info.digest);
      const plan = planImageDelete(digests, (d) => repo.images.has(d), parentsOf);
      const tags = tagsByDigest(repo);
      for (const d of plan.deletable) repo.images.delete(d);
      for (const [tag, t] of repo.tags) if (!repo.images.has(t.digest)) repo.tags.delete(tag);
      return {
        deleted: plan.deletable.map((digest) => ({ digest, tags: tags.get(digest) ?? [] })),
        notFound: plan.notFound,
        referencedByIndex: plan.referencedByIndex,
      };
    });
  }
}

export class MemoryTags implements TagOps {
  constructor(private readonly c: EcrRunner) {}

  get(ref: RepositoryRef, tag: string): Promise<ImageTag | undefined> {
    return this.c.run(({ ecr: s }) => {
      const t = mustRepo(s, ref).tags.get(tag);
      return t === undefined ? undefined : canonImageTag({ tag, digest: t.digest, updatedAt: t.updatedAt });
    });
  }

  put(
    ref: RepositoryRef,
    tag: string,
    digest: string,
    at: Date,
  ): Promise<{ readonly tag: ImageTag; readonly previousDigest?: string }> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      if (!repo.images.has(digest)) throw new NotFound('image', imageKey(ref, digest));
      const previousDigest = repo.tags.get(tag)?.digest;
      setTag(repo, tag, digest, at);
      const t = repo.tags.get(tag) as TagRow;
      return compact({
        tag: canonImageTag({ tag, digest: t.digest, updatedAt: t.updatedAt }),
        previousDigest,
      });
    });
  }

  delete(ref: RepositoryRef, tag: string): Promise<ImageTag> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      const t = repo.tags.get(tag);
      if (t === undefined) throw new NotFound('tag', `${repositoryKey(ref)}:${tag}`);
      repo.tags.delete(tag);
      return canonImageTag({ tag, digest: t.digest, updatedAt: t.updatedAt });
    });
  }

  list(ref: RepositoryRef, opts?: TagListOptions): Promise<TagList> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      const n = tagLimit(opts?.n);
      const last = opts?.last;
      const all = [...repo.tags.entries()]
        .filter(([tag]) => last === undefined || compareText(tag, last) > 0)
        .sort((a, b) => compareText(a[0], b[0]))
        .map(([tag, t]) => canonImageTag({ tag, digest: t.digest, updatedAt: t.updatedAt }));
      return n === undefined
        ? { items: all, more: false }
        : { items: all.slice(0, n), more: n > 0 && all.length > n };
    });
  }
}

export class MemoryBlobLinks implements BlobLinkOps {
  constructor(private readonly c: EcrRunner) {}

  link(ref: RepositoryRef, blob: NewBlobLink): Promise<BlobLink> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      if (!repo.links.has(blob.digest)) {
        repo.links.set(blob.digest, { size: blob.size, linkedAt: new Date(blob.linkedAt.getTime()) });
      }
      return linkOut(repo, blob.digest) as BlobLink;
    });
  }

  get(ref: RepositoryRef, digest: string): Promise<BlobLink | undefined> {
    return this.c.run(({ ecr: s }) => linkOut(mustRepo(s, ref), digest));
  }

  isLinked(ref: RepositoryRef, digest: string): Promise<boolean> {
    return this.c.run(({ ecr: s }) => mustRepo(s, ref).links.has(digest));
  }

  getMany(ref: RepositoryRef, digests: readonly string[]): Promise<BlobLink[]> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      return distinct(digests).flatMap((d) => {
        const l = linkOut(repo, d);
        return l === undefined ? [] : [l];
      });
    });
  }

  list(ref: RepositoryRef, opts?: ListOptions): Promise<Page<BlobLink>> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      const all = [...repo.links.keys()].map((d) => linkOut(repo, d) as BlobLink);
      return paginate(all, (l) => [l.digest], opts, 'blob', 1);
    });
  }

  unlink(ref: RepositoryRef, digest: string): Promise<void> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, ref);
      const key = imageKey(ref, digest);
      if (!repo.links.has(digest)) throw new NotFound('blob', key);
      for (const img of repo.images.values()) {
        if (img.blobs.includes(digest)) throw new Conflict('blob', key, 'BlobInUse');
      }
      repo.links.delete(digest);
    });
  }

  referencedAnywhere(digest: string): Promise<boolean> {
    return this.c.run(({ ecr: s }) => {
      for (const repo of s.repos.values()) {
        if (repo.links.has(digest)) return true;
        for (const img of repo.images.values()) if (img.blobs.includes(digest)) return true;
      }
      for (const u of s.uploads.values()) if (u.upload.digest === digest) return true;
      return false;
    });
  }

  referencedAnywhereLocked(digest: string): Promise<boolean> {
    // Calls and transactions of this driver already run one at a time under one lock.
    return this.referencedAnywhere(digest);
  }
}

export class MemoryUploads implements UploadOps {
  constructor(private readonly c: EcrRunner) {}

  create(u: NewUpload): Promise<Upload> {
    return this.c.run(({ ecr: s }) => {
      const repo = mustRepo(s, u.repository);
      if (s.uploads.has(u.id)) throw new AlreadyExists('upload', u.id, 'id');
      const upload = canonUpload({
        id: u.id,
        repository: canonRepositoryRef(u.repository),
        state: 'IN_PROGRESS',
        size: 0,
        partCount: 0,
        createdAt: u.createdAt,
        updatedAt: u.createdAt,
      });
      s.uploads.set(u.id, { repoId: repo.id, upload });
      return canonUpload(upload);
    });
  }

  get(id: string): Promise<Upload | undefined> {
    return this.c.run(({ ecr: s }) => {
      const u = s.uploads.get(id);
      return u === undefined ? undefined : canonUpload(u.upload);
    });
  }

  update(
    id: string,
    patch: UploadPatch,
    expect?: { readonly size?: number; readonly state?: UploadState },
  ): Promise<Upload> {
    return this.c.run(({ ecr: s }) => {
      const row = s.uploads.get(id);
      if (row === undefined) throw new NotFound('upload', id);
      const u = row.upload;
      if (
        (expect?.size !== undefined && expect.size !== u.size) ||
        (expect?.state !== undefined && expect.state !== u.state)
      ) {
        throw new Conflict('upload', id, 'UploadChanged');
      }
      row.upload = canonUpload({
        ...u,
        ...definedOnly({
          state: patch.state,
          size: patch.size,
          partCount: patch.partCount,
          lastPartSize: patch.lastPartSize,
          firstSmallPart: patch.firstSmallPart,
        }),
        digest: patch.digest === null ? undefined : (patch.digest ?? u.digest),
        updatedAt: patch.updatedAt,
      });
      return canonUpload(row.upload);
    });
  }

  delete(id: string): Promise<void> {
    return this.c.run(({ ecr: s }) => {
      if (!s.uploads.delete(id)) throw new NotFound('upload', id);
    });
  }

  list(
    opts?: ListOptions & {
      readonly repository?: RepositoryRef;
      readonly states?: readonly UploadState[];
      readonly updatedBefore?: Date;
    },
  ): Promise<Page<Upload>> {
    return this.c.run(({ ecr: s }) => {
      const r = opts?.repository;
      const all = [...s.uploads.values()]
        .map((x) => x.upload)
        .filter(
          (u) =>
            (r === undefined ||
              (u.repository.accountId === r.accountId &&
                u.repository.region === r.region &&
                u.repository.name === r.name)) &&
            (opts?.states === undefined || opts.states.includes(u.state)) &&
            (opts?.updatedBefore === undefined || u.updatedAt.getTime() < opts.updatedBefore.getTime()),
        )
        .map(canonUpload);
      return paginate(all, (u) => [u.id], opts, 'upload', 1);
    });
  }
}

export class MemoryReplication implements ReplicationOps {
  constructor(private readonly c: EcrRunner) {}

  enqueue(job: NewReplicationJob): Promise<ReplicationJob> {
    return this.c.run(({ ecr: s }) => {
      if (s.jobs.has(job.id)) throw new AlreadyExists('replicationJob', job.id, 'id');
      const j = canonReplicationJob({
        id: job.id,
        source: job.source,
        destination: job.destination,
        tags: job.tags,
        state: 'PENDING',
        attempts: 0,
        nextAttemptAt: job.nextAttemptAt ?? job.createdAt,
        createdAt: job.createdAt,
        updatedAt: job.createdAt,
      });
      s.jobs.set(job.id, j);
      return canonReplicationJob(j);
    });
  }

  get(id: string): Promise<ReplicationJob | undefined> {
    return this.c.run(({ ecr: s }) => {
      const j = s.jobs.get(id);
      return j === undefined ? undefined : canonReplicationJob(j);
    });
  }

  list(
    opts?: ListOptions & {
      readonly source?: {
        readonly accountId: string;
        readonly region: string;
        readonly repositoryName: string;
        readonly digest?: string;
      };
      readonly states?: readonly ReplicationState[];
    },
  ): Promise<Page<ReplicationJob>> {
    return this.c.run(({ ecr: s }) => {
      const src = opts?.source;
      const all = [...s.jobs.values()]
        .filter(
          (j) =>
            (src === undefined ||
              (j.source.accountId === src.accountId &&
                j.source.region === src.region &&
                j.source.repositoryName === src.repositoryName &&
                (src.digest === undefined || j.source.digest === src.digest))) &&
            (opts?.states === undefined || opts.states.includes(j.state)),
        )
        .map(canonReplicationJob);
      return paginate(all, (j) => [j.id], opts, 'replicationJob', 1);
    });
  }

  claimNext(
    now: Date,
    opts?: { readonly leaseUntil?: Date; readonly worker?: string },
  ): Promise<ReplicationJob | undefined> {
    return this.c.run(({ ecr: s }) => {
      const due = [...s.jobs.values()]
        .filter(
          (j) =>
            (j.state === 'PENDING' || j.state === 'IN_PROGRESS') &&
            j.nextAttemptAt.getTime() <= now.getTime(),
        )
        .sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || compareText(a.id, b.id));
      const next = due[0];
      if (next === undefined) return undefined;
      const claimed = canonReplicationJob({
        ...next,
        state: 'IN_PROGRESS',
        attempts: next.attempts + 1,
        nextAttemptAt: opts?.leaseUntil ?? new Date(now.getTime() + DEFAULT_REPLICATION_LEASE_MS),
        worker: opts?.worker,
        updatedAt: now,
      });
      s.jobs.set(next.id, claimed);
      return canonReplicationJob(claimed);
    });
  }

  update(
    id: string,
    patch: ReplicationJobPatch,
    expect?: { readonly attempts?: number },
  ): Promise<ReplicationJob> {
    return this.c.run(({ ecr: s }) => {
      const j = s.jobs.get(id);
      if (j === undefined) throw new NotFound('replicationJob', id);
      if (expect?.attempts !== undefined && expect.attempts !== j.attempts) {
        throw new Conflict('replicationJob', id, 'StaleClaim');
      }
      const next = canonReplicationJob({
        ...j,
        state: patch.state,
        nextAttemptAt: patch.nextAttemptAt ?? j.nextAttemptAt,
        failureReason: patch.failureReason === null ? undefined : (patch.failureReason ?? j.failureReason),
        worker: patch.state === 'IN_PROGRESS' ? j.worker : undefined,
        updatedAt: patch.updatedAt,
      });
      s.jobs.set(id, next);
      return canonReplicationJob(next);
    });
  }

  delete(id: string): Promise<void> {
    return this.c.run(({ ecr: s }) => {
      if (!s.jobs.delete(id)) throw new NotFound('replicationJob', id);
    });
  }
}

export class MemoryRegistries implements RegistryOps {
  constructor(private readonly c: EcrRunner) {}

  get(accountId: string, region: string): Promise<Registry | undefined> {
    return this.c.run(({ ecr: s }) => {
      const r = s.registries.get(mapKey(accountId, region, ''));
      return r === undefined ? undefined : canonRegistry(r);
    });
  }

  put(
    accountId: string,
    region: string,
    patch: RegistryPatch,
    expect?: VersionExpectation,
  ): Promise<Registry> {
    return this.c.run(({ ecr: s }) => {
      const key = `${accountId}/${region}`;
      const current = s.registries.get(mapKey(accountId, region, ''));
      if (expect?.version !== undefined && expect.version !== (current?.version ?? 0)) {
        throw new Conflict('registry', key, 'VersionMismatch');
      }
      const rules =
        patch.pullThroughCacheRules === undefined
          ? (current?.pullThroughCacheRules ?? [])
          : byDistinctPrefix(patch.pullThroughCacheRules, 'pullThroughCacheRule', key);
      const templates =
        patch.creationTemplates === undefined
          ? (current?.creationTemplates ?? [])
          : byDistinctPrefix(patch.creationTemplates, 'repositoryCreationTemplate', key);
      const pick = <T>(p: T | null | undefined, cur: T | undefined): T | undefined =>
        p === null ? undefined : (p ?? cur);
      const next = canonRegistry({
        accountId,
        region,
        policyText: pick(patch.policyText, current?.policyText),
        policyPrincipals: pick(patch.policyPrincipals, current?.policyPrincipals),
        replicationConfiguration: pick(patch.replicationConfiguration, current?.replicationConfiguration),
        scanningConfiguration: pick(patch.scanningConfiguration, current?.scanningConfiguration),
        pullThroughCacheRules: rules,
        creationTemplates: templates,
        accountSettings: patch.accountSettings ?? current?.accountSettings ?? {},
        catalogDataText: pick(patch.catalogDataText, current?.catalogDataText),
        version: ++s.counters.change,
        updatedAt: patch.updatedAt,
      });
      s.registries.set(mapKey(accountId, region, ''), next);
      return canonRegistry(next);
    });
  }
}
