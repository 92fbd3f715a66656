import type { Caller } from '../../auth/caller.js';
import { RepositoryAccess } from './access.js';
import type { EcrDeps } from './deps.js';
import { getAuthorizationToken } from './auth.js';
import {
  deleteLifecyclePolicy,
  getLifecyclePolicy,
  getLifecyclePolicyPreview,
  putLifecyclePolicy,
  startLifecyclePolicyPreview,
} from './lifecycle/operations.js';
import { batchDeleteImage, describeImages, listImages } from './listing.js';
import {
  deleteRegistryPolicy,
  deleteRepositoryPolicy,
  describeRegistry,
  getRegistryPolicy,
  getRepositoryPolicy,
  putRegistryPolicy,
  setRepositoryPolicy,
} from './policies.js';
import type { EcrInputs, EcrOutputs } from './present.js';
import {
  createRepository,
  deleteRepository,
  describeRepositories,
  putImageTagMutability,
} from './repositories.js';
import { listTagsForResource, tagResource, untagResource } from './tags.js';
import {
  createPullThroughCacheRule,
  deletePullThroughCacheRule,
  describePullThroughCacheRules,
  updatePullThroughCacheRule,
  validatePullThroughCacheRule,
} from './pullThrough.js';
import { describeImageReplicationStatus, putReplicationConfiguration } from './replication.js';
import {
  createRepositoryCreationTemplate,
  deleteRepositoryCreationTemplate,
  describeRepositoryCreationTemplates,
  updateRepositoryCreationTemplate,
} from './templates.js';

/**
 * What the operation modules share: the dependencies, the one way to authorize a repository
 * action, and the clock. Registry-level actions (no resource type) go through
 * {@link EcrContext.allowRegistryAction}.
 */
export class EcrContext {
  /** The one door for repository actions (ARN, owning account, tags, repository + registry policy). */
  readonly access: RepositoryAccess;

  constructor(readonly deps: EcrDeps) {
    this.access = new RepositoryAccess(deps);
  }

  /** The injected clock's time. */
  now(): Date {
    return new Date(this.deps.clock.now());
  }

  /**
   * Authorizes an action that has no resource type (`ecr:GetAuthorizationToken`, the registry
   * policy and DescribeRegistry actions): `Resource: "*"` in the caller's own account, so only
   * the caller's identity-based policies can allow it.
   */
  async allowRegistryAction(caller: Caller, action: string): Promise<void> {
    await this.deps.authz.authorize({ caller, action, resource: '*' });
  }
}

/**
 * Amazon ECR's control plane for one crossdock server: repositories, repository and registry
 * policies, tags, registry login tokens, and the listing and deletion of images (the push and pull
 * data path lives beside it in `images.ts`/`layers.ts`). Every operation follows one shape:
 * validate (ECR's model constraints, InvalidParameterException) → authorize (the `ecr:` action
 * through {@link RepositoryAccess} on the repository ARN, or on `*` for registry-level actions)
 * → act on the store → answer in AWS's member names and order. The registry of a call is
 * `(registryId ?? caller's account, region of the SigV4 scope)`.
 */
export class EcrService {
  private readonly ctx: EcrContext;

  constructor(deps: EcrDeps) {
    this.ctx = new EcrContext(deps);
  }

  /** CreateRepository. */
  createRepository(c: Caller, i: EcrInputs['CreateRepository']): Promise<EcrOutputs['CreateRepository']> {
    return createRepository(this.ctx, c, i);
  }

  /** DescribeRepositories. */
  describeRepositories(
    c: Caller,
    i: EcrInputs['DescribeRepositories'],
  ): Promise<EcrOutputs['DescribeRepositories']> {
    return describeRepositories(this.ctx, c, i);
  }

  /** DeleteRepository. */
  deleteRepository(c: Caller, i: EcrInputs['DeleteRepository']): Promise<EcrOutputs['DeleteRepository']> {
    return deleteRepository(this.ctx, c, i);
  }

  /** PutImageTagMutability. */
  putImageTagMutability(
    c: Caller,
    i: EcrInputs['PutImageTagMutability'],
  ): Promise<EcrOutputs['PutImageTagMutability']> {
    return putImageTagMutability(this.ctx, c, i);
  }

  /** SetRepositoryPolicy. */
  setRepositoryPolicy(
    c: Caller,
    i: EcrInputs['SetRepositoryPolicy'],
  ): Promise<EcrOutputs['SetRepositoryPolicy']> {
    return setRepositoryPolicy(this.ctx, c, i);
  }

