/**
 * The images of a repository as the API sees them: ListImages, DescribeImages, BatchDeleteImage.
 * Listings are read whole from the store and cut into pages here, so that a page can end inside
 * an image's tags (ListImages has one entry per tag) and a token is the sort key of the last
 * entry (`validate.ts`).
 */
import type { Caller } from '../../auth/caller.js';
import { NotFound } from '../../store/meta/errors.js';
import type { MetadataTx } from '../../store/meta/MetadataStore.js';
import type { ImageInfo, RepositoryRef } from '../../store/meta/records.js';
import { listAll } from '../authz.js';
import { repositoryNotFound } from './access.js';
import { ECR_LIMITS, ecrErrors as E, imageFailures } from './errors.js';
import {
  imageDetailOut,
  type EcrInputs,
  type EcrOutputs,
  type ImageDetailOut,
  type ImageFailureOut,
  type ImageIdIn,
  type ImageIdOut,
} from './present.js';
import type { EcrContext } from './service.js';
import {
  checkImageStatus,
  checkListLength,
  checkPaging,
  checkTagStatus,
  compareKey,
  decodeToken,
  encodeToken,
  imageIdProblem,
  targetRef,
} from './validate.js';

/** Every image of a repository (store order: by digest), optionally only tagged or untagged ones. */
async function allImages(
  store: MetadataTx,
  ref: RepositoryRef,
  filter: 'tagged' | 'untagged' | 'any' = 'any',
): Promise<ImageInfo[]> {
  try {
    return await listAll((marker) => store.images.list(ref, { filter, marker }));
  } catch (e) {
    if (e instanceof NotFound && e.entity === 'repository') throw repositoryNotFound(ref);
    throw e;
  }
}

/** One page of `entries` (sorted by key) strictly after `after`, and the token of the next. */
function page<T>(
  entries: readonly T[],
  keyOf: (t: T) => string[],
  after: readonly string[] | undefined,
  size: number,
  kind: string,
): { items: T[]; nextToken?: string } {
  const rest = after === undefined ? entries : entries.filter((e) => compareKey(keyOf(e), after) > 0);
  const items = rest.slice(0, size);
  const last = items[items.length - 1];
  return rest.length > size && last !== undefined
    ? { items, nextToken: encodeToken(kind, keyOf(last)) }
    : { items };
}

/**
 * ListImages: `ecr:ListImages`; one entry per tag for a tagged image, one digest-only entry for an
 * untagged one, filtered by `tagStatus` (TAGGED, UNTAGGED, ANY), ordered by digest then tag.
 */
export async function listImages(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['ListImages'],
): Promise<EcrOutputs['ListImages']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  const size = checkPaging(input);
  const filter = checkTagStatus(input.filter?.tagStatus);
  const active = checkImageStatus(input.filter?.imageStatus);
  const after = input.nextToken === undefined ? undefined : decodeToken(input.nextToken, 'li', 2);
  await ctx.access.require(caller, 'ecr:ListImages', ref);
  const images = active ? await allImages(ctx.deps.store, ref, filter) : [];
  const entries: ImageIdOut[] = [];
  for (const img of images) {
    if (img.tags.length === 0) entries.push({ imageDigest: img.digest });
    else for (const tag of img.tags) entries.push({ imageDigest: img.digest, imageTag: tag });
  }
  const p = page(entries, (e) => [e.imageDigest ?? '', e.imageTag ?? ''], after, size, 'li');
  return { imageIds: p.items, ...(p.nextToken !== undefined && { nextToken: p.nextToken }) };
}

/** The image an id names (by tag, by digest, or both, which must agree), or undefined. */
async function resolveImage(
  store: MetadataTx,
  ref: RepositoryRef,
  id: ImageIdIn,
): Promise<ImageInfo | undefined> {
  if (imageIdProblem(id) !== undefined) return undefined;
  try {
    if (id.imageTag !== undefined) {
      const img = await store.images.getByTag(ref, id.imageTag);
      return img !== undefined && (id.imageDigest === undefined || img.digest === id.imageDigest)
        ? img
        : undefined;
    }
    return await store.images.get(ref, id.imageDigest as string);
  } catch (e) {
    if (e instanceof NotFound && e.entity === 'repository') throw repositoryNotFound(ref);
    throw e;
  }
}

