/**
 * Amazon ECR Public over awsJson1_1 (`SpencerFrontendService.<Operation>`, signing name
 * `ecr-public`): the input shapes of the operations crossdock serves, member names exactly as ECR
 * Public's model spells them (botocore `ecr-public/2020-10-30`), and the adapter that hands each
 * decoded request to {@link EcrPublicService}, which answers in the model's member names.
 */
import type { Caller } from '../../auth/caller.js';
import type { EcrPublicService } from '../../services/ecr/public/service.js';
import type { ApiAdapter } from '../adapter.js';
import { list, required, struct, type Infer } from '../protocol/shape.js';
import type { OutputValue } from '../protocol/wire.js';

const req = required('string');
const Tag = struct({ Key: req, Value: req });
const ImageId = struct({ imageDigest: 'string', imageTag: 'string' });
const paging = { nextToken: 'string', maxResults: 'integer' } as const;
const repo = { repositoryName: req, registryId: 'string' } as const;
const CatalogDataInput = struct({
  description: 'string',
  architectures: list('string'),
  operatingSystems: list('string'),
  logoImageBlob: 'blob',
  aboutText: 'string',
  usageText: 'string',
});

/** The ECR Public operations crossdock serves and their inputs. */
export const ECR_PUBLIC_OPERATIONS = {
  CreateRepository: struct({ repositoryName: req, catalogData: CatalogDataInput, tags: list(Tag) }),
  DescribeRepositories: struct({ registryId: 'string', repositoryNames: list('string'), ...paging }),
  DeleteRepository: struct({ ...repo, force: 'boolean' }),
  SetRepositoryPolicy: struct({ ...repo, policyText: req, force: 'boolean' }),
  GetRepositoryPolicy: struct(repo),
  DeleteRepositoryPolicy: struct(repo),
  PutRepositoryCatalogData: struct({ ...repo, catalogData: required(CatalogDataInput) }),
  GetRepositoryCatalogData: struct(repo),
  GetRegistryCatalogData: struct({}),
  PutRegistryCatalogData: struct({ displayName: 'string' }),
  DescribeRegistries: struct(paging),
  GetAuthorizationToken: struct({}),
  TagResource: struct({ resourceArn: req, tags: required(list(Tag)) }),
  UntagResource: struct({ resourceArn: req, tagKeys: required(list('string')) }),
  ListTagsForResource: struct({ resourceArn: req }),
  DescribeImages: struct({ ...repo, imageIds: list(ImageId), ...paging }),
  DescribeImageTags: struct({ ...repo, ...paging }),
  BatchDeleteImage: struct({ ...repo, imageIds: required(list(ImageId)) }),
  BatchCheckLayerAvailability: struct({ ...repo, layerDigests: required(list('string')) }),
  InitiateLayerUpload: struct(repo),
  UploadLayerPart: struct({
    ...repo,
    uploadId: req,
    partFirstByte: required('integer'),
    partLastByte: required('integer'),
    layerPartBlob: required('blob'),
  }),
  CompleteLayerUpload: struct({ ...repo, uploadId: req, layerDigests: required(list('string')) }),
  PutImage: struct({
    ...repo,
    imageManifest: req,
    imageManifestMediaType: 'string',
    imageTag: 'string',
    imageDigest: 'string',
  }),
};

type Ops = typeof ECR_PUBLIC_OPERATIONS;

type Handlers = {
  [K in keyof Ops]: (s: EcrPublicService, caller: Caller, input: Infer<Ops[K]>) => Promise<OutputValue>;
};

const HANDLERS: Handlers = {
  CreateRepository: (s, c, i) => s.createRepository(c, i),
  DescribeRepositories: (s, c, i) => s.describeRepositories(c, i),
  DeleteRepository: (s, c, i) => s.deleteRepository(c, i),
  SetRepositoryPolicy: (s, c, i) => s.setRepositoryPolicy(c, i),
  GetRepositoryPolicy: (s, c, i) => s.getRepositoryPolicy(c, i),
  DeleteRepositoryPolicy: (s, c, i) => s.deleteRepositoryPolicy(c, i),
  PutRepositoryCatalogData: (s, c, i) => s.putRepositoryCatalogData(c, i),
  GetRepositoryCatalogData: (s, c, i) => s.getRepositoryCatalogData(c, i),
  GetRegistryCatalogData: (s, c) => s.getRegistryCatalogData(c),
  PutRegistryCatalogData: (s, c, i) => s.putRegistryCatalogData(c, i),
  DescribeRegistries: (s, c, i) => s.describeRegistries(c, i),
  GetAuthorizationToken: (s, c) => s.getAuthorizationToken(c),
  TagResource: (s, c, i) => s.tagResource(c, i),
  UntagResource: (s, c, i) => s.untagResource(c, i),
  ListTagsForResource: (s, c, i) => s.listTagsForResource(c, i),
  DescribeImages: (s, c, i) => s.describeImages(c, i),
  DescribeImageTags: (s, c, i) => s.describeImageTags(c, i),
  BatchDeleteImage: (s, c, i) => s.batchDeleteImage(c, i),
  BatchCheckLayerAvailability: (s, c, i) => s.batchCheckLayerAvailability(c, i),
  InitiateLayerUpload: (s, c, i) => s.initiateLayerUpload(c, i),
  UploadLayerPart: (s, c, i) => s.uploadLayerPart(c, i),
  CompleteLayerUpload: (s, c, i) => s.completeLayerUpload(c, i),
  PutImage: (s, c, i) => s.putImage(c, i),
};

/** The ECR Public awsJson adapter: decode (against {@link ECR_PUBLIC_OPERATIONS}) → service → encode. */
export function ecrPublicApi(service: EcrPublicService): ApiAdapter<Ops> {
  return {
    service: 'ecr-public',
    operations: ECR_PUBLIC_OPERATIONS,
    async handle(op, { caller }) {
      // Each handler's input type is checked against its shape in the table's type above.
      const handler = HANDLERS[op.operation as keyof Ops] as (
        s: EcrPublicService,
        c: Caller,
        i: unknown,
      ) => Promise<OutputValue>;
      return handler(service, caller, op.input);
    },
  };
}
