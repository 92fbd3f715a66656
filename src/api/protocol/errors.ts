/**
 * AWS API errors and the catalogue that binds each error code to its HTTP status.
 *
 * One class (`AwsError`) serves both wire protocols: the awsQuery encoder renders it as
 * `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code>…`, the awsJson encoder as
 * `{"__type": code, "message": …}` plus `x-amzn-ErrorType`. Adapters build errors through
 * `AwsError.of(service, code, message)` so that no handler ever picks a status by hand.
 *
 * Sources of the statuses (checked by errors.test.ts against the installed SDK models):
 * - IAM, STS modelled errors: the `awsQueryError` trait of `@aws-sdk/client-iam|sts` 3.11xx schemas,
 *   identical to botocore 1.43 `iam/2010-05-08` and `sts/2011-06-15` `error.httpStatusCode`.
 * - ECR modelled errors: `@aws-sdk/client-ecr` schemas / botocore `ecr/2015-09-21`: no `httpError`
 *   trait, so the awsJson1_1 defaults apply (400 client, 500 server).
 * - Organizations modelled errors: the `httpError` trait in `@aws-sdk/client-organizations` schemas.
 * - Secrets Manager modelled errors: botocore 1.43 `secretsmanager/2017-10-17` (no `httpStatusCode`,
 *   so the awsJson1_1 defaults: 400 client, `InternalServiceError` 500 server); error shapes carry
 *   `Message`.
 * - Errors every AWS API answers (auth layer, protocol layer): AWS "Common Errors" API reference
 *   pages (e.g. https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html): InvalidAction
 *   400, MissingAction 400, InvalidClientTokenId 403, MissingAuthenticationToken 403, IncompleteSignature
 *   400, RequestExpired 400, InternalFailure 500, ServiceUnavailable 503, ValidationError 400,
 *   AccessDeniedException 400 (JSON services), ThrottlingException 400, MalformedQueryString 404.
 * - Observed on the wire (no model): `SignatureDoesNotMatch` 403 and `AccessDenied` 403 from STS/IAM
 *   (shared/reference/sts-iam-api.md §1, §2.4); `ExpiredToken` 403 from IAM/STS (aws/aws-sdk-java-v2#1649,
 *   cfn-sphere/cfn-sphere#55 show `403 Forbidden … <Code>ExpiredToken</Code>`); JSON auth errors
 *   `UnrecognizedClientException` / `InvalidSignatureException` / `ExpiredTokenException` 400 and
 *   `MissingAuthenticationTokenException` 403 (shared/reference/ecr-api.md §1); coral's
 *   `SerializationException` and `UnknownOperationException` 400 (smithy awsJson1_1 client-error default).
 */

/** Who is to blame: awsQuery renders it as `<Type>Sender|Receiver</Type>`, the SDK as `$fault`. */
export type Fault = 'client' | 'server';

/** The services crossdock speaks; each has its own catalogue because codes collide across them. */
export type AwsService = 'iam' | 'sts' | 'ecr' | 'ecr-public' | 'organizations' | 'secretsmanager';

/** The HTTP status and fault a code is always answered with. */
export interface ErrorSpec {
  readonly status: number;
  readonly fault: Fault;
}

const client = (status: number): ErrorSpec => ({ status, fault: 'client' });
const server = (status: number): ErrorSpec => ({ status, fault: 'server' });

/** Errors of the awsQuery protocol and the auth layer in front of it, shared by IAM and STS. */
const QUERY_COMMON = {
  AccessDenied: client(403),
  ExpiredToken: client(403),
  IncompleteSignature: client(400),
  InternalFailure: server(500),
  InvalidAction: client(400),
  InvalidClientTokenId: client(403),
  InvalidParameterCombination: client(400),
  InvalidParameterValue: client(400),
  MalformedQueryString: client(404),
  MissingAction: client(400),
  MissingAuthenticationToken: client(403),
  MissingParameter: client(400),
  OptInRequired: client(403),
  RequestExpired: client(400),
  ServiceUnavailable: server(503),
  SignatureDoesNotMatch: client(403),
  Throttling: client(400),
  ValidationError: client(400),
} as const satisfies Record<string, ErrorSpec>;