/**
 * DescribeImages: `ecr:DescribeImages`. With `imageIds`: each must name an image (else
 * ImageNotFoundException for the whole call), answered once per image in the order asked. Without:
 * the repository's images by digest, filtered by `tagStatus`, paginated.
 */
export async function describeImages(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['DescribeImages'],
): Promise<EcrOutputs['DescribeImages']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  const ids = input.imageIds;
  if (ids !== undefined) checkListLength('imageIds', ids.length, ECR_LIMITS.imageIdsPerCall);
  const size = checkPaging(input, { member: 'imageIds', given: ids !== undefined });
  const filter = checkTagStatus(input.filter?.tagStatus);
  const active = checkImageStatus(input.filter?.imageStatus);
  const after = input.nextToken === undefined ? undefined : decodeToken(input.nextToken, 'di', 1);
  const repo = await ctx.access.require(caller, 'ecr:DescribeImages', ref);
  const detail = (img: ImageInfo): ImageDetailOut => imageDetailOut(repo, img);

  if (ids !== undefined) {
    const seen = new Set<string>();
    const imageDetails: ImageDetailOut[] = [];
    for (const id of ids) {
      const img = await resolveImage(ctx.deps.store, ref, id);
      if (img === undefined) throw E.imageNotFound(id, ref.name, ref.accountId);
      if (seen.has(img.digest)) continue;
      seen.add(img.digest);
      imageDetails.push(detail(img));
    }
    return { imageDetails };
  }
  const images = active ? await allImages(ctx.deps.store, ref, filter) : [];
  const p = page(images, (i) => [i.digest], after, size, 'di');
  return { imageDetails: p.items.map(detail), ...(p.nextToken !== undefined && { nextToken: p.nextToken }) };
}

/** What one requested id of BatchDeleteImage resolved to. */
type Planned =
  | { readonly kind: 'failed'; readonly id: ImageIdIn }
  | { readonly kind: 'digest'; readonly id: ImageIdIn; readonly digest: string }
  | { readonly kind: 'tag'; readonly id: ImageIdIn; readonly digest: string; readonly tag: string };

const echo = (id: ImageIdIn): ImageIdOut => ({
  ...(id.imageDigest !== undefined && { imageDigest: id.imageDigest }),
  ...(id.imageTag !== undefined && { imageTag: id.imageTag }),
});

/**
 * BatchDeleteImage: `ecr:BatchDeleteImage`, all in one transaction. By digest: the image and all
 * its tags. By tag (with or without a digest that must agree): the tag, and the image too when
 * that was its last tag. An image an index that stays still references is kept, with its tags, and
 * reported as `ImageReferencedByManifestList` naming the index; other problems are per-id failures
 * (`ImageNotFound`, `MissingDigestAndTag`, `InvalidImageDigest`, `InvalidImageTag`), never an
 * exception. `imageIds` lists what went: one entry per removed tag (digest-only for an untagged
 * image), each once.
 */
export async function batchDeleteImage(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['BatchDeleteImage'],
): Promise<EcrOutputs['BatchDeleteImage']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  checkListLength('imageIds', input.imageIds.length, ECR_LIMITS.imageIdsPerCall);
  await ctx.access.require(caller, 'ecr:BatchDeleteImage', ref);
  return ctx.deps.store.transaction((tx) => deleteImages(tx, ref, input.imageIds));
}

