/**
 * Repositories: CreateRepository, DescribeRepositories, DeleteRepository, PutImageTagMutability.
 */
import type { Caller } from '../../auth/caller.js';
import { denialMessage } from '../../iam/index.js';
import { isUploadId } from '../../store/blobs/BlobStore.js';
import { listAll } from '../authz.js';
import { AccessDeniedError, ServiceError } from '../errors.js';
import { AlreadyExists, Conflict, NotFound } from '../../store/meta/errors.js';
import type { Repository, RepositoryRef } from '../../store/meta/records.js';
import { repositoryArn, repositoryNotFound } from './access.js';
import { ECR_LIMITS, ecrErrors as E } from './errors.js';
import { repositoryOut, type EcrInputs, type EcrOutputs, type RepositoryOut } from './present.js';
import type { EcrContext } from './service.js';
import {
  checkEncryption,
  checkListLength,
  checkMutability,
  checkPaging,
  checkRegistryId,
  checkRepositoryName,
  checkTags,
  compareKey,
  decodeToken,
  encodeToken,
  requestTagContext,
  targetRef,
} from './validate.js';

const DESCRIBE = 'ecr:DescribeRepositories';

/**
 * CreateRepository: validates name, tags, mutability and encryption; authorizes
 * `ecr:CreateRepository` on the ARN to be created with `aws:RequestTag/*` and `aws:TagKeys`;
 * creates it with AWS's defaults (MUTABLE, AES256, scanOnPush false).
 *
 * A repository can only be created in the caller's own registry: a `registryId` of another account
 * is refused with AccessDenied even when that registry's policy would allow the action (registry
 * policies grant ECR's own replication and pull-through cache, not API calls of other accounts).
 */
export async function createRepository(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['CreateRepository'],
): Promise<EcrOutputs['CreateRepository']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  const tags = checkTags(input.tags ?? []);
  if (tags.length > ECR_LIMITS.tagsPerRepository) throw E.tooManyTags();
  const { mutability, filters } = checkMutability(
    input.imageTagMutability,
    input.imageTagMutabilityExclusionFilters,
  );
  const encryption = checkEncryption(input.encryptionConfiguration);

  const action = 'ecr:CreateRepository';
  const { repository, result } = await ctx.access.authorize(caller, action, ref, {
    context: requestTagContext(tags),
    allowMissing: true,
  });
  if (ref.accountId !== caller.account.id) {
    const arn = repositoryArn(ref);
    const message = denialMessage({ principal: caller.principal, action, resource: arn }, 'resource', false);
    throw new AccessDeniedError(
      { ...result, decision: 'ImplicitDeny', denial: { by: 'resource', explicit: false }, message },
      message,
    );
  }
  if (repository !== undefined) throw E.repositoryExists(ref.name, ref.accountId);
  try {
    const created = await ctx.deps.store.repositories.create({
      ...ref,
      arn: repositoryArn(ref),
      createdAt: ctx.now(),
      imageTagMutability: mutability,
      imageTagMutabilityExclusionFilters: filters,
      scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false,
      encryption,
      tags,
    });
    return { repository: repositoryOut(created, ctx.deps.addressing) };
  } catch (e) {
    if (e instanceof AlreadyExists) throw E.repositoryExists(ref.name, ref.accountId);
    throw e;
  }
}

/**
 * DescribeRepositories.
 *
 * With `repositoryNames`: each name is authorized on its own ARN (AccessDenied first, then
 * RepositoryNotFoundException for a missing one, failing the whole call), answered in the order
 * asked.
 *
 * Without (the listing; how AWS decides it is unconfirmed, so this is crossdock's rule, which
 * `crossdock explain` reports the same way): the answer holds exactly the repositories of the
 * registry that the caller may `ecr:DescribeRepositories`, each decided by the one door on its own
 * ARN with its tags, repository policy and the registry policy — so a tag condition or a
 * repository-policy grant shows exactly the repositories it covers, and an explicit Deny on one
 * repository hides it. When the caller may describe none of them, the listing as a whole is
 * decided on `arn:aws:ecr:<region>:<registry>:repository/*`: a caller with no grant there gets
 * AccessDenied with AWS's sentence (as a user without ECR permissions does on AWS, even for an
 * empty registry), one that is allowed gets an empty list. Pages are cut after the caller's
 * visible repositories, in name order; a token names the last repository of its page.
 */