/** Errors of the awsJson1_1 protocol and the auth layer in front of it, shared by ECR and Organizations. */
const JSON_COMMON = {
  AccessDeniedException: client(400),
  ExpiredTokenException: client(400),
  IncompleteSignatureException: client(400),
  InternalFailure: server(500),
  InvalidSignatureException: client(400),
  MissingAuthenticationTokenException: client(403),
  SerializationException: client(400),
  ServiceUnavailable: server(503),
  ThrottlingException: client(400),
  UnknownOperationException: client(400),
  UnrecognizedClientException: client(400),
  ValidationException: client(400),
} as const satisfies Record<string, ErrorSpec>;

/**
 * Every error code crossdock answers, per service, with its status. The keys are exactly the
 * `<Code>` / `__type` values on the wire (IAM says `NoSuchEntity`, not `NoSuchEntityException`).
 */
export const AWS_ERRORS = {
  iam: {
    ...QUERY_COMMON,
    ConcurrentModification: client(409),
    DeleteConflict: client(409),
    EntityAlreadyExists: client(409),
    EntityTemporarilyUnmodifiable: client(409),
    InvalidAuthenticationCode: client(403),
    InvalidInput: client(400),
    LimitExceeded: client(409),
    MalformedPolicyDocument: client(400),
    NoSuchEntity: client(404),
    PolicyEvaluation: server(500),
    PolicyNotAttachable: client(400),
    ServiceFailure: server(500),
    UnmodifiableEntity: client(400),
  },
  sts: {
    ...QUERY_COMMON,
    ExpiredTokenException: client(400),
    IDPCommunicationError: client(400),
    IDPRejectedClaim: client(403),
    InvalidAuthorizationMessageException: client(400),
    InvalidIdentityToken: client(400),
    MalformedPolicyDocument: client(400),
    PackedPolicyTooLarge: client(400),
    RegionDisabledException: client(403),
  },
  ecr: {
    ...JSON_COMMON,
    EmptyUploadException: client(400),
    ImageAlreadyExistsException: client(400),
    ImageDigestDoesNotMatchException: client(400),
    ImageNotFoundException: client(400),
    ImageTagAlreadyExistsException: client(400),
    InvalidLayerException: client(400),
    InvalidLayerPartException: client(400),
    InvalidParameterException: client(400),
    InvalidTagParameterException: client(400),
    KmsException: client(400),
    LayerAlreadyExistsException: client(400),
    LayerInaccessibleException: client(400),
    LayerPartTooSmallException: client(400),
    LayersNotFoundException: client(400),
    LifecyclePolicyNotFoundException: client(400),
    LifecyclePolicyPreviewInProgressException: client(400),
    LifecyclePolicyPreviewNotFoundException: client(400),
    LimitExceededException: client(400),
    PullThroughCacheRuleAlreadyExistsException: client(400),
    PullThroughCacheRuleNotFoundException: client(400),
    UnableToAccessSecretException: client(400),
    UnableToDecryptSecretValueException: client(400),
    UnableToGetUpstreamImageException: client(400),
    ReferencedImagesNotFoundException: client(400),
    RegistryPolicyNotFoundException: client(400),
    RepositoryAlreadyExistsException: client(400),
    RepositoryNotEmptyException: client(400),
    RepositoryNotFoundException: client(400),
    RepositoryPolicyNotFoundException: client(400),
    SecretNotFoundException: client(400),
    ServerException: server(500),
    TemplateAlreadyExistsException: client(400),
    TemplateNotFoundException: client(400),
    TooManyTagsException: client(400),
    UnsupportedImageTypeException: client(400),
    UploadNotFoundException: client(400),
  },
  'ecr-public': {
    ...JSON_COMMON,
    EmptyUploadException: client(400),
    ImageAlreadyExistsException: client(400),
    ImageDigestDoesNotMatchException: client(400),
    ImageNotFoundException: client(400),
    ImageTagAlreadyExistsException: client(400),
    InvalidLayerException: client(400),
    InvalidLayerPartException: client(400),
    InvalidParameterException: client(400),
    InvalidTagParameterException: client(400),
    LayerAlreadyExistsException: client(400),
    LayerPartTooSmallException: client(400),
    LayersNotFoundException: client(400),
    LimitExceededException: client(400),
    ReferencedImagesNotFoundException: client(400),
    RegistryNotFoundException: client(400),
    RepositoryAlreadyExistsException: client(400),
    RepositoryCatalogDataNotFoundException: client(400),
    RepositoryNotEmptyException: client(400),
    RepositoryNotFoundException: client(400),
    RepositoryPolicyNotFoundException: client(400),
    ServerException: server(500),
    TooManyTagsException: client(400),
    UnsupportedCommandException: client(400),
    UploadNotFoundException: client(400),
  },
  organizations: {
    ...JSON_COMMON,
    AccessDeniedException: client(403),
    AccessDeniedForDependencyException: client(403),
    AccountNotFoundException: client(404),
    AlreadyInOrganizationException: client(409),
    AWSOrganizationsNotInUseException: client(404),
    ChildNotFoundException: client(404),
    ConcurrentModificationException: client(409),
    ConstraintViolationException: client(409),
    CreateAccountStatusNotFoundException: client(404),
    DestinationParentNotFoundException: client(404),
    DuplicateAccountException: client(409),
    DuplicateOrganizationalUnitException: client(409),
    DuplicatePolicyAttachmentException: client(409),
    DuplicatePolicyException: client(409),
    FinalizingOrganizationException: client(409),
    InvalidInputException: client(400),
    MalformedPolicyDocumentException: client(400),
    OrganizationalUnitNotEmptyException: client(409),
    OrganizationalUnitNotFoundException: client(404),
    ParentNotFoundException: client(404),
    PolicyInUseException: client(409),
    PolicyNotAttachedException: client(409),
    PolicyNotFoundException: client(404),
    PolicyTypeAlreadyEnabledException: client(409),
    PolicyTypeNotAvailableForOrganizationException: client(409),
    PolicyTypeNotEnabledException: client(409),
    RootNotFoundException: client(404),
    ServiceException: server(500),
    SourceParentNotFoundException: client(404),
    TargetNotFoundException: client(404),
    TooManyRequestsException: client(429),
    UnsupportedAPIEndpointException: client(403),
  },
  secretsmanager: {
    ...JSON_COMMON,
    DecryptionFailure: client(400),
    EncryptionFailure: client(400),
    InternalServiceError: server(500),
    InvalidNextTokenException: client(400),
    InvalidParameterException: client(400),
    InvalidRequestException: client(400),
    LimitExceededException: client(400),
    MalformedPolicyDocumentException: client(400),
    PreconditionNotMetException: client(400),
    PublicPolicyException: client(400),
    ResourceExistsException: client(400),
    ResourceNotFoundException: client(400),
  },
} as const satisfies Record<AwsService, Record<string, ErrorSpec>>;

