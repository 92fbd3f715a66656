/**
 * Repository creation templates: Create/Describe/Update/DeleteRepositoryCreationTemplate, and the
 * choice of the template that shapes a repository ECR creates on the registry owner's behalf
 * (replication now; pull-through cache and create-on-push later).
 *
 * A template's `prefix` names a namespace with an implied trailing `/` (`prod` covers `prod/…`,
 * not `production`); `ROOT` covers every repository that no other template of the same use
 * covers. The longest matching prefix wins. Templates live in the registry record of their
 * (account, region), written under its version so two concurrent edits cannot lose one another.
 *
 * Settings a template carries and a created repository takes: tag mutability (and its exclusion
 * filters), encryption, resource tags, repository policy, lifecycle policy. `customRoleArn` is
 * stored and answered but never assumed: crossdock creates repositories itself.
 */
import type { Caller } from '../../auth/caller.js';
import { PolicyError } from '../../iam/index.js';
import { Conflict } from '../../store/meta/errors.js';
import type {
  CreationTemplateUse,
  NewRepository,
  RepositoryCreationTemplate,
  RepositoryRef,
} from '../../store/meta/records.js';
import { ServiceError } from '../errors.js';
import { repositoryArn } from './access.js';
import { ECR_LIMITS, ecrErrors as E } from './errors.js';
import { LIFECYCLE_POLICY_LENGTH, LifecyclePolicyError, parseLifecyclePolicy } from './lifecycle/policy.js';
import { creationTemplateOut, type CreationTemplateIn, type EcrInputs, type EcrOutputs } from './present.js';
import type { EcrContext } from './service.js';
import {
  checkEncryption,
  checkListLength,
  checkMutability,
  checkPaging,
  checkTags,
  compareKey,
  decodeToken,
  encodeToken,
} from './validate.js';

