/**
 * Images (manifests) of repositories, for both doors: the registry (`/v2/<name>/manifests`,
 * `tags/list`, `referrers`) and ECR's PutImage / BatchGetImage / BatchDeleteImage rules.
 *
 * A push authorizes ecr:PutImage, validates the manifest (`manifests.ts`), then in ONE metadata
 * transaction applies tag mutability, checks that every referenced blob is linked and every child
 * manifest is present, and stores the manifest with its references and tag: either all of it is
 * visible or none (DESIGN.md). Pulls return the stored bytes exactly: crossdock never converts
 * between manifest formats (ECR converts schema 2 ↔ schema 1 / OCI when pulling by tag for a client
 * that does not accept the stored type; crossdock serves the stored type whatever `Accept` says).
 */
import type { Caller, Requester } from '../../auth/caller.js';
import { isDigest, parseDigest, type Digest, type DigestAlgorithm } from '../../store/blobs/BlobStore.js';
import { NotFound, StoreError } from '../../store/meta/errors.js';
import type { MetadataTx } from '../../store/meta/MetadataStore.js';
import type { Image, ImageInfo, Repository, RepositoryRef } from '../../store/meta/records.js';
import { listAll } from '../authz.js';
import { ServiceError } from '../errors.js';
import { RepositoryAccess, repositoryNotFound } from './access.js';
import type { EcrDeps } from './deps.js';
import { ecrErrors, imageFailures } from './errors.js';
import { inRepository } from './layers.js';
import {
  MANIFEST_MEDIA_TYPES,
  parseManifest,
  referrerArtifactType,
  type ParsedManifest,
} from './manifests.js';
import type { ReferrerDescriptor, StoredManifest } from './registry.js';
import { enqueueReplication } from './replication.js';

/** How often a pull refreshes `lastRecordedPullTime` (ECR: "at least once every 24 hours"). */
export const PULL_TIME_RESOLUTION_MS = 60_000;

/** Which door a push comes through: the API reports a no-op push as ImageAlreadyExistsException. */
export type ImageDoor = 'api' | 'registry';

/** What a push carries besides the repository. */
export interface PushRequest {
  /** The manifest bytes, stored exactly. */
  readonly manifest: Uint8Array;
  /** `Content-Type` / `imageManifestMediaType`; '' or absent = not declared. */
  readonly mediaType?: string;
  readonly tag?: string;
  /** The digest the client says the manifest has (push by digest, `imageDigest`). */
  readonly digest?: string;
}

/** What a push did. */
export interface PushResult {
  readonly manifest: ParsedManifest;
  readonly image: ImageInfo;
  readonly tag?: string;
  /** False when nothing changed (a registry re-push of the same manifest and tag). */
  readonly changed: boolean;
}

/** An `ImageIdentifier`. */
export interface ImageId {
  readonly imageDigest?: string;
  readonly imageTag?: string;
}

/** A per-image failure of the batch operations. */
export interface ImageFailure {
  readonly imageId: ImageId;
  readonly failureCode: string;
  readonly failureReason: string;
}

/** ECR's ImageTagAlreadyExistsException for an immutable tag that would move. */
export function tagAlreadyExists(ref: RepositoryRef, tag: string): ServiceError {
  return new ServiceError(
    'ImageTagAlreadyExistsException',
    `The image tag '${tag}' already exists in the '${ref.name}' repository and cannot be overwritten because the repository is immutable.`,
  );
}

/** ECR's ImageAlreadyExistsException for a push that would change nothing. */
export function imageAlreadyExists(ref: RepositoryRef, digest: string, tag?: string): ServiceError {
  const what =
    tag === undefined ? `Image with digest '${digest}'` : `Image with digest '${digest}' and tag '${tag}'`;
  return new ServiceError(
    'ImageAlreadyExistsException',
    `${what} already exists in the repository with name '${ref.name}' in registry with id '${ref.accountId}'`,
  );
}

function wildcard(filter: string, tag: string): boolean {
  const pattern = filter
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(tag);
}

/**
 * Whether a repository refuses to move `tag` to another image: IMMUTABLE always,
 * IMMUTABLE_WITH_EXCLUSION unless the tag matches an exclusion filter, MUTABLE_WITH_EXCLUSION
 * only when it does, MUTABLE never.
 */
