/**
 * Amazon ECR over awsJson1_1 (`AmazonEC2ContainerRegistry_V20150921.<Operation>`): the input
 * shapes of the operations crossdock serves (member names exactly as the ECR API spells them:
 * lowerCamelCase, tags `{Key, Value}`) and the adapter that hands each decoded request to
 * {@link EcrService} (control plane) or to {@link EcrDataOps} (push and pull through the API). The
 * services already answer in AWS's member names and order, with timestamps as `Date` (the codec
 * writes epoch seconds), so the adapter only dispatches.
 */
import type { Caller } from '../../auth/caller.js';
import type { EcrInputs } from '../../services/ecr/present.js';
import type { EcrService } from '../../services/ecr/service.js';
import { isPublicRegion } from '../../services/ecr/public/partition.js';
import type { ApiAdapter } from '../adapter.js';
import { AwsError } from '../protocol/errors.js';
import { list, required, struct, type Infer } from '../protocol/shape.js';
import type { OutputValue } from '../protocol/wire.js';
import type { EcrDataInput, EcrDataOps } from './data.js';

export type {
  DataImage,
  DataImageFailure,
  DataImageId,
  DataLayer,
  DataLayerFailure,
  EcrDataInput,
  EcrDataOps,
  EcrDataOutput,
} from './data.js';

const req = required('string');
const Tag = struct({ Key: req, Value: req });
const ImageId = struct({ imageDigest: 'string', imageTag: 'string' });
const ExclusionFilter = struct({ filterType: req, filter: req });
const ImageFilter = struct({ tagStatus: 'string', imageStatus: 'string' });
const paging = { nextToken: 'string', maxResults: 'integer' } as const;
const ReplicationConfiguration = struct({
  rules: required(
    list(
      struct({
        destinations: required(list(struct({ region: req, registryId: req }))),
        repositoryFilters: list(struct({ filter: req, filterType: req })),
      }),
    ),
  ),
});
const creationTemplate = {
  prefix: req,
  description: 'string',
  encryptionConfiguration: struct({ encryptionType: req, kmsKey: 'string' }),
  resourceTags: list(Tag),
  imageTagMutability: 'string',
  imageTagMutabilityExclusionFilters: list(ExclusionFilter),
  repositoryPolicy: 'string',
  lifecyclePolicy: 'string',
  customRoleArn: 'string',
} as const;