export async function describeRepositories(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['DescribeRepositories'],
): Promise<EcrOutputs['DescribeRepositories']> {
  if (input.registryId !== undefined) checkRegistryId(input.registryId);
  const names = input.repositoryNames;
  if (names !== undefined) {
    checkListLength('repositoryNames', names.length, ECR_LIMITS.repositoryNamesPerCall);
    for (const n of names) checkRepositoryName(n);
  }
  const size = checkPaging(input, { member: 'repositoryNames', given: names !== undefined });
  const after = input.nextToken === undefined ? undefined : decodeToken(input.nextToken, 'dr', 1);
  const registry = { accountId: input.registryId ?? caller.account.id, region: caller.request.region };
  const out = (r: Repository): RepositoryOut => repositoryOut(r, ctx.deps.addressing);

  if (names !== undefined) {
    const repositories: RepositoryOut[] = [];
    for (const name of [...new Set(names)]) {
      repositories.push(out(await ctx.access.require(caller, DESCRIBE, { ...registry, name })));
    }
    return { repositories };
  }

  const all = await listAll((marker) =>
    ctx.deps.store.repositories.list(registry.accountId, registry.region, { marker }),
  );
  const visible: Repository[] = [];
  let more = false;
  for (const r of all) {
    if (after !== undefined && compareKey([r.name], after) <= 0) continue;
    if (!(await mayDescribe(ctx, caller, r))) continue;
    if (visible.length === size) {
      more = true;
      break;
    }
    visible.push(r);
  }
  if (visible.length === 0 && after === undefined) {
    // No repository is visible: decide the listing on `repository/*` (throws AccessDenied).
    await ctx.access.authorize(caller, DESCRIBE, { ...registry, name: '*' }, { allowMissing: true });
  }
  const last = visible[visible.length - 1];
  return {
    repositories: visible.map(out),
    ...(more && last !== undefined && { nextToken: encodeToken('dr', [last.name]) }),
  };
}

async function mayDescribe(ctx: EcrContext, caller: Caller, r: RepositoryRef): Promise<boolean> {
  try {
    await ctx.access.authorize(caller, DESCRIBE, { accountId: r.accountId, region: r.region, name: r.name });
    return true;
  } catch (e) {
    // Denied, or deleted since the listing was read: either way not shown.
    if (e instanceof AccessDeniedError) return false;
    if (e instanceof ServiceError && e.code === 'RepositoryNotFoundException') return false;
    throw e;
  }
}

/**
 * DeleteRepository: `ecr:DeleteRepository`; a repository with images needs `force` (which deletes
 * its images and tags with it), else RepositoryNotEmptyException.
 */
export async function deleteRepository(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['DeleteRepository'],
): Promise<EcrOutputs['DeleteRepository']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  await ctx.access.require(caller, 'ecr:DeleteRepository', ref);
  // Open upload sessions die with the repository: the store drops their records with it, and
  // their bytes are dropped here (a session started meanwhile is left to the abandoned-upload sweep).
  const open = await listAll((marker) =>
    ctx.deps.store.uploads.list({
      repository: ref,
      states: ['IN_PROGRESS'],
      ...(marker !== undefined && { marker }),
    }),
  );
  try {
    const deleted = await ctx.deps.store.repositories.delete(ref.accountId, ref.region, ref.name, {
      force: input.force === true,
    });
    for (const u of open) {
      if (isUploadId(u.id)) await ctx.deps.blobs.uploads.cancel(u.id).catch(() => undefined);
    }
    return { repository: repositoryOut(deleted, ctx.deps.addressing) };
  } catch (e) {
    if (e instanceof Conflict && e.reason === 'HasImages')
      throw E.repositoryNotEmpty(ref.name, ref.accountId);
    if (e instanceof NotFound) throw repositoryNotFound(ref);
    throw e;
  }
}

/** PutImageTagMutability: `ecr:PutImageTagMutability`; applies to later pushes. */
export async function putImageTagMutability(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['PutImageTagMutability'],
): Promise<EcrOutputs['PutImageTagMutability']> {
  const ref = targetRef(caller, input.repositoryName, input.registryId);
  const { mutability, filters } = checkMutability(
    input.imageTagMutability,
    input.imageTagMutabilityExclusionFilters,
  );
  await ctx.access.require(caller, 'ecr:PutImageTagMutability', ref);
  try {
    const r = await ctx.deps.store.repositories.update(ref.accountId, ref.region, ref.name, {
      imageTagMutability: mutability,
      imageTagMutabilityExclusionFilters: filters,
    });
    return {
      registryId: r.accountId,
      repositoryName: r.name,
      imageTagMutability: r.imageTagMutability,
      ...(r.imageTagMutabilityExclusionFilters.length > 0 && {
        imageTagMutabilityExclusionFilters: r.imageTagMutabilityExclusionFilters.map((f) => ({ ...f })),
      }),
    };
  } catch (e) {
    if (e instanceof NotFound) throw repositoryNotFound(ref);
    throw e;
  }
}
