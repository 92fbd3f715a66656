/**
 * Repository tags: TagResource, UntagResource, ListTagsForResource. Tags take effect at once in
 * every later decision (`aws:ResourceTag/*`, `ecr:ResourceTag/*`), which seed 001 relies on.
 */
import type { Caller } from '../../auth/caller.js';
import { Conflict, NotFound } from '../../store/meta/errors.js';
import type { Repository, RepositoryRef, Tag } from '../../store/meta/records.js';
import { repositoryNotFound } from './access.js';
import { ECR_LIMITS, ecrErrors as E } from './errors.js';
import { tagsOut, type EcrInputs, type EcrOutputs } from './present.js';
import type { EcrContext } from './service.js';
import { checkTagKeys, checkTags, RE_REPO, requestTagContext } from './validate.js';
import { isPublicRegion, PUBLIC_REGION } from './public/partition.js';

const REPOSITORY_ARN = /^arn:aws:ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/;
const PUBLIC_REPOSITORY_ARN = /^arn:aws:ecr-public::(\d{12}):repository\/(.+)$/;

/**
 * The repository a `resourceArn` names. It must be a repository ARN of the call's region (the
 * SigV4 scope's): ECR's API in one region knows only that region's registries. The account may be
 * another one (its repository policy then decides).
 */
export function parseRepositoryArn(caller: Caller, arn: string): RepositoryRef {
  if (isPublicRegion(caller.request.region)) {
    // ECR Public's API knows only public repositories, whose ARNs have no region.
    const p = PUBLIC_REPOSITORY_ARN.exec(arn);
    if (p === null || p[2]!.length > ECR_LIMITS.publicRepositoryNameMax || !RE_REPO.test(p[2]!))
      throw E.invalidArn();
    return { accountId: p[1]!, region: PUBLIC_REGION, name: p[2]! };
  }
  const m = REPOSITORY_ARN.exec(arn);
  if (m === null) throw E.invalidArn();
  const [, region, accountId, name] = m as unknown as [string, string, string, string];
  if (region !== caller.request.region || name.length > ECR_LIMITS.repositoryNameMax || !RE_REPO.test(name))
    throw E.invalidArn();
  return { accountId, region, name };
}

const ATTEMPTS = 5;

/**
 * Authorizes, computes the new tags from the repository as read, and writes them only if the
 * repository did not change meanwhile (its version); a concurrent change starts over, decision
 * included, since the decision may depend on the tags.
 */
async function retagging(
  ctx: EcrContext,
  ref: RepositoryRef,
  authorize: () => Promise<Repository>,
  next: (current: readonly Tag[]) => Tag[],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const repo = await authorize();
    const tags = next(repo.tags);
    try {
      await ctx.deps.store.repositories.update(
        ref.accountId,
        ref.region,
        ref.name,
        { tags },
        {
          version: repo.version,
        },
      );
      return;
    } catch (e) {
      if (e instanceof NotFound) throw repositoryNotFound(ref);
      if (e instanceof Conflict && e.reason === 'VersionMismatch' && attempt < ATTEMPTS) continue;
      throw e;
    }
  }
}

/**
 * TagResource: `ecr:TagResource` with `aws:RequestTag/*` and `aws:TagKeys`; a key already present
 * gets the new value (keys are case-sensitive), new keys are appended; more than 50 tags after the
 * merge is TooManyTagsException.
 */
export async function tagResource(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['TagResource'],
): Promise<EcrOutputs['TagResource']> {
  const ref = parseRepositoryArn(caller, input.resourceArn);
  const incoming = checkTags(input.tags);
  await retagging(
    ctx,
    ref,
    () => ctx.access.require(caller, 'ecr:TagResource', ref, { context: requestTagContext(incoming) }),
    (current) => {
      const merged = current.map((t) => ({ ...t }));
      for (const t of incoming) {
        const i = merged.findIndex((m) => m.key === t.key);
        if (i >= 0) merged[i] = t;
        else merged.push(t);
      }
      if (merged.length > ECR_LIMITS.tagsPerRepository) throw E.tooManyTags();
      return merged;
    },
  );
  return {};
}

/** UntagResource: `ecr:UntagResource` with `aws:TagKeys`; keys that are not there are ignored. */
export async function untagResource(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['UntagResource'],
): Promise<EcrOutputs['UntagResource']> {
  const ref = parseRepositoryArn(caller, input.resourceArn);
  checkTagKeys(input.tagKeys);
  const drop = new Set(input.tagKeys);
  await retagging(
    ctx,
    ref,
    () =>
      ctx.access.require(caller, 'ecr:UntagResource', ref, {
        context: input.tagKeys.length > 0 ? { 'aws:TagKeys': [...input.tagKeys] } : {},
      }),
    (current) => current.filter((t) => !drop.has(t.key)),
  );
  return {};
}

/** ListTagsForResource: `ecr:ListTagsForResource`; the tags in the order they were set. */
export async function listTagsForResource(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['ListTagsForResource'],
): Promise<EcrOutputs['ListTagsForResource']> {
  const ref = parseRepositoryArn(caller, input.resourceArn);
  const repo = await ctx.access.require(caller, 'ecr:ListTagsForResource', ref);
  return { tags: tagsOut(repo.tags) };
}
