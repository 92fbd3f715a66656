/**
 * The lifecycle policy operations of the ECR API: PutLifecyclePolicy, GetLifecyclePolicy,
 * DeleteLifecyclePolicy, StartLifecyclePolicyPreview and GetLifecyclePolicyPreview, each
 * authorized with its own `ecr:` action on the repository ARN.
 *
 * A preview is started by recording the policy text to preview (the one given, or the
 * repository's) and is evaluated when it is read, over the repository's images at that moment
 * with the same {@link planExpiry} a run uses: so the preview is always COMPLETE when read, and a
 * run at that moment deletes exactly the images it lists. StartLifecyclePolicyPreview answers
 * IN_PROGRESS, as ECR does; a client that waits (`aws ecr wait lifecycle-policy-preview-complete`)
 * sees COMPLETE on its first poll.
 */
import type { Caller } from '../../../auth/caller.js';
import { NotFound } from '../../../store/meta/errors.js';
import type { RepositoryRef } from '../../../store/meta/records.js';
import { repositoryNotFound } from '../access.js';
import { ecrErrors as E } from '../errors.js';
import type { EcrInputs, EcrOutputs, ImageIdIn, LifecyclePreviewResultOut } from '../present.js';
import type { EcrContext } from '../service.js';
import {
  checkListLength,
  checkTagStatus,
  compareKey,
  decodeToken,
  encodeToken,
  targetRef,
} from '../validate.js';
import {
  LIFECYCLE_POLICY_LENGTH,
  LifecyclePolicyError,
  parseLifecyclePolicy,
  type LifecyclePolicy,
} from './policy.js';
import { planExpiry } from './runner.js';

/** GetLifecyclePolicyPreview's page size bounds (botocore: maxResults 1–100). */
const PREVIEW_PAGE = { min: 1, max: 100, default: 100 } as const;

/** The model's length limits of `lifecyclePolicyText`, checked before authorization. */
function checkLength(text: string): void {
  if (text.length < LIFECYCLE_POLICY_LENGTH.min)
    throw E.invalidParameter(
      'lifecyclePolicyText',
      `Member must have length greater than or equal to ${LIFECYCLE_POLICY_LENGTH.min}`,
    );
  if (text.length > LIFECYCLE_POLICY_LENGTH.max)
    throw E.invalidParameter(
      'lifecyclePolicyText',
      `Member must have length less than or equal to ${LIFECYCLE_POLICY_LENGTH.max}`,
    );
}

/** Parses a policy text, turning a refusal into ECR's InvalidParameterException. */
function parse(text: string): LifecyclePolicy {
  try {
    return parseLifecyclePolicy(text);
  } catch (e) {
    if (e instanceof LifecyclePolicyError) throw E.invalidLifecyclePolicy(e.reason);
    throw e;
  }
}

/** Writes a repository patch, mapping a repository deleted in between to ECR's error. */
async function patch(
  ctx: EcrContext,
  ref: RepositoryRef,
  p: Parameters<EcrContext['deps']['store']['repositories']['update']>[3],
): Promise<void> {
  try {
    await ctx.deps.store.repositories.update(ref.accountId, ref.region, ref.name, p);
  } catch (e) {
    if (e instanceof NotFound) throw repositoryNotFound(ref);
    throw e;
  }
}

/** PutLifecyclePolicy: `ecr:PutLifecyclePolicy`; the text is checked against ECR's grammar. */
export async function putLifecyclePolicy(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['PutLifecyclePolicy'],
): Promise<EcrOutputs['PutLifecyclePolicy']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  checkLength(input.lifecyclePolicyText);
  await ctx.access.require(caller, 'ecr:PutLifecyclePolicy', ref);
  parse(input.lifecyclePolicyText);
  await patch(ctx, ref, { lifecyclePolicyText: input.lifecyclePolicyText });
  return {
    registryId: ref.accountId,
    repositoryName: ref.name,
    lifecyclePolicyText: input.lifecyclePolicyText,
  };
}

/** GetLifecyclePolicy: `ecr:GetLifecyclePolicy`; LifecyclePolicyNotFoundException when unset. */
export async function getLifecyclePolicy(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['GetLifecyclePolicy'],
): Promise<EcrOutputs['GetLifecyclePolicy']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  const repo = await ctx.access.require(caller, 'ecr:GetLifecyclePolicy', ref);
  if (repo.lifecyclePolicyText === undefined) throw E.lifecyclePolicyNotFound(ref.name, ref.accountId);
  return {
    registryId: ref.accountId,
    repositoryName: ref.name,
    lifecyclePolicyText: repo.lifecyclePolicyText,
    ...(repo.lifecycleEvaluatedAt !== undefined && { lastEvaluatedAt: repo.lifecycleEvaluatedAt }),
  };
}