export function tagIsImmutable(repo: Repository, tag: string): boolean {
  const excluded = repo.imageTagMutabilityExclusionFilters.some((f) => wildcard(f.filter, tag));
  switch (repo.imageTagMutability) {
    case 'MUTABLE':
      return false;
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !excluded;
    case 'MUTABLE_WITH_EXCLUSION':
      return excluded;
  }
}

function layersNotFound(ref: RepositoryRef, digests: readonly string[]): ServiceError {
  return new ServiceError(
    'LayersNotFoundException',
    `Layers with digests '[${digests.join(', ')}]' required for pushing image into repository with name '${ref.name}' in the registry with id '${ref.accountId}' do not exist`,
  );
}

function referencedImagesNotFound(ref: RepositoryRef, digests: readonly string[]): ServiceError {
  return new ServiceError(
    'ReferencedImagesNotFoundException',
    `Images with digests '[${digests.join(', ')}]' referenced by the manifest do not exist in the repository with name '${ref.name}' in the registry with id '${ref.accountId}'`,
  );
}

/** The stored manifest as the registry serves it. */
export function storedManifest(image: Image): StoredManifest {
  const own =
    image.artifactType !== undefined && image.artifactType !== image.configMediaType
      ? { artifactType: image.artifactType }
      : {};
  return {
    digest: image.digest,
    mediaType: image.mediaType,
    bytes: Buffer.from(image.manifest.buffer, image.manifest.byteOffset, image.manifest.byteLength),
    ...own,
  };
}

/** A digest reference (contains `:`; tags cannot) or a tag. */
function isDigestReference(reference: string): boolean {
  return reference.includes(':');
}

/** The OCI referrers fallback tag of a subject: `<alg>-<hex>`, the hex cut to 64 characters. */
export function fallbackTag(subject: Digest): string {
  const [alg, hex] = subject.split(':') as [string, string];
  return `${alg}-${hex.slice(0, 64)}`;
}

/** Images of repositories; see the module comment. */
export class ImageService {
  private readonly access: RepositoryAccess;

  constructor(private readonly deps: EcrDeps) {
    this.access = new RepositoryAccess(deps);
  }

  /**
   * Pushes a manifest (registry PUT, API PutImage) — ecr:PutImage. Throws
   * InvalidParameterException (bad manifest), ImageDigestDoesNotMatchException,
   * LayersNotFoundException, ReferencedImagesNotFoundException, ImageTagAlreadyExistsException,
   * and, through the API only, ImageAlreadyExistsException for a push that changes nothing (the
   * registry answers it as a success, as clients expect).
   */
  async push(caller: Caller, ref: RepositoryRef, req: PushRequest, door: ImageDoor): Promise<PushResult> {
    await this.access.require(caller, 'ecr:PutImage', ref);
    let algorithm: DigestAlgorithm = 'sha256';
    if (req.digest !== undefined) {
      if (!isDigest(req.digest)) throw ecrErrors.invalidParameter('imageDigest', 'Invalid image digest');
      if (req.digest.startsWith('sha512:')) algorithm = 'sha512';
    }
    const parsed = parseManifest(req.manifest, {
      ...(req.mediaType !== undefined && { mediaType: req.mediaType }),
      algorithm,
    });
    if (req.digest !== undefined && req.digest !== parsed.digest) {
      throw new ServiceError(
        'ImageDigestDoesNotMatchException',
        `The provided digest '${req.digest}' does not match the digest '${parsed.digest}' of the image manifest`,
      );
    }
    const pushedAt = new Date(this.deps.clock.now());
    try {
      const result = await this.deps.store.transaction((tx) =>
        this.store(tx, ref, parsed, req.tag, pushedAt, door),
      );
      if (result.changed) this.deps.replicationQueued?.();
      return result;
    } catch (err) {
      if (err instanceof NotFound && err.entity === 'repository') throw repositoryNotFound(ref);
      if (err instanceof NotFound && err.entity === 'blob')
        throw layersNotFound(ref, [err.key.split('@').pop()!]);
      if (err instanceof NotFound && err.entity === 'image')
        throw referencedImagesNotFound(ref, [err.key.split('@').pop()!]);
      throw err;
    }
  }

