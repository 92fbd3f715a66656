/**
 * Inputs and outputs of the ECR operations in AWS's own member names (`repositoryName`,
 * `imageTagMutability`, tags as `{Key, Value}`), so that the api adapter hands decoded requests
 * straight in and encodes answers straight out, and the presenters that build the outputs from
 * store records. Output interfaces list members in the order of the ECR API model
 * (`@aws-sdk/client-ecr` 3.1169 schemas, botocore `ecr/2015-09-21`), and every presenter builds
 * its object in that order, which is the order the awsJson encoder writes them.
 */
import type { PullThroughInputs, PullThroughOutputs } from './pullThrough.js';
import type {
  ImageInfo,
  ImageTagMutabilityExclusionFilter,
  Registry,
  ReplicationConfiguration,
  Repository,
  RepositoryCreationTemplate,
  Tag,
} from '../../store/meta/records.js';
import { repositoryUri, type RegistryAddressing } from './addressing.js';

/** A tag as ECR's API spells it (capitalised, unlike every other ECR member). */
export interface TagIn {
  readonly Key: string;
  readonly Value: string;
}

/** An `ImageIdentifier`: a tag, a digest, or both. */
export interface ImageIdIn {
  readonly imageDigest?: string;
  readonly imageTag?: string;
}

/** An `ImageTagMutabilityExclusionFilter` as sent (the type is checked by the service). */
export interface ExclusionFilterIn {
  readonly filterType: string;
  readonly filter: string;
}

/** `ListImagesFilter` / `DescribeImagesFilter`. */
export interface ImageFilterIn {
  readonly tagStatus?: string;
  readonly imageStatus?: string;
}

/** nextToken/maxResults of ECR list operations. */
export interface PagingIn {
  readonly nextToken?: string;
  readonly maxResults?: number;
}

/** Inputs of the operations EcrService serves, member names as in the ECR API. */
export interface EcrInputs extends PullThroughInputs {
  CreateRepository: {
    repositoryName: string;
    registryId?: string;
    tags?: TagIn[];
    imageTagMutability?: string;
    imageTagMutabilityExclusionFilters?: ExclusionFilterIn[];
    imageScanningConfiguration?: { scanOnPush?: boolean };
    encryptionConfiguration?: { encryptionType: string; kmsKey?: string };
  };
  DescribeRepositories: PagingIn & { registryId?: string; repositoryNames?: string[] };
  DeleteRepository: { repositoryName: string; registryId?: string; force?: boolean };
  SetRepositoryPolicy: { repositoryName: string; policyText: string; registryId?: string; force?: boolean };
  GetRepositoryPolicy: { repositoryName: string; registryId?: string };
  DeleteRepositoryPolicy: { repositoryName: string; registryId?: string };
  PutRegistryPolicy: { policyText: string };
  GetRegistryPolicy: Record<string, never>;
  DeleteRegistryPolicy: Record<string, never>;
  DescribeRegistry: Record<string, never>;
  TagResource: { resourceArn: string; tags: TagIn[] };
  UntagResource: { resourceArn: string; tagKeys: string[] };
  ListTagsForResource: { resourceArn: string };
  GetAuthorizationToken: { registryIds?: string[] };
  ListImages: PagingIn & { repositoryName: string; registryId?: string; filter?: ImageFilterIn };
  DescribeImages: PagingIn & {
    repositoryName: string;
    registryId?: string;
    imageIds?: ImageIdIn[];
    filter?: ImageFilterIn;
  };
  BatchDeleteImage: { repositoryName: string; imageIds: ImageIdIn[]; registryId?: string };
  PutImageTagMutability: {
    repositoryName: string;
    imageTagMutability: string;
    registryId?: string;
    imageTagMutabilityExclusionFilters?: ExclusionFilterIn[];
  };
  PutLifecyclePolicy: { repositoryName: string; lifecyclePolicyText: string; registryId?: string };
  GetLifecyclePolicy: { repositoryName: string; registryId?: string };
  DeleteLifecyclePolicy: { repositoryName: string; registryId?: string };
  StartLifecyclePolicyPreview: { repositoryName: string; registryId?: string; lifecyclePolicyText?: string };
  GetLifecyclePolicyPreview: PagingIn & {
    repositoryName: string;
    registryId?: string;
    imageIds?: ImageIdIn[];
    filter?: { tagStatus?: string };
  };
  PutReplicationConfiguration: { replicationConfiguration: ReplicationConfigurationIn };
  DescribeImageReplicationStatus: { repositoryName: string; imageId: ImageIdIn; registryId?: string };
  CreateRepositoryCreationTemplate: CreationTemplateIn & { appliedFor: string[] };
  DescribeRepositoryCreationTemplates: PagingIn & { prefixes?: string[] };
  UpdateRepositoryCreationTemplate: CreationTemplateIn;
  DeleteRepositoryCreationTemplate: { prefix: string };
}