/** The ECR operations crossdock serves and their inputs (botocore `ecr/2015-09-21` member names). */
export const ECR_OPERATIONS = {
  CreateRepository: struct({
    repositoryName: req,
    registryId: 'string',
    tags: list(Tag),
    imageTagMutability: 'string',
    imageTagMutabilityExclusionFilters: list(ExclusionFilter),
    imageScanningConfiguration: struct({ scanOnPush: 'boolean' }),
    encryptionConfiguration: struct({ encryptionType: req, kmsKey: 'string' }),
  }),
  DescribeRepositories: struct({ registryId: 'string', repositoryNames: list('string'), ...paging }),
  DeleteRepository: struct({ repositoryName: req, registryId: 'string', force: 'boolean' }),
  SetRepositoryPolicy: struct({
    repositoryName: req,
    policyText: req,
    registryId: 'string',
    force: 'boolean',
  }),
  GetRepositoryPolicy: struct({ repositoryName: req, registryId: 'string' }),
  DeleteRepositoryPolicy: struct({ repositoryName: req, registryId: 'string' }),
  PutRegistryPolicy: struct({ policyText: req }),
  GetRegistryPolicy: struct({}),
  DeleteRegistryPolicy: struct({}),
  DescribeRegistry: struct({}),
  TagResource: struct({ resourceArn: req, tags: required(list(Tag)) }),
  UntagResource: struct({ resourceArn: req, tagKeys: required(list('string')) }),
  ListTagsForResource: struct({ resourceArn: req }),
  GetAuthorizationToken: struct({ registryIds: list('string') }),
  ListImages: struct({ repositoryName: req, registryId: 'string', ...paging, filter: ImageFilter }),
  DescribeImages: struct({
    repositoryName: req,
    registryId: 'string',
    imageIds: list(ImageId),
    ...paging,
    filter: ImageFilter,
  }),
  BatchDeleteImage: struct({ repositoryName: req, imageIds: required(list(ImageId)), registryId: 'string' }),
  PutImageTagMutability: struct({
    repositoryName: req,
    imageTagMutability: req,
    registryId: 'string',
    imageTagMutabilityExclusionFilters: list(ExclusionFilter),
  }),
  PutReplicationConfiguration: struct({ replicationConfiguration: required(ReplicationConfiguration) }),
  DescribeImageReplicationStatus: struct({
    repositoryName: req,
    imageId: required(ImageId),
    registryId: 'string',
  }),
  CreateRepositoryCreationTemplate: struct({ ...creationTemplate, appliedFor: required(list('string')) }),
  DescribeRepositoryCreationTemplates: struct({ prefixes: list('string'), ...paging }),
  UpdateRepositoryCreationTemplate: struct({ ...creationTemplate, appliedFor: list('string') }),
  DeleteRepositoryCreationTemplate: struct({ prefix: req }),
  PutLifecyclePolicy: struct({ repositoryName: req, lifecyclePolicyText: req, registryId: 'string' }),
  GetLifecyclePolicy: struct({ repositoryName: req, registryId: 'string' }),
  DeleteLifecyclePolicy: struct({ repositoryName: req, registryId: 'string' }),
  StartLifecyclePolicyPreview: struct({
    repositoryName: req,
    registryId: 'string',
    lifecyclePolicyText: 'string',
  }),
  GetLifecyclePolicyPreview: struct({
    repositoryName: req,
    registryId: 'string',
    imageIds: list(ImageId),
    ...paging,
    filter: struct({ tagStatus: 'string' }),
  }),
  CreatePullThroughCacheRule: struct({
    ecrRepositoryPrefix: req,
    upstreamRegistryUrl: req,
    registryId: 'string',
    upstreamRegistry: 'string',
    credentialArn: 'string',
    customRoleArn: 'string',
    upstreamRepositoryPrefix: 'string',
  }),
  DescribePullThroughCacheRules: struct({
    registryId: 'string',
    ecrRepositoryPrefixes: list('string'),
    ...paging,
  }),
  UpdatePullThroughCacheRule: struct({
    ecrRepositoryPrefix: req,
    registryId: 'string',
    credentialArn: 'string',
    customRoleArn: 'string',
  }),
  DeletePullThroughCacheRule: struct({ ecrRepositoryPrefix: req, registryId: 'string' }),
  ValidatePullThroughCacheRule: struct({ ecrRepositoryPrefix: req, registryId: 'string' }),
  // The data path (EcrDataOps).
  BatchCheckLayerAvailability: struct({
    repositoryName: req,
    layerDigests: required(list('string')),
    registryId: 'string',
  }),
  GetDownloadUrlForLayer: struct({ repositoryName: req, layerDigest: req, registryId: 'string' }),
  InitiateLayerUpload: struct({ repositoryName: req, registryId: 'string' }),
  UploadLayerPart: struct({
    repositoryName: req,
    uploadId: req,
    partFirstByte: required('integer'),
    partLastByte: required('integer'),
    layerPartBlob: required('blob'),
    registryId: 'string',
  }),
  CompleteLayerUpload: struct({
    repositoryName: req,
    uploadId: req,
    layerDigests: required(list('string')),
    registryId: 'string',
  }),
  PutImage: struct({
    repositoryName: req,
    imageManifest: req,
    registryId: 'string',
    imageManifestMediaType: 'string',
    imageTag: 'string',
    imageDigest: 'string',
  }),
  BatchGetImage: struct({
    repositoryName: req,
    imageIds: required(list(ImageId)),
    registryId: 'string',
    acceptedMediaTypes: list('string'),
  }),
};

type Ops = typeof ECR_OPERATIONS;

/** One handler per control-plane operation; the decoded input must fit the service's (checked here). */
type ServiceHandlers = {
  [K in keyof Ops & keyof EcrInputs]: (
    s: EcrService,
    caller: Caller,
    input: Infer<Ops[K]>,
  ) => Promise<OutputValue>;
};

/** One handler per data-path operation; the decoded input must fit {@link EcrDataOps}' (checked here). */
type DataHandlers = {
  [K in keyof Ops & keyof EcrDataInput]: (
    d: EcrDataOps,
    caller: Caller,
    input: Infer<Ops[K]>,
  ) => Promise<OutputValue>;
};