  /**
   * Stores a manifest ECR itself brings in (a pull-through cache import), with no IAM check of its
   * own: the caller was authorized for ecr:BatchImportUpstreamImage. The same validation, blob
   * and child checks and tag rules as a push.
   */
  async importManifest(
    ref: RepositoryRef,
    bytes: Buffer,
    mediaType: string,
    tag?: string,
  ): Promise<PushResult> {
    const parsed = parseManifest(bytes, { mediaType, algorithm: 'sha256' });
    const pushedAt = new Date(this.deps.clock.now());
    return this.deps.store.transaction((tx) => this.store(tx, ref, parsed, tag, pushedAt, 'registry'));
  }

  /** The transactional half of a push: mutability, references, then the one atomic put. */
  private async store(
    tx: MetadataTx,
    ref: RepositoryRef,
    m: ParsedManifest,
    tag: string | undefined,
    pushedAt: Date,
    door: ImageDoor,
  ): Promise<PushResult> {
    const repo = await tx.repositories.get(ref.accountId, ref.region, ref.name);
    if (repo === undefined) throw repositoryNotFound(ref);
    const existing = await tx.images.get(ref, m.digest);
    const current = tag === undefined ? undefined : await tx.tags.get(ref, tag);
    const unchanged = existing !== undefined && (tag === undefined || current?.digest === m.digest);
    if (unchanged) {
      if (door === 'api') throw imageAlreadyExists(ref, m.digest, tag);
      return { manifest: m, image: existing, ...(tag !== undefined && { tag }), changed: false };
    }
    if (
      tag !== undefined &&
      current !== undefined &&
      current.digest !== m.digest &&
      tagIsImmutable(repo, tag)
    )
      throw tagAlreadyExists(ref, tag);
    let imageSize = existing?.imageSize ?? 0;
    if (existing === undefined) {
      const links = await tx.blobs.getMany(ref, m.blobs);
      const sizes = new Map(links.map((l) => [l.digest, l.size]));
      const missing = m.blobs.filter((d) => !sizes.has(d));
      if (missing.length > 0) throw layersNotFound(ref, missing);
      const childSizes: number[] = [];
      const absent: string[] = [];
      for (const child of m.children) {
        const c = await tx.images.get(ref, child);
        if (c === undefined) absent.push(child);
        else childSizes.push(c.imageSize);
      }
      if (absent.length > 0) throw referencedImagesNotFound(ref, absent);
      // ECR's imageSizeInBytes: manifest + config + layers; for an index, its largest child.
      imageSize =
        m.kind === 'index'
          ? childSizes.length > 0
            ? Math.max(...childSizes)
            : m.bytes.length
          : m.bytes.length + m.blobs.reduce((n, d) => n + (sizes.get(d) ?? 0), 0);
    }
    const artifactType = referrerArtifactType(m);
    const r = await tx.images.put(
      ref,
      {
        digest: m.digest,
        mediaType: m.mediaType,
        ...(artifactType !== undefined && { artifactType }),
        ...(m.config !== undefined && { configDigest: m.config.digest, configMediaType: m.config.mediaType }),
        ...(m.subject !== undefined && { subjectDigest: m.subject.digest }),
        ...(m.annotations !== undefined && { annotations: m.annotations }),
        manifest: m.bytes,
        imageSize,
        pushedAt,
        blobs: m.blobs,
        children: m.children,
      },
      tag === undefined ? undefined : { tag },
    );
    // Replication jobs are queued with the image, in this transaction: never one without the other.
    await enqueueReplication(tx, this.deps.ids, ref, m.digest, tag === undefined ? [] : [tag], pushedAt);
    return { manifest: m, image: r.image, ...(tag !== undefined && { tag }), changed: true };
  }

  /**
   * `GET|HEAD /v2/<name>/manifests/<ref>` — ecr:BatchGetImage: the manifest a tag or digest names,
   * exactly as pushed; ImageNotFoundException otherwise.
   */
  async get(caller: Requester, ref: RepositoryRef, reference: string): Promise<Image> {
    await this.access.read(caller, 'ecr:BatchGetImage', ref);
    const image = await this.find(ref, reference);
    if (image === undefined) {
      throw ecrErrors.imageNotFound(
        isDigestReference(reference) ? { imageDigest: reference } : { imageTag: reference },
        ref.name,
        ref.accountId,
      );
    }
    await this.recordPull(ref, image);
    return image;
  }