  /** GetRepositoryPolicy. */
  getRepositoryPolicy(
    c: Caller,
    i: EcrInputs['GetRepositoryPolicy'],
  ): Promise<EcrOutputs['GetRepositoryPolicy']> {
    return getRepositoryPolicy(this.ctx, c, i);
  }

  /** DeleteRepositoryPolicy. */
  deleteRepositoryPolicy(
    c: Caller,
    i: EcrInputs['DeleteRepositoryPolicy'],
  ): Promise<EcrOutputs['DeleteRepositoryPolicy']> {
    return deleteRepositoryPolicy(this.ctx, c, i);
  }

  /** PutRegistryPolicy. */
  putRegistryPolicy(c: Caller, i: EcrInputs['PutRegistryPolicy']): Promise<EcrOutputs['PutRegistryPolicy']> {
    return putRegistryPolicy(this.ctx, c, i);
  }

  /** GetRegistryPolicy. */
  getRegistryPolicy(
    c: Caller,
    _i: EcrInputs['GetRegistryPolicy'] = {},
  ): Promise<EcrOutputs['GetRegistryPolicy']> {
    return getRegistryPolicy(this.ctx, c);
  }

  /** DeleteRegistryPolicy. */
  deleteRegistryPolicy(
    c: Caller,
    _i: EcrInputs['DeleteRegistryPolicy'] = {},
  ): Promise<EcrOutputs['DeleteRegistryPolicy']> {
    return deleteRegistryPolicy(this.ctx, c);
  }

  /** DescribeRegistry. */
  describeRegistry(
    c: Caller,
    _i: EcrInputs['DescribeRegistry'] = {},
  ): Promise<EcrOutputs['DescribeRegistry']> {
    return describeRegistry(this.ctx, c);
  }

  /** TagResource. */
  tagResource(c: Caller, i: EcrInputs['TagResource']): Promise<EcrOutputs['TagResource']> {
    return tagResource(this.ctx, c, i);
  }

  /** UntagResource. */
  untagResource(c: Caller, i: EcrInputs['UntagResource']): Promise<EcrOutputs['UntagResource']> {
    return untagResource(this.ctx, c, i);
  }

  /** ListTagsForResource. */
  listTagsForResource(
    c: Caller,
    i: EcrInputs['ListTagsForResource'],
  ): Promise<EcrOutputs['ListTagsForResource']> {
    return listTagsForResource(this.ctx, c, i);
  }

  /** GetAuthorizationToken. */
  getAuthorizationToken(
    c: Caller,
    i: EcrInputs['GetAuthorizationToken'] = {},
  ): Promise<EcrOutputs['GetAuthorizationToken']> {
    return getAuthorizationToken(this.ctx, c, i);
  }

  /** ListImages. */
  listImages(c: Caller, i: EcrInputs['ListImages']): Promise<EcrOutputs['ListImages']> {
    return listImages(this.ctx, c, i);
  }

  /** DescribeImages. */
  describeImages(c: Caller, i: EcrInputs['DescribeImages']): Promise<EcrOutputs['DescribeImages']> {
    return describeImages(this.ctx, c, i);
  }

  /** BatchDeleteImage. */
  batchDeleteImage(c: Caller, i: EcrInputs['BatchDeleteImage']): Promise<EcrOutputs['BatchDeleteImage']> {
    return batchDeleteImage(this.ctx, c, i);
  }

  /** PutLifecyclePolicy. */
  putLifecyclePolicy(
    c: Caller,
    i: EcrInputs['PutLifecyclePolicy'],
  ): Promise<EcrOutputs['PutLifecyclePolicy']> {
    return putLifecyclePolicy(this.ctx, c, i);
  }

  /** GetLifecyclePolicy. */
  getLifecyclePolicy(
    c: Caller,
    i: EcrInputs['GetLifecyclePolicy'],
  ): Promise<EcrOutputs['GetLifecyclePolicy']> {
    return getLifecyclePolicy(this.ctx, c, i);
  }

  /** DeleteLifecyclePolicy. */
  deleteLifecyclePolicy(
    c: Caller,
    i: EcrInputs['DeleteLifecyclePolicy'],
  ): Promise<EcrOutputs['DeleteLifecyclePolicy']> {
    return deleteLifecyclePolicy(this.ctx, c, i);
  }