/** `Prefix` (botocore `ecr/2015-09-21`): a repository namespace, optionally ending in `/`, or `ROOT`. */
const PREFIX = /^([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\/?|ROOT)$/;
/** `KmsKeyForRepositoryCreationTemplate`. */
const KMS_KEY = /^$|^arn:aws[a-z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-z0-9-]+$/;
const USES: readonly CreationTemplateUse[] = ['REPLICATION', 'PULL_THROUGH_CACHE', 'CREATE_ON_PUSH'];
const LIMITS = { prefixMax: 256, description: 256, customRoleArn: 2048, policy: 10_240 } as const;

/** A prefix compared without its implied trailing `/`. */
function keyOf(prefix: string): string {
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

function templateNotFound(prefix: string, registryId: string): ServiceError {
  return new ServiceError(
    'TemplateNotFoundException',
    `The repository creation template with prefix '${prefix}' does not exist in the registry with id '${registryId}'`,
  );
}

function templateExists(prefix: string, registryId: string): ServiceError {
  return new ServiceError(
    'TemplateAlreadyExistsException',
    `The repository creation template with prefix '${prefix}' already exists in the registry with id '${registryId}'`,
  );
}

function checkPrefix(prefix: string, member = 'prefix'): void {
  if (prefix.length < 1)
    throw E.invalidParameter(member, 'Member must have length greater than or equal to 1');
  if (prefix.length > LIMITS.prefixMax)
    throw E.invalidParameter(member, `Member must have length less than or equal to ${LIMITS.prefixMax}`);
  if (!PREFIX.test(prefix))
    throw E.invalidParameter(member, `Member must satisfy regular expression pattern: '${PREFIX.source}'`);
}

/** The template settings of a request, validated; `undefined` members were not sent. */
function checkSettings(ctx: EcrContext, input: CreationTemplateIn): Partial<RepositoryCreationTemplate> {
  const out: { -readonly [K in keyof RepositoryCreationTemplate]?: RepositoryCreationTemplate[K] } = {};
  if (input.description !== undefined) {
    if (input.description.length > LIMITS.description)
      throw E.invalidParameter(
        'description',
        `Member must have length less than or equal to ${LIMITS.description}`,
      );
    out.description = input.description;
  }
  if (input.encryptionConfiguration !== undefined) {
    const kmsKey = input.encryptionConfiguration.kmsKey;
    if (kmsKey !== undefined && !KMS_KEY.test(kmsKey))
      throw E.invalidParameter(
        'encryptionConfiguration.kmsKey',
        `Member must satisfy regular expression pattern: '${KMS_KEY.source}'`,
      );
    const { encryptionType } = input.encryptionConfiguration;
    out.encryption = checkEncryption({
      encryptionType,
      ...(kmsKey !== undefined && kmsKey !== '' && { kmsKey }),
    });
  }
  if (input.resourceTags !== undefined) {
    const tags = checkTags(input.resourceTags);
    if (tags.length > ECR_LIMITS.tagsPerRepository) throw E.tooManyTags();
    out.resourceTags = tags;
  }
  if (input.imageTagMutability !== undefined || input.imageTagMutabilityExclusionFilters !== undefined) {
    const { mutability, filters } = checkMutability(
      input.imageTagMutability,
      input.imageTagMutabilityExclusionFilters,
    );
    out.imageTagMutability = mutability;
    out.imageTagMutabilityExclusionFilters = filters;
  }
  if (input.repositoryPolicy !== undefined) {
    if (input.repositoryPolicy.length > LIMITS.policy)
      throw E.invalidParameter(
        'repositoryPolicy',
        `Member must have length less than or equal to ${LIMITS.policy}`,
      );
    if (input.repositoryPolicy !== '') {
      try {
        ctx.deps.cache.get(input.repositoryPolicy, 'repository');
      } catch (e) {
        if (e instanceof PolicyError)
          throw E.invalidParameter('repositoryPolicy', 'Invalid repository policy provided');
        throw e;
      }
      out.repositoryPolicy = input.repositoryPolicy;
    }
  }
  if (input.lifecyclePolicy !== undefined) {
    if (input.lifecyclePolicy.length > LIFECYCLE_POLICY_LENGTH.max)
      throw E.invalidParameter(
        'lifecyclePolicy',
        `Member must have length less than or equal to ${LIFECYCLE_POLICY_LENGTH.max}`,
      );
    if (input.lifecyclePolicy !== '') {
      try {
        parseLifecyclePolicy(input.lifecyclePolicy);
      } catch (e) {
        if (e instanceof LifecyclePolicyError)
          throw E.invalidParameter('lifecyclePolicy', `Invalid lifecycle policy provided: ${e.reason}`);
        throw e;
      }
      out.lifecyclePolicy = input.lifecyclePolicy;
    }
  }
  if (input.appliedFor !== undefined) {
    checkListLength('appliedFor', input.appliedFor.length, USES.length);
    for (const a of input.appliedFor) {
      if (!(USES as readonly string[]).includes(a))
        throw E.invalidParameter(
          'appliedFor',
          'Member must satisfy enum value set: [REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH]',
        );
    }
    out.appliedFor = [...new Set(input.appliedFor)] as CreationTemplateUse[];
  }
  if (input.customRoleArn !== undefined) {
    if (input.customRoleArn.length > LIMITS.customRoleArn)
      throw E.invalidParameter(
        'customRoleArn',
        `Member must have length less than or equal to ${LIMITS.customRoleArn}`,
      );
    if (input.customRoleArn !== '') out.customRoleArn = input.customRoleArn;
  }
  return out;
}

/** A custom role must be a role of the registry's own account. */
function checkCustomRole(arn: string | undefined, registryId: string): void {
  if (arn === undefined) return;
  if (!new RegExp(`^arn:aws:iam::${registryId}:role/.+`).test(arn))
    throw E.invalidParameter(
      'customRoleArn',
      `The role must be an IAM role of the registry's account '${registryId}'`,
    );
}

/** Reads, changes and writes a registry's templates under its version (retried once on a race). */
async function editTemplates<T>(
  ctx: EcrContext,
  caller: Caller,
  edit: (templates: RepositoryCreationTemplate[]) => { templates: RepositoryCreationTemplate[]; result: T },
): Promise<T> {
  const { id: accountId } = caller.account;
  const region = caller.request.region;
  for (let attempt = 0; ; attempt++) {
    const registry = await ctx.deps.store.registries.get(accountId, region);
    const { templates, result } = edit([...(registry?.creationTemplates ?? [])]);
    try {
      await ctx.deps.store.registries.put(
        accountId,
        region,
        { creationTemplates: templates, updatedAt: ctx.now() },
        { version: registry?.version ?? 0 },
      );
      return result;
    } catch (e) {
      if (e instanceof Conflict && attempt < 3) continue;
      throw e;
    }
  }
}

/** CreateRepositoryCreationTemplate: `ecr:CreateRepositoryCreationTemplate` on `*`. */
export async function createRepositoryCreationTemplate(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['CreateRepositoryCreationTemplate'],
): Promise<EcrOutputs['CreateRepositoryCreationTemplate']> {
  checkPrefix(input.prefix);
  const settings = checkSettings(ctx, input);
  await ctx.allowRegistryAction(caller, 'ecr:CreateRepositoryCreationTemplate');
  const registryId = caller.account.id;
  checkCustomRole(settings.customRoleArn, registryId);
  const now = ctx.now();
  const created: RepositoryCreationTemplate = {
    prefix: input.prefix,
    ...settings,
    encryption: settings.encryption ?? { encryptionType: 'AES256' },
    imageTagMutability: settings.imageTagMutability ?? 'MUTABLE',
    resourceTags: settings.resourceTags ?? [],
    appliedFor: settings.appliedFor ?? [],
    createdAt: now,
    updatedAt: now,
  };
  await editTemplates(ctx, caller, (templates) => {
    if (templates.some((t) => keyOf(t.prefix) === keyOf(input.prefix)))
      throw templateExists(input.prefix, registryId);
    const next = [...templates, created].sort((a, b) => compareKey([a.prefix], [b.prefix]));
    return { templates: next, result: undefined };
  });
  return { registryId, repositoryCreationTemplate: creationTemplateOut(created) };
}

/**
 * DescribeRepositoryCreationTemplates: `ecr:DescribeRepositoryCreationTemplates` on `*`; all
 * templates by prefix, or those of `prefixes` (a prefix without a template is left out), paged.
 */
export async function describeRepositoryCreationTemplates(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['DescribeRepositoryCreationTemplates'],
): Promise<EcrOutputs['DescribeRepositoryCreationTemplates']> {
  for (const p of input.prefixes ?? []) checkPrefix(p, 'prefixes');
  const size = checkPaging(input);
  const after = input.nextToken === undefined ? undefined : decodeToken(input.nextToken, 'rct', 1);
  await ctx.allowRegistryAction(caller, 'ecr:DescribeRepositoryCreationTemplates');
  const registry = await ctx.deps.store.registries.get(caller.account.id, caller.request.region);
  const wanted = input.prefixes === undefined ? undefined : new Set(input.prefixes.map(keyOf));
  const all = (registry?.creationTemplates ?? []).filter(
    (t) =>
      (wanted === undefined || wanted.has(keyOf(t.prefix))) &&
      (after === undefined || compareKey([t.prefix], after) > 0),
  );
  const page = all.slice(0, size);
  const last = page[page.length - 1];
  return {
    registryId: caller.account.id,
    repositoryCreationTemplates: page.map(creationTemplateOut),
    ...(all.length > size && last !== undefined && { nextToken: encodeToken('rct', [last.prefix]) }),
  };
}

/** UpdateRepositoryCreationTemplate: `ecr:UpdateRepositoryCreationTemplate` on `*`; members sent replace. */
export async function updateRepositoryCreationTemplate(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['UpdateRepositoryCreationTemplate'],
): Promise<EcrOutputs['UpdateRepositoryCreationTemplate']> {
  checkPrefix(input.prefix);
  const settings = checkSettings(ctx, input);
  await ctx.allowRegistryAction(caller, 'ecr:UpdateRepositoryCreationTemplate');
  const registryId = caller.account.id;
  checkCustomRole(settings.customRoleArn, registryId);
  const updated = await editTemplates(ctx, caller, (templates) => {
    const i = templates.findIndex((t) => keyOf(t.prefix) === keyOf(input.prefix));
    const current = templates[i];
    if (current === undefined) throw templateNotFound(input.prefix, registryId);
    const next: RepositoryCreationTemplate = { ...current, ...settings, updatedAt: ctx.now() };
    templates[i] = next;
    return { templates, result: next };
  });
  return { registryId, repositoryCreationTemplate: creationTemplateOut(updated) };
}

/** DeleteRepositoryCreationTemplate: `ecr:DeleteRepositoryCreationTemplate` on `*`; answers the template removed. */
export async function deleteRepositoryCreationTemplate(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['DeleteRepositoryCreationTemplate'],
): Promise<EcrOutputs['DeleteRepositoryCreationTemplate']> {
  checkPrefix(input.prefix);
  await ctx.allowRegistryAction(caller, 'ecr:DeleteRepositoryCreationTemplate');
  const registryId = caller.account.id;
  const removed = await editTemplates(ctx, caller, (templates) => {
    const gone = templates.find((t) => keyOf(t.prefix) === keyOf(input.prefix));
    if (gone === undefined) throw templateNotFound(input.prefix, registryId);
    return { templates: templates.filter((t) => t !== gone), result: gone };
  });
  return { registryId, repositoryCreationTemplate: creationTemplateOut(removed) };
}

/**
 * The template that shapes a repository created for `use`: the longest prefix whose namespace
 * holds the name, else `ROOT`, among the templates applied for that use; `undefined` when none.
 */
export function templateFor(
  templates: readonly RepositoryCreationTemplate[],
  name: string,
  use: CreationTemplateUse,
): RepositoryCreationTemplate | undefined {
  let best: RepositoryCreationTemplate | undefined;
  let root: RepositoryCreationTemplate | undefined;
  for (const t of templates) {
    if (!t.appliedFor.includes(use)) continue;
    if (t.prefix === 'ROOT') {
      root = t;
      continue;
    }
    const namespace = `${keyOf(t.prefix)}/`;
    if (
      name.startsWith(namespace) &&
      (best === undefined || keyOf(best.prefix).length < namespace.length - 1)
    )
      best = t;
  }
  return best ?? root;
}

/** A new repository as ECR creates it for `ref`: the template's settings, else AWS's defaults. */
export function repositoryFromTemplate(
  ref: RepositoryRef,
  template: RepositoryCreationTemplate | undefined,
  createdAt: Date,
): NewRepository {
  return {
    ...ref,
    arn: repositoryArn(ref),
    createdAt,
    imageTagMutability: template?.imageTagMutability ?? 'MUTABLE',
    imageTagMutabilityExclusionFilters: template?.imageTagMutabilityExclusionFilters ?? [],
    scanOnPush: false,
    encryption: template?.encryption ?? { encryptionType: 'AES256' },
    tags: template?.resourceTags ?? [],
    ...(template?.repositoryPolicy !== undefined && { policyText: template.repositoryPolicy }),
    ...(template?.lifecyclePolicy !== undefined && { lifecyclePolicyText: template.lifecyclePolicy }),
  };
}