/** `ReplicationConfiguration` as sent (validated by `replication.ts`). */
export interface ReplicationConfigurationIn {
  readonly rules: {
    readonly destinations: { readonly region: string; readonly registryId: string }[];
    readonly repositoryFilters?: { readonly filter: string; readonly filterType: string }[];
  }[];
}

/** The settings of Create/UpdateRepositoryCreationTemplate as sent (validated by `templates.ts`). */
export interface CreationTemplateIn {
  prefix: string;
  description?: string;
  encryptionConfiguration?: { encryptionType: string; kmsKey?: string };
  resourceTags?: TagIn[];
  imageTagMutability?: string;
  imageTagMutabilityExclusionFilters?: ExclusionFilterIn[];
  repositoryPolicy?: string;
  lifecyclePolicy?: string;
  appliedFor?: string[];
  customRoleArn?: string;
}

/** `Repository`. */
export interface RepositoryOut {
  readonly repositoryArn: string;
  readonly registryId: string;
  readonly repositoryName: string;
  readonly repositoryUri: string;
  readonly createdAt: Date;
  readonly imageTagMutability: string;
  readonly imageTagMutabilityExclusionFilters?: ImageTagMutabilityExclusionFilter[];
  readonly imageScanningConfiguration: { readonly scanOnPush: boolean };
  readonly encryptionConfiguration: { readonly encryptionType: string; readonly kmsKey?: string };
}

/** `ImageIdentifier` in answers. */
export interface ImageIdOut {
  readonly imageDigest?: string;
  readonly imageTag?: string;
}

/** `ImageFailure`. */
export interface ImageFailureOut {
  readonly imageId: ImageIdOut;
  readonly failureCode: string;
  readonly failureReason: string;
}

/** `ImageDetail` (scan and archive members are left out: crossdock does not scan or archive). */
export interface ImageDetailOut {
  readonly registryId: string;
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags?: string[];
  readonly imageSizeInBytes: number;
  readonly imagePushedAt: Date;
  readonly imageManifestMediaType: string;
  readonly artifactMediaType?: string;
  readonly lastRecordedPullTime?: Date;
  readonly subjectManifestDigest?: string;
}

/** `AuthorizationData`. */
export interface AuthorizationDataOut {
  readonly authorizationToken: string;
  readonly expiresAt: Date;
  readonly proxyEndpoint: string;
}

/** `ReplicationConfiguration`. */
export interface ReplicationConfigurationOut {
  readonly rules: {
    readonly destinations: { readonly region: string; readonly registryId: string }[];
    readonly repositoryFilters?: { readonly filter: string; readonly filterType: string }[];
  }[];
}

/** `ImageReplicationStatus` (`failureReason` is crossdock's addition: ECR's sentence for `failureCode`). */
export interface ImageReplicationStatusOut {
  readonly region: string;
  readonly registryId: string;
  readonly status: 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';
  readonly failureCode?: string;
  readonly failureReason?: string;
}