const SERVICE: ServiceHandlers = {
  CreateRepository: (s, c, i) => s.createRepository(c, i),
  DescribeRepositories: (s, c, i) => s.describeRepositories(c, i),
  DeleteRepository: (s, c, i) => s.deleteRepository(c, i),
  SetRepositoryPolicy: (s, c, i) => s.setRepositoryPolicy(c, i),
  GetRepositoryPolicy: (s, c, i) => s.getRepositoryPolicy(c, i),
  DeleteRepositoryPolicy: (s, c, i) => s.deleteRepositoryPolicy(c, i),
  PutRegistryPolicy: (s, c, i) => s.putRegistryPolicy(c, i),
  GetRegistryPolicy: (s, c) => s.getRegistryPolicy(c),
  DeleteRegistryPolicy: (s, c) => s.deleteRegistryPolicy(c),
  DescribeRegistry: (s, c) => s.describeRegistry(c),
  TagResource: (s, c, i) => s.tagResource(c, i),
  UntagResource: (s, c, i) => s.untagResource(c, i),
  ListTagsForResource: (s, c, i) => s.listTagsForResource(c, i),
  GetAuthorizationToken: (s, c, i) => s.getAuthorizationToken(c, i),
  ListImages: (s, c, i) => s.listImages(c, i),
  DescribeImages: (s, c, i) => s.describeImages(c, i),
  BatchDeleteImage: (s, c, i) => s.batchDeleteImage(c, i),
  PutImageTagMutability: (s, c, i) => s.putImageTagMutability(c, i),
  PutLifecyclePolicy: (s, c, i) => s.putLifecyclePolicy(c, i),
  GetLifecyclePolicy: (s, c, i) => s.getLifecyclePolicy(c, i),
  DeleteLifecyclePolicy: (s, c, i) => s.deleteLifecyclePolicy(c, i),
  StartLifecyclePolicyPreview: (s, c, i) => s.startLifecyclePolicyPreview(c, i),
  GetLifecyclePolicyPreview: (s, c, i) => s.getLifecyclePolicyPreview(c, i),
  PutReplicationConfiguration: (s, c, i) => s.putReplicationConfiguration(c, i),
  DescribeImageReplicationStatus: (s, c, i) => s.describeImageReplicationStatus(c, i),
  CreateRepositoryCreationTemplate: (s, c, i) => s.createRepositoryCreationTemplate(c, i),
  DescribeRepositoryCreationTemplates: (s, c, i) => s.describeRepositoryCreationTemplates(c, i),
  UpdateRepositoryCreationTemplate: (s, c, i) => s.updateRepositoryCreationTemplate(c, i),
  DeleteRepositoryCreationTemplate: (s, c, i) => s.deleteRepositoryCreationTemplate(c, i),
  CreatePullThroughCacheRule: (s, c, i) => s.createPullThroughCacheRule(c, i),
  DescribePullThroughCacheRules: (s, c, i) => s.describePullThroughCacheRules(c, i),
  UpdatePullThroughCacheRule: (s, c, i) => s.updatePullThroughCacheRule(c, i),
  DeletePullThroughCacheRule: (s, c, i) => s.deletePullThroughCacheRule(c, i),
  ValidatePullThroughCacheRule: (s, c, i) => s.validatePullThroughCacheRule(c, i),
};

const DATA: DataHandlers = {
  BatchCheckLayerAvailability: (d, c, i) => d.batchCheckLayerAvailability(c, i),
  GetDownloadUrlForLayer: (d, c, i) => d.getDownloadUrlForLayer(c, i),
  InitiateLayerUpload: (d, c, i) => d.initiateLayerUpload(c, i),
  UploadLayerPart: (d, c, i) => d.uploadLayerPart(c, i),
  CompleteLayerUpload: (d, c, i) => d.completeLayerUpload(c, i),
  PutImage: (d, c, i) => d.putImage(c, i),
  BatchGetImage: (d, c, i) => d.batchGetImage(c, i),
};

/**
 * The ECR awsJson adapter: decode (by the codec, against {@link ECR_OPERATIONS}) → service →
 * encode. Without `data`, the data-path operations answer `UnknownOperationException`, as an
 * operation the server does not serve.
 */
export function ecrApi(service: EcrService, data?: EcrDataOps): ApiAdapter<typeof ECR_OPERATIONS> {
  return {
    service: 'ecr',
    operations: ECR_OPERATIONS,
    async handle(op, { caller }) {
      // ECR Public's partition label is no region: ECR's API is not there (ecrPublic/ is).
      if (isPublicRegion(caller.request.region)) {
        throw AwsError.of(
          'ecr',
          'InvalidSignatureException',
          `Credential should be scoped to a valid region, not '${caller.request.region}'.`,
        );
      }
      // The union of handlers cannot be called with the union of inputs without this widening;
      // each handler's own input type is checked against the shapes in the tables' types above.
      if (Object.hasOwn(SERVICE, op.operation)) {
        const handler = SERVICE[op.operation as keyof ServiceHandlers] as (
          s: EcrService,
          c: Caller,
          i: unknown,
        ) => Promise<OutputValue>;
        return handler(service, caller, op.input);
      }
      const handler = DATA[op.operation as keyof DataHandlers] as (
        d: EcrDataOps,
        c: Caller,
        i: unknown,
      ) => Promise<OutputValue>;
      if (data === undefined) {
        throw AwsError.of(
          'ecr',
          'UnknownOperationException',
          `operation \`${op.operation}\` is not supported`,
        );
      }
      return handler(data, caller, op.input);
    },
  };
}