/** DeleteLifecyclePolicy: `ecr:DeleteLifecyclePolicy`; answers the policy it removed. */
export async function deleteLifecyclePolicy(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['DeleteLifecyclePolicy'],
): Promise<EcrOutputs['DeleteLifecyclePolicy']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  await ctx.access.require(caller, 'ecr:DeleteLifecyclePolicy', ref);
  return ctx.deps.store.transaction(async (tx) => {
    const repo = await tx.repositories.get(ref.accountId, ref.region, ref.name);
    if (repo === undefined) throw repositoryNotFound(ref);
    if (repo.lifecyclePolicyText === undefined) throw E.lifecyclePolicyNotFound(ref.name, ref.accountId);
    await tx.repositories.update(ref.accountId, ref.region, ref.name, {
      lifecyclePolicyText: null,
      lifecycleEvaluatedAt: null,
    });
    return {
      registryId: ref.accountId,
      repositoryName: ref.name,
      lifecyclePolicyText: repo.lifecyclePolicyText,
      ...(repo.lifecycleEvaluatedAt !== undefined && { lastEvaluatedAt: repo.lifecycleEvaluatedAt }),
    };
  });
}

/**
 * StartLifecyclePolicyPreview: `ecr:StartLifecyclePolicyPreview`; previews the text given, else
 * the repository's policy (LifecyclePolicyNotFoundException when it has none).
 */
export async function startLifecyclePolicyPreview(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['StartLifecyclePolicyPreview'],
): Promise<EcrOutputs['StartLifecyclePolicyPreview']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  if (input.lifecyclePolicyText !== undefined) checkLength(input.lifecyclePolicyText);
  const repo = await ctx.access.require(caller, 'ecr:StartLifecyclePolicyPreview', ref);
  const text = input.lifecyclePolicyText ?? repo.lifecyclePolicyText;
  if (text === undefined) throw E.lifecyclePolicyNotFound(ref.name, ref.accountId);
  parse(text);
  await patch(ctx, ref, { lifecyclePreviewText: text, lifecyclePreviewStartedAt: ctx.now() });
  return {
    registryId: ref.accountId,
    repositoryName: ref.name,
    lifecyclePolicyText: text,
    status: 'IN_PROGRESS',
  };
}

/** Whether an image id names this result (by digest, by tag, or both). */
function names(id: ImageIdIn, r: LifecyclePreviewResultOut): boolean {
  if (id.imageDigest !== undefined && id.imageDigest !== r.imageDigest) return false;
  if (id.imageTag !== undefined && !(r.imageTags ?? []).includes(id.imageTag)) return false;
  return id.imageDigest !== undefined || id.imageTag !== undefined;
}

/**
 * GetLifecyclePolicyPreview: `ecr:GetLifecyclePolicyPreview`; the images the previewed policy
 * expires now, oldest first, filtered by `imageIds` or `filter.tagStatus`, paginated (1–100).
 * `summary.expiringImageTotalCount` counts them all, whatever the filter and page.
 */
export async function getLifecyclePolicyPreview(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['GetLifecyclePolicyPreview'],
): Promise<EcrOutputs['GetLifecyclePolicyPreview']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  const ids = input.imageIds;
  if (ids !== undefined) {
    checkListLength('imageIds', ids.length, 100);
    if (input.maxResults !== undefined) throw E.pagingWithIds('maxResults', 'imageIds');
    if (input.nextToken !== undefined) throw E.pagingWithIds('nextToken', 'imageIds');
  }
  const size = input.maxResults ?? PREVIEW_PAGE.default;
  if (size < PREVIEW_PAGE.min)
    throw E.invalidParameter('maxResults', `must have value greater than or equal to ${PREVIEW_PAGE.min}`);
  if (size > PREVIEW_PAGE.max)
    throw E.invalidParameter('maxResults', `must have value less than or equal to ${PREVIEW_PAGE.max}`);
  const tagStatus = checkTagStatus(input.filter?.tagStatus);
  const after = input.nextToken === undefined ? undefined : decodeToken(input.nextToken, 'lp', 2);
  const repo = await ctx.access.require(caller, 'ecr:GetLifecyclePolicyPreview', ref);
  const text = repo.lifecyclePreviewText;
  if (text === undefined) throw E.lifecyclePreviewNotFound(ref.name, ref.accountId);

  const policy = parse(text);
  const { expired } = await ctx.deps.store.transaction((tx) => planExpiry(tx, ref, policy, ctx.now()));
  const all: LifecyclePreviewResultOut[] = expired.map((e) => ({
    ...(e.tags.length > 0 && { imageTags: [...e.tags] }),
    imageDigest: e.digest,
    imagePushedAt: e.pushedAt,
    action: { type: 'EXPIRE' },
    appliedRulePriority: e.rulePriority,
  }));
  let results = all.filter((r) =>
    tagStatus === 'any'
      ? true
      : tagStatus === 'tagged'
        ? r.imageTags !== undefined
        : r.imageTags === undefined,
  );
  if (ids !== undefined) results = results.filter((r) => ids.some((id) => names(id, r)));
  const key = (r: LifecyclePreviewResultOut): string[] => [
    String(r.imagePushedAt.getTime()).padStart(16, '0'),
    r.imageDigest,
  ];
  const rest = after === undefined ? results : results.filter((r) => compareKey(key(r), after) > 0);
  const page = rest.slice(0, size);
  const last = page[page.length - 1];
  return {
    registryId: ref.accountId,
    repositoryName: ref.name,
    lifecyclePolicyText: text,
    status: 'COMPLETE',
    ...(rest.length > size && last !== undefined && { nextToken: encodeToken('lp', key(last)) }),
    previewResults: page,
    summary: { expiringImageTotalCount: all.length },
  };
}