/** `RepositoryCreationTemplate`. */
export interface RepositoryCreationTemplateOut {
  readonly prefix: string;
  readonly description?: string;
  readonly encryptionConfiguration?: { readonly encryptionType: string; readonly kmsKey?: string };
  readonly resourceTags: TagIn[];
  readonly imageTagMutability?: string;
  readonly imageTagMutabilityExclusionFilters?: ImageTagMutabilityExclusionFilter[];
  readonly repositoryPolicy?: string;
  readonly lifecyclePolicy?: string;
  readonly appliedFor: string[];
  readonly customRoleArn?: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** `LifecyclePolicy` answers (Put/Get/Delete); `lastEvaluatedAt` once a run has evaluated it. */
export interface LifecyclePolicyOut {
  readonly registryId: string;
  readonly repositoryName: string;
  readonly lifecyclePolicyText: string;
  readonly lastEvaluatedAt?: Date;
}

/** `LifecyclePolicyPreviewResult`. */
export interface LifecyclePreviewResultOut {
  readonly imageTags?: string[];
  readonly imageDigest: string;
  readonly imagePushedAt: Date;
  readonly action: { readonly type: 'EXPIRE' };
  readonly appliedRulePriority: number;
}

/** The answers of EcrService, one per operation. */
export interface EcrOutputs extends PullThroughOutputs {
  CreateRepository: { repository: RepositoryOut };
  DescribeRepositories: { repositories: RepositoryOut[]; nextToken?: string };
  DeleteRepository: { repository: RepositoryOut };
  SetRepositoryPolicy: { registryId: string; repositoryName: string; policyText: string };
  GetRepositoryPolicy: { registryId: string; repositoryName: string; policyText: string };
  DeleteRepositoryPolicy: { registryId: string; repositoryName: string; policyText: string };
  PutRegistryPolicy: { registryId: string; policyText: string };
  GetRegistryPolicy: { registryId: string; policyText: string };
  DeleteRegistryPolicy: { registryId: string; policyText: string };
  DescribeRegistry: { registryId: string; replicationConfiguration: ReplicationConfigurationOut };
  TagResource: Record<string, never>;
  UntagResource: Record<string, never>;
  ListTagsForResource: { tags: TagIn[] };
  GetAuthorizationToken: { authorizationData: AuthorizationDataOut[] };
  ListImages: { imageIds: ImageIdOut[]; nextToken?: string };
  DescribeImages: { imageDetails: ImageDetailOut[]; nextToken?: string };
  BatchDeleteImage: { imageIds: ImageIdOut[]; failures: ImageFailureOut[] };
  PutImageTagMutability: {
    registryId: string;
    repositoryName: string;
    imageTagMutability: string;
    imageTagMutabilityExclusionFilters?: ImageTagMutabilityExclusionFilter[];
  };
  PutLifecyclePolicy: { registryId: string; repositoryName: string; lifecyclePolicyText: string };
  GetLifecyclePolicy: LifecyclePolicyOut;
  DeleteLifecyclePolicy: LifecyclePolicyOut;
  StartLifecyclePolicyPreview: {
    registryId: string;
    repositoryName: string;
    lifecyclePolicyText: string;
    status: 'IN_PROGRESS';
  };
  GetLifecyclePolicyPreview: {
    registryId: string;
    repositoryName: string;
    lifecyclePolicyText: string;
    status: 'COMPLETE';
    nextToken?: string;
    previewResults: LifecyclePreviewResultOut[];
    summary: { expiringImageTotalCount: number };
  };
  PutReplicationConfiguration: { replicationConfiguration: ReplicationConfigurationOut };
  DescribeImageReplicationStatus: {
    repositoryName: string;
    imageId: ImageIdOut;
    replicationStatuses: ImageReplicationStatusOut[];
  };
  CreateRepositoryCreationTemplate: {
    registryId: string;
    repositoryCreationTemplate: RepositoryCreationTemplateOut;
  };
  DescribeRepositoryCreationTemplates: {
    registryId: string;
    repositoryCreationTemplates: RepositoryCreationTemplateOut[];
    nextToken?: string;
  };
  UpdateRepositoryCreationTemplate: {
    registryId: string;
    repositoryCreationTemplate: RepositoryCreationTemplateOut;
  };
  DeleteRepositoryCreationTemplate: {
    registryId: string;
    repositoryCreationTemplate: RepositoryCreationTemplateOut;
  };
}

/** Store tags → ECR's `{Key, Value}` list, in the order they were written. */
export function tagsOut(tags: readonly Tag[]): TagIn[] {
  return tags.map((t) => ({ Key: t.key, Value: t.value }));
}

/** A repository as every ECR answer shows it. */
export function repositoryOut(r: Repository, addressing: RegistryAddressing): RepositoryOut {
  return {
    repositoryArn: r.arn,
    registryId: r.accountId,
    repositoryName: r.name,
    repositoryUri: repositoryUri(addressing, r.accountId, r.region, r.name),
    createdAt: r.createdAt,
    imageTagMutability: r.imageTagMutability,
    ...(r.imageTagMutabilityExclusionFilters.length > 0 && {
      imageTagMutabilityExclusionFilters: r.imageTagMutabilityExclusionFilters.map((f) => ({ ...f })),
    }),
    imageScanningConfiguration: { scanOnPush: r.scanOnPush },
    encryptionConfiguration: {
      encryptionType: r.encryption.encryptionType,
      ...(r.encryption.kmsKey !== undefined && { kmsKey: r.encryption.kmsKey }),
    },
  };
}

/** An image as DescribeImages shows it. */
export function imageDetailOut(repo: Repository, image: ImageInfo): ImageDetailOut {
  return {
    registryId: repo.accountId,
    repositoryName: repo.name,
    imageDigest: image.digest,
    ...(image.tags.length > 0 && { imageTags: [...image.tags] }),
    imageSizeInBytes: image.imageSize,
    imagePushedAt: image.pushedAt,
    imageManifestMediaType: image.mediaType,
    ...(image.configMediaType !== undefined && { artifactMediaType: image.configMediaType }),
    ...(image.lastPulledAt !== undefined && { lastRecordedPullTime: image.lastPulledAt }),
    ...(image.subjectDigest !== undefined && { subjectManifestDigest: image.subjectDigest }),
  };
}

/** The registry's replication rules as DescribeRegistry shows them (`rules: []` when unset). */
export function replicationOut(registry: Registry | undefined): ReplicationConfigurationOut {
  return { rules: replicationRulesOut(registry?.replicationConfiguration) };
}

/** The rules of a replication configuration in AWS's member names (filters left out when none). */
export function replicationRulesOut(
  config: ReplicationConfiguration | undefined,
): ReplicationConfigurationOut['rules'] {
  return (config?.rules ?? []).map((r) => ({
    destinations: r.destinations.map((d) => ({ region: d.region, registryId: d.registryId })),
    ...(r.repositoryFilters.length > 0 && {
      repositoryFilters: r.repositoryFilters.map((f) => ({ filter: f.filter, filterType: f.filterType })),
    }),
  }));
}

/** A repository creation template as the template operations answer it. */
export function creationTemplateOut(t: RepositoryCreationTemplate): RepositoryCreationTemplateOut {
  return {
    prefix: t.prefix,
    ...(t.description !== undefined && { description: t.description }),
    ...(t.encryption !== undefined && {
      encryptionConfiguration: {
        encryptionType: t.encryption.encryptionType,
        ...(t.encryption.kmsKey !== undefined && { kmsKey: t.encryption.kmsKey }),
      },
    }),
    resourceTags: tagsOut(t.resourceTags),
    ...(t.imageTagMutability !== undefined && { imageTagMutability: t.imageTagMutability }),
    ...(t.imageTagMutabilityExclusionFilters !== undefined &&
      t.imageTagMutabilityExclusionFilters.length > 0 && {
        imageTagMutabilityExclusionFilters: t.imageTagMutabilityExclusionFilters.map((f) => ({ ...f })),
      }),
    ...(t.repositoryPolicy !== undefined && { repositoryPolicy: t.repositoryPolicy }),
    ...(t.lifecyclePolicy !== undefined && { lifecyclePolicy: t.lifecyclePolicy }),
    appliedFor: [...t.appliedFor],
    ...(t.customRoleArn !== undefined && { customRoleArn: t.customRoleArn }),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}