  /** StartLifecyclePolicyPreview. */
  startLifecyclePolicyPreview(
    c: Caller,
    i: EcrInputs['StartLifecyclePolicyPreview'],
  ): Promise<EcrOutputs['StartLifecyclePolicyPreview']> {
    return startLifecyclePolicyPreview(this.ctx, c, i);
  }

  /** GetLifecyclePolicyPreview. */
  getLifecyclePolicyPreview(
    c: Caller,
    i: EcrInputs['GetLifecyclePolicyPreview'],
  ): Promise<EcrOutputs['GetLifecyclePolicyPreview']> {
    return getLifecyclePolicyPreview(this.ctx, c, i);
  }

  /** PutReplicationConfiguration. */
  putReplicationConfiguration(
    c: Caller,
    i: EcrInputs['PutReplicationConfiguration'],
  ): Promise<EcrOutputs['PutReplicationConfiguration']> {
    return putReplicationConfiguration(this.ctx, c, i);
  }

  /** DescribeImageReplicationStatus. */
  describeImageReplicationStatus(
    c: Caller,
    i: EcrInputs['DescribeImageReplicationStatus'],
  ): Promise<EcrOutputs['DescribeImageReplicationStatus']> {
    return describeImageReplicationStatus(this.ctx, c, i);
  }

  /** CreateRepositoryCreationTemplate. */
  createRepositoryCreationTemplate(
    c: Caller,
    i: EcrInputs['CreateRepositoryCreationTemplate'],
  ): Promise<EcrOutputs['CreateRepositoryCreationTemplate']> {
    return createRepositoryCreationTemplate(this.ctx, c, i);
  }

  /** DescribeRepositoryCreationTemplates. */
  describeRepositoryCreationTemplates(
    c: Caller,
    i: EcrInputs['DescribeRepositoryCreationTemplates'] = {},
  ): Promise<EcrOutputs['DescribeRepositoryCreationTemplates']> {
    return describeRepositoryCreationTemplates(this.ctx, c, i);
  }

  /** UpdateRepositoryCreationTemplate. */
  updateRepositoryCreationTemplate(
    c: Caller,
    i: EcrInputs['UpdateRepositoryCreationTemplate'],
  ): Promise<EcrOutputs['UpdateRepositoryCreationTemplate']> {
    return updateRepositoryCreationTemplate(this.ctx, c, i);
  }

  /** CreatePullThroughCacheRule. */
  createPullThroughCacheRule(
    c: Caller,
    i: EcrInputs['CreatePullThroughCacheRule'],
  ): Promise<EcrOutputs['CreatePullThroughCacheRule']> {
    return createPullThroughCacheRule(this.ctx, c, i);
  }

  /** DescribePullThroughCacheRules. */
  describePullThroughCacheRules(
    c: Caller,
    i: EcrInputs['DescribePullThroughCacheRules'],
  ): Promise<EcrOutputs['DescribePullThroughCacheRules']> {
    return describePullThroughCacheRules(this.ctx, c, i);
  }

  /** UpdatePullThroughCacheRule. */
  updatePullThroughCacheRule(
    c: Caller,
    i: EcrInputs['UpdatePullThroughCacheRule'],
  ): Promise<EcrOutputs['UpdatePullThroughCacheRule']> {
    return updatePullThroughCacheRule(this.ctx, c, i);
  }

  /** DeletePullThroughCacheRule. */
  deletePullThroughCacheRule(
    c: Caller,
    i: EcrInputs['DeletePullThroughCacheRule'],
  ): Promise<EcrOutputs['DeletePullThroughCacheRule']> {
    return deletePullThroughCacheRule(this.ctx, c, i);
  }

  /** ValidatePullThroughCacheRule. */
  validatePullThroughCacheRule(
    c: Caller,
    i: EcrInputs['ValidatePullThroughCacheRule'],
  ): Promise<EcrOutputs['ValidatePullThroughCacheRule']> {
    return validatePullThroughCacheRule(this.ctx, c, i);
  }

  /** DeleteRepositoryCreationTemplate. */
  deleteRepositoryCreationTemplate(
    c: Caller,
    i: EcrInputs['DeleteRepositoryCreationTemplate'],
  ): Promise<EcrOutputs['DeleteRepositoryCreationTemplate']> {
    return deleteRepositoryCreationTemplate(this.ctx, c, i);
  }
}