async function deleteImages(
  tx: MetadataTx,
  ref: RepositoryRef,
  ids: readonly ImageIdIn[],
): Promise<EcrOutputs['BatchDeleteImage']> {
  const images = new Map((await allImages(tx, ref)).map((i) => [i.digest, i]));
  // Failures by the position of their id, so that they are answered in the order asked.
  const failed = new Map<number, ImageFailureOut>();
  const fail = (at: number, id: ImageIdIn, f: { failureCode: string; failureReason: string }): void => {
    failed.set(at, { imageId: echo(id), ...f });
  };

  // 1. Resolve every id against the repository as it is.
  const plan: Planned[] = [];
  for (const [at, id] of ids.entries()) {
    const problem = imageIdProblem(id);
    if (problem !== undefined) {
      fail(
        at,
        id,
        problem === 'missing'
          ? imageFailures.missingDigestAndTag
          : problem === 'digest'
            ? imageFailures.invalidDigest
            : imageFailures.invalidTag,
      );
      plan.push({ kind: 'failed', id });
      continue;
    }
    if (id.imageTag !== undefined) {
      const t = await tx.tags.get(ref, id.imageTag);
      if (t === undefined || (id.imageDigest !== undefined && t.digest !== id.imageDigest)) {
        fail(at, id, imageFailures.notFound);
        plan.push({ kind: 'failed', id });
      } else plan.push({ kind: 'tag', id, digest: t.digest, tag: id.imageTag });
      continue;
    }
    const digest = id.imageDigest as string;
    if (!images.has(digest)) {
      fail(at, id, imageFailures.notFound);
      plan.push({ kind: 'failed', id });
    } else plan.push({ kind: 'digest', id, digest });
  }

  // 2. Images that go: asked by digest, or losing their last tag.
  const removedTags = new Map<string, Set<string>>();
  for (const p of plan) {
    if (p.kind !== 'tag') continue;
    const set = removedTags.get(p.digest) ?? new Set<string>();
    set.add(p.tag);
    removedTags.set(p.digest, set);
  }
  const going: string[] = [];
  for (const p of plan) {
    if (p.kind === 'digest') going.push(p.digest);
    if (p.kind === 'tag') {
      const tags = images.get(p.digest)?.tags ?? [];
      const removed = removedTags.get(p.digest) as Set<string>;
      if (tags.every((t) => removed.has(t))) going.push(p.digest);
    }
  }
  const result = await tx.images.delete(ref, going);
  const deleted = new Map(result.deleted.map((d) => [d.digest, d.tags]));
  const kept = new Set(result.referencedByIndex);

  // 3. Tags removed from images that stay.
  const untagged = new Set<string>();
  for (const p of plan) {
    if (p.kind !== 'tag' || deleted.has(p.digest) || kept.has(p.digest) || untagged.has(p.tag)) continue;
    await tx.tags.delete(ref, p.tag);
    untagged.add(p.tag);
  }

  // 4. The answer, in the order asked.
  const parents = kept.size > 0 ? await parentIndexes(tx, ref, images, kept) : new Map<string, string[]>();
  const imageIds: ImageIdOut[] = [];
  const emitted = new Set<string>();
  const emit = (imageDigest: string, imageTag?: string): void => {
    const key = `${imageDigest}\u0000${imageTag ?? ''}`;
    if (emitted.has(key)) return;
    emitted.add(key);
    imageIds.push(imageTag === undefined ? { imageDigest } : { imageDigest, imageTag });
  };
  for (const [at, p] of plan.entries()) {
    if (p.kind === 'failed') continue;
    if (kept.has(p.digest)) {
      fail(at, p.id, imageFailures.referencedByManifestList(parents.get(p.digest) ?? []));
      continue;
    }
    if (p.kind === 'tag') emit(p.digest, p.tag);
    else {
      const tags = deleted.get(p.digest) ?? [];
      if (tags.length === 0) emit(p.digest);
      for (const t of tags) emit(p.digest, t);
    }
  }
  const failures = [...failed.entries()].sort((x, y) => x[0] - y[0]).map(([, f]) => f);
  return { imageIds, failures };
}

/** For each kept digest, the indexes still in the repository that reference it. */
async function parentIndexes(
  tx: MetadataTx,
  ref: RepositoryRef,
  before: ReadonlyMap<string, ImageInfo>,
  kept: ReadonlySet<string>,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const digest of before.keys()) {
    const refs = await tx.images.references(ref, digest);
    if (refs === undefined) continue; // deleted by this batch
    for (const child of refs.children) {
      if (!kept.has(child)) continue;
      out.set(child, [...(out.get(child) ?? []), digest]);
    }
  }
  return out;
}