  /** The image a tag or digest names, without authorizing (callers have). */
  async find(ref: RepositoryRef, reference: string): Promise<Image | undefined> {
    if (isDigestReference(reference)) {
      if (!isDigest(reference)) return undefined;
      return inRepository(ref, () => this.deps.store.images.get(ref, reference));
    }
    return inRepository(ref, () => this.deps.store.images.getByTag(ref, reference));
  }

  /** Moves `lastRecordedPullTime` forward, at most once per {@link PULL_TIME_RESOLUTION_MS}. */
  async recordPull(ref: RepositoryRef, image: ImageInfo): Promise<void> {
    const now = this.deps.clock.now();
    const last = image.lastPulledAt?.getTime();
    if (last !== undefined && now - last < PULL_TIME_RESOLUTION_MS) return;
    await this.deps.store.images.markPulled(ref, image.digest, new Date(now)).catch((err: unknown) => {
      // The image went away between the read and the mark: the pull itself succeeded.
      if (!(err instanceof StoreError && err.code === 'NotFound')) throw err;
    });
  }

  /**
   * `DELETE /v2/<name>/manifests/<ref>` — ecr:BatchDeleteImage: by digest the image and its tags,
   * by tag that tag (and the image with it when it was the last tag, as ECR does).
   * ImageNotFoundException when absent; an image an index still references is refused as
   * InvalidParameterException with ECR's ImageReferencedByManifestList reason.
   */
  async delete(caller: Caller, ref: RepositoryRef, reference: string): Promise<void> {
    await this.access.require(caller, 'ecr:BatchDeleteImage', ref);
    const id = isDigestReference(reference) ? { imageDigest: reference } : { imageTag: reference };
    const { failures } = await this.deleteIds(ref, [id]);
    const f = failures[0];
    if (f === undefined) return;
    if (f.failureCode === 'ImageNotFound') throw ecrErrors.imageNotFound(id, ref.name, ref.accountId);
    throw new ServiceError('InvalidParameterException', f.failureReason);
  }

  /**
   * BatchDeleteImage's semantics on an authorized repository, in one transaction: by digest the
   * image and all its tags; by tag the tag, and the image too when that was its last tag; an image
   * an index keeps referencing stays (with its tag) and is a failure. Returns the ids deleted and
   * the failures, in the order asked.
   */
  async deleteIds(
    ref: RepositoryRef,
    ids: readonly ImageId[],
  ): Promise<{ imageIds: ImageId[]; failures: ImageFailure[] }> {
    return inRepository(ref, () =>
      this.deps.store.transaction(async (tx) => {
        const failures: ImageFailure[] = [];
        const planned: { id: ImageId; digest: string; untagOnly: boolean }[] = [];
        const tagsGoing = new Map<string, Set<string>>();
        for (const id of ids) {
          if (id.imageDigest === undefined && id.imageTag === undefined) {
            failures.push({ imageId: id, ...imageFailures.missingDigestAndTag });
            continue;
          }
          if (id.imageDigest !== undefined && !isDigest(id.imageDigest)) {
            failures.push({ imageId: id, ...imageFailures.invalidDigest });
            continue;
          }
          let digest: string | undefined = id.imageDigest;
          if (id.imageTag !== undefined) {
            const t = await tx.tags.get(ref, id.imageTag);
            if (t === undefined || (digest !== undefined && t.digest !== digest)) {
              failures.push({ imageId: id, ...imageFailures.notFound });
              continue;
            }
            digest = t.digest;
            const going = tagsGoing.get(digest) ?? new Set<string>();
            going.add(id.imageTag);
            tagsGoing.set(digest, going);
          } else if ((await tx.images.references(ref, digest!)) === undefined) {
            failures.push({ imageId: id, ...imageFailures.notFound });
            continue;
          }
          planned.push({ id, digest: digest!, untagOnly: id.imageDigest === undefined });
        }
        // A tag removal deletes the image only when no tag of it remains.
        const deleting = new Set<string>();
        for (const p of planned) {
          if (!p.untagOnly) {
            deleting.add(p.digest);
            continue;
          }
          const image = await tx.images.get(ref, p.digest);
          const remaining = (image?.tags ?? []).filter((t) => !tagsGoing.get(p.digest)?.has(t));
          if (remaining.length === 0) deleting.add(p.digest);
        }
        const result = await tx.images.delete(ref, [...deleting]);
        const kept = new Set(result.referencedByIndex);
        const imageIds: ImageId[] = [];
        const untagged = new Set<string>();
        for (const p of planned) {
          if (kept.has(p.digest)) {
            const parents = await this.parentsOf(tx, ref, p.digest);
            failures.push({ imageId: p.id, ...imageFailures.referencedByManifestList(parents) });
            continue;
          }
          const tag = p.id.imageTag;
          if (p.untagOnly && !deleting.has(p.digest) && tag !== undefined && !untagged.has(tag)) {
            untagged.add(tag);
            await tx.tags.delete(ref, tag);
          }
          imageIds.push({
            imageDigest: p.digest,
            ...(p.id.imageTag !== undefined && { imageTag: p.id.imageTag }),
          });
        }
        return { imageIds, failures };
      }),
    );
  }