/** The codes one service may answer; typos in adapters become compile errors. */
export type AwsErrorCode<S extends AwsService> = keyof (typeof AWS_ERRORS)[S] & string;

/** Scalar extra members some error shapes carry (ECR `lastValidByteReceived`, Organizations `Reason`). */
export type AwsErrorFields = Readonly<Record<string, string | number | boolean>>;

/** Options for errors built outside the catalogue. */
export interface AwsErrorOptions {
  /** Defaults to `server` for 5xx statuses, else `client`. */
  readonly fault?: Fault;
  readonly fields?: AwsErrorFields;
}

/** The message AWS sends with `InternalFailure`; it reveals nothing about the cause. */
export const INTERNAL_FAILURE_MESSAGE = 'We encountered an internal error. Please try again.';

/**
 * An error as an AWS API answers it. Thrown by services and adapters, rendered once by the
 * protocol encoders; `code` is what SDKs turn into `err.name`.
 */
export class AwsError extends Error {
  readonly fault: Fault;
  readonly fields: AwsErrorFields | undefined;

  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    options: AwsErrorOptions = {},
  ) {
    super(message);
    this.name = 'AwsError';
    this.fault = options.fault ?? (status >= 500 ? 'server' : 'client');
    this.fields = options.fields;
  }

  /** Builds an error whose status and fault come from the catalogue, as adapters should. */
  static of<S extends AwsService>(
    service: S,
    code: AwsErrorCode<S>,
    message: string,
    fields?: AwsErrorFields,
  ): AwsError {
    const spec = errorSpec(service, code);
    if (spec === undefined) throw new Error(`no catalogue entry for ${service} ${code}`);
    return new AwsError(code, message, spec.status, { fault: spec.fault, fields });
  }
}

/** Looks a code up in one service's catalogue (undefined when the service never answers it). */
export function errorSpec(service: AwsService, code: string): ErrorSpec | undefined {
  const table: Readonly<Record<string, ErrorSpec>> = AWS_ERRORS[service];
  return Object.hasOwn(table, code) ? table[code] : undefined;
}

/**
 * Turns whatever was thrown into something the encoders can send: an `AwsError` passes through,
 * anything else becomes a bare `InternalFailure` 500 (the caller logs the original with the request id).
 */
export function toAwsError(err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  return new AwsError('InternalFailure', INTERNAL_FAILURE_MESSAGE, 500);
}
