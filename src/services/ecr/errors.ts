/**
 * The errors the ECR API answers, with AWS's wording, in one place so that every operation says
 * the same thing for the same situation and the sources stay in one file.
 *
 * Where each sentence was read:
 * - Repository/registry/policy/image not-found and already-exists sentences, RepositoryNotEmpty:
 *   shared/reference/ecr-api.md §2 (observed formats, mirrored by moto's `ecr/exceptions.py`).
 *   `RepositoryNotFoundException` itself is built by `access.ts` (the one door), not here.
 * - `Invalid parameter at 'X' failed to satisfy constraint: '…'` (InvalidParameterException for
 *   model constraints): ecr-api.md §2 (repositoryName, observed in jenkins-x/jx#1344 and
 *   aws/aws-dotnet-deploy#549); the same form for other members is crossdock's extrapolation.
 * - `Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'`: moto's ECR
 *   backend and its tests, which assert AWS's text.
 * - `Invalid parameter at 'PolicyText' …` for policies: `PolicyError` of the engine (iam/policy/parse.ts).
 * - BatchDeleteImage failures `Requested image not found`, `Requested image referenced by manifest
 *   list: [sha256:…]`, `Invalid request parameters: both tag and digest cannot be null`,
 *   `Invalid request parameters: image digest should satisfy the regex '…'`: ecr-api.md §4, ECR's
 *   user guide (OCI 1.1 signature deletion page) and issue threads quoting real answers.
 * - InvalidTagParameterException / TooManyTagsException: the sentences of the SDK model's error
 *   documentation (`@aws-sdk/client-ecr` 3.1169 `models/errors.d.ts`); AWS's exact wire text is
 *   **unconfirmed**.
 * - The nextToken/maxResults sentences are **unconfirmed** (crossdock's wording in ECR's form).
 */
import { ServiceError } from '../errors.js';

/** ECR's fixed limits that crossdock enforces (AWS defaults, shared/reference/ecr-api.md §2, §12). */
export const ECR_LIMITS = {
  tagsPerRepository: 50,
  tagKeyLength: 128,
  tagValueLength: 256,
  policyLength: 10_240,
  repositoryNameMin: 2,
  repositoryNameMax: 256,
  /** ECR Public's longest repository name. */
  publicRepositoryNameMax: 205,
  maxResultsMin: 1,
  maxResultsMax: 1000,
  defaultPageSize: 100,
  repositoryNamesPerCall: 100,
  imageIdsPerCall: 100,
  registryIdsPerToken: 10,
  exclusionFiltersMax: 5,
  exclusionFilterLength: 128,
  imageTagLength: 300,
} as const;

const err = (code: string, message: string): ServiceError => new ServiceError(code, message);

/** `{imageDigest:'…', imageTag:'…'}` as ECR prints an image id, `null` for an absent member. */
export function showImageId(id: { imageDigest?: string; imageTag?: string }): string {
  return `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;
}

/** ECR's error sentences, one constructor per situation. */
export const ecrErrors = {
  /** A model constraint of one member, in ECR's own form. */
  invalidParameter: (member: string, constraint: string) =>
    err(
      'InvalidParameterException',
      `Invalid parameter at '${member}' failed to satisfy constraint: '${constraint}'`,
    ),
  invalidArn: () =>
    err(
      'InvalidParameterException',
      "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'",
    ),
  invalidNextToken: () =>
    err(
      'InvalidParameterException',
      "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'",
    ),
  /** nextToken/maxResults with an explicit list (`repositoryNames`, `imageIds`). */
  pagingWithIds: (member: 'maxResults' | 'nextToken', list: 'repositoryNames' | 'imageIds') =>
    err(
      'InvalidParameterException',
      `Invalid parameter at '${member}' failed to satisfy constraint: 'cannot be used together with ${list}'`,
    ),

  repositoryExists: (name: string, registryId: string) =>
    err(
      'RepositoryAlreadyExistsException',
      `The repository with name '${name}' already exists in the registry with id '${registryId}'`,
    ),
  repositoryNotEmpty: (name: string, registryId: string) =>
    err(
      'RepositoryNotEmptyException',
      `The repository with name '${name}' in registry with id '${registryId}' cannot be deleted because it still contains images`,
    ),
  repositoryPolicyNotFound: (name: string, registryId: string) =>
    err(
      'RepositoryPolicyNotFoundException',
      `Repository policy does not exist for the repository with name '${name}' in the registry with id '${registryId}'`,
    ),
  registryPolicyNotFound: (registryId: string) =>
    err(
      'RegistryPolicyNotFoundException',
      `Registry policy does not exist in the registry with id '${registryId}'`,
    ),
  lifecyclePolicyNotFound: (name: string, registryId: string) =>
    err(
      'LifecyclePolicyNotFoundException',
      `Lifecycle policy does not exist for the repository with name '${name}' in the registry with id '${registryId}'`,
    ),
  /** The wording is **unconfirmed**: ECR's not-found form for the preview. */
  lifecyclePreviewNotFound: (name: string, registryId: string) =>
    err(
      'LifecyclePolicyPreviewNotFoundException',
      `Lifecycle policy preview does not exist for the repository with name '${name}' in the registry with id '${registryId}'`,
    ),
  /**
   * A lifecycle policy ECR's grammar refuses: the form is AWS's (observed in
   * cloudposse/terraform-aws-ecr#158); the reason after it is crossdock's.
   */
  invalidLifecyclePolicy: (reason: string) =>
    err(
      'InvalidParameterException',
      `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${reason}'`,
    ),
  imageNotFound: (id: { imageDigest?: string; imageTag?: string }, name: string, registryId: string) =>
    err(
      'ImageNotFoundException',
      `The image with imageId ${showImageId(id)} does not exist within the repository with name '${name}' in the registry with id '${registryId}'`,
    ),

  invalidTag: () =>
    err(
      'InvalidTagParameterException',
      'An invalid parameter has been specified. Tag keys can have a maximum character length of 128 characters, and tag values can have a maximum length of 256 characters.',
    ),
  tooManyTags: () =>
    err(
      'TooManyTagsException',
      'The list of tags on the repository is over the limit. The maximum number of tags that can be applied to a repository is 50.',
    ),
};

/** BatchDeleteImage's per-image failure codes and reasons. */
export const imageFailures = {
  notFound: { failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
  missingDigestAndTag: {
    failureCode: 'MissingDigestAndTag',
    failureReason: 'Invalid request parameters: both tag and digest cannot be null',
  },
  invalidDigest: {
    failureCode: 'InvalidImageDigest',
    failureReason:
      "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
  },
  invalidTag: {
    failureCode: 'InvalidImageTag',
    failureReason: 'Invalid request parameters: image tag should have a length between 1 and 300',
  },
  referencedByManifestList: (parents: readonly string[]) => ({
    failureCode: 'ImageReferencedByManifestList',
    failureReason: `Requested image referenced by manifest list: [${parents.join(', ')}]`,
  }),
} as const;