  /** The indexes of a repository that reference `digest`. */
  private async parentsOf(tx: MetadataTx, ref: RepositoryRef, digest: string): Promise<string[]> {
    const all = await listAll((marker) =>
      tx.images.list(ref, { filter: 'any', ...(marker !== undefined && { marker }) }),
    );
    const out: string[] = [];
    for (const image of all) {
      if (
        image.mediaType !== MANIFEST_MEDIA_TYPES.ociIndex &&
        image.mediaType !== MANIFEST_MEDIA_TYPES.dockerManifestList
      )
        continue;
      const refs = await tx.images.references(ref, image.digest);
      if (refs?.children.includes(digest)) out.push(image.digest);
    }
    return out;
  }

  /** `GET /v2/<name>/tags/list?n=&last=` — ecr:ListImages: tags in lexical order. */
  async listTags(
    caller: Requester,
    ref: RepositoryRef,
    opts: { n?: number; last?: string },
  ): Promise<string[]> {
    await this.access.read(caller, 'ecr:ListImages', ref);
    const page = await inRepository(ref, () =>
      this.deps.store.tags.list(ref, {
        ...(opts.n !== undefined && { n: opts.n }),
        ...(opts.last !== undefined && { last: opts.last }),
      }),
    );
    return page.items.map((t) => t.tag);
  }

  /**
   * `GET /v2/<name>/referrers/<digest>?artifactType=` — ecr:BatchGetImage: the manifests of the
   * repository whose `subject` is `digest` (the subject itself need not exist), merged with the
   * entries of an OCI fallback-tag index (`<alg>-<hex>`) pushed by clients that did not know the
   * API, optionally filtered by artifact type; by digest.
   */
  async referrers(
    caller: Requester,
    ref: RepositoryRef,
    digest: string,
    artifactType?: string,
  ): Promise<ReferrerDescriptor[]> {
    await this.access.read(caller, 'ecr:BatchGetImage', ref);
    const subject = parseDigest(digest);
    const found = await inRepository(ref, () =>
      listAll((marker) =>
        this.deps.store.images.referrers(ref, subject, {
          ...(artifactType !== undefined && { artifactType }),
          ...(marker !== undefined && { marker }),
        }),
      ),
    );
    const out = new Map<string, ReferrerDescriptor>();
    for (const i of found) {
      out.set(i.digest, {
        mediaType: i.mediaType,
        digest: i.digest,
        size: i.manifestSize,
        ...(i.artifactType !== undefined && { artifactType: i.artifactType }),
        ...(i.annotations !== undefined && { annotations: { ...i.annotations } }),
      });
    }
    for (const d of await this.fallbackEntries(ref, subject)) {
      if (out.has(d.digest)) continue;
      if (artifactType !== undefined && d.artifactType !== artifactType) continue;
      out.set(d.digest, d);
    }
    return [...out.values()].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  }

  /** The descriptors of the fallback-tag index of a subject, if one was pushed. */
  private async fallbackEntries(ref: RepositoryRef, subject: Digest): Promise<ReferrerDescriptor[]> {
    const image = await inRepository(ref, () => this.deps.store.images.getByTag(ref, fallbackTag(subject)));
    if (image === undefined || image.mediaType !== MANIFEST_MEDIA_TYPES.ociIndex) return [];
    try {
      const m = parseManifest(image.manifest, { mediaType: image.mediaType });
      return m.manifests.map((d) => ({
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        ...(d.artifactType !== undefined && { artifactType: d.artifactType }),
        ...(d.annotations !== undefined && { annotations: d.annotations }),
      }));
    } catch {
      return [];
    }
  }
}
