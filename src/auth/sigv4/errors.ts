/**
 * Why a SigV4 check failed, and how each protocol family reports it on the wire. The verifier is
 * protocol-neutral: it returns a {@link SigV4Failure} with AWS's message, and the awsJson or
 * awsQuery adapter renders it with the code and status from {@link wireError}.
 *
 * Codes and statuses, with the public evidence they rest on:
 * - awsQuery (STS, IAM): `InvalidClientTokenId` 403, `SignatureDoesNotMatch` 403 (also used for
 *   clock skew: "An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity
 *   operation: Signature expired: ... (... - 15 min.)", aws/aws-cli#6676, and for AssumeRole in
 *   devsecops/bootcamp#101; for a wrong scope region on IAM, JuliaCloud/AWS.jl#565),
 *   `ExpiredToken` 403 (an IAM `<ErrorResponse>` with `403 Forbidden`, cfn-sphere/cfn-sphere#55;
 *   STS 403 in aws/aws-sdk-java-v2#1649), `MissingAuthenticationToken` 403 "Request is missing
 *   Authentication Token" (STS `<ErrorResponse>` in amzn/selling-partner-api-docs#3081,
 *   cert-manager/aws-privateca-issuer#40), `IncompleteSignature` 400 (query-protocol SES answer
 *   with status 400 in brendanhay/amazonka#316; STS in jenkinsci/aws-credentials-plugin#72).
 * - awsJson (ECR, Organizations; Coral services answer 400 for every authentication failure):
 *   `UnrecognizedClientException` 400 "The security token included in the request is invalid."
 *   (ECR GetAuthorizationToken in aws/aws-sdk-php#1114, kciter/aws-ecr-action#15),
 *   `InvalidSignatureException` 400 (ECR "Signature expired: ... - 15 min.)" with status 400 in
 *   upmc-enterprises/registry-creds#24; aws/aws-sdk-js#254), `ExpiredTokenException` 400
 *   (DynamoDB, same Coral front end: guregu/dynamo#68), `IncompleteSignatureException` 400
 *   (iann0036/cloud9-sync#10). `MissingAuthenticationTokenException` 400 is inferred from the
 *   same Coral family (unconfirmed for ECR itself).
 */

/** Every way SigV4 verification can fail; the adapter maps each to a wire code per family. */
export type SigV4FailureKind =
  /** No `Authorization` header and no presigned query parameters. */
  | 'MissingAuthentication'
  /** The header or query parameters are malformed or incomplete. */
  | 'IncompleteSignature'
  /** The access key id is unknown (or inactive). */
  | 'InvalidClientTokenId'
  /** The recomputed signature differs (wrong secret, altered request, wrong canonicalization). */
  | 'SignatureDoesNotMatch'
  /** Credential scope disagrees with the request: date, region, service or terminator. */
  | 'ScopeMismatch'
  /** Signed too long ago or too far in the future, or a presigned URL past its expiry. */
  | 'RequestExpired'
  /** The temporary credentials behind the key have expired. */
  | 'ExpiredToken'
  /** A session token was sent but is not the key's token (or the key takes none). */
  | 'InvalidToken'
  /** A temporary key was used without its session token. */
  | 'MissingToken';

/** A verification failure with AWS's wording; never contains a secret or a session token. */
export interface SigV4Failure {
  readonly kind: SigV4FailureKind;
  readonly message: string;
}

/** The protocol families crossdock speaks; each reports authentication errors differently. */
export type ProtocolFamily = 'awsJson' | 'awsQuery';

/** A wire error: the code clients dispatch on and the HTTP status AWS pairs with it. */
export interface WireError {
  readonly code: string;
  readonly status: number;
}

/** AWS's exact messages, quoted so clients and tests that match on them keep working. */
export const MESSAGES = {
  missingAuthentication: 'Request is missing Authentication Token',
  invalidToken: 'The security token included in the request is invalid.',
  expiredToken: 'The security token included in the request is expired',
  signatureDoesNotMatch:
    'The request signature we calculated does not match the signature you provided. ' +
    'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  hostNotSigned: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
  presignedParams:
    "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', " +
    "'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.",
} as const;

/** Code and status per failure kind and family; one table so docs and tests can check it. */
export const WIRE_ERRORS: Readonly<Record<SigV4FailureKind, Readonly<Record<ProtocolFamily, WireError>>>> = {
  MissingAuthentication: {
    awsJson: { code: 'MissingAuthenticationTokenException', status: 400 },
    awsQuery: { code: 'MissingAuthenticationToken', status: 403 },
  },
  IncompleteSignature: {
    awsJson: { code: 'IncompleteSignatureException', status: 400 },
    awsQuery: { code: 'IncompleteSignature', status: 400 },
  },
  InvalidClientTokenId: {
    awsJson: { code: 'UnrecognizedClientException', status: 400 },
    awsQuery: { code: 'InvalidClientTokenId', status: 403 },
  },
  InvalidToken: {
    awsJson: { code: 'UnrecognizedClientException', status: 400 },
    awsQuery: { code: 'InvalidClientTokenId', status: 403 },
  },
  MissingToken: {
    awsJson: { code: 'UnrecognizedClientException', status: 400 },
    awsQuery: { code: 'InvalidClientTokenId', status: 403 },
  },
  SignatureDoesNotMatch: {
    awsJson: { code: 'InvalidSignatureException', status: 400 },
    awsQuery: { code: 'SignatureDoesNotMatch', status: 403 },
  },
  ScopeMismatch: {
    awsJson: { code: 'InvalidSignatureException', status: 400 },
    awsQuery: { code: 'SignatureDoesNotMatch', status: 403 },
  },
  RequestExpired: {
    awsJson: { code: 'InvalidSignatureException', status: 400 },
    awsQuery: { code: 'SignatureDoesNotMatch', status: 403 },
  },
  ExpiredToken: {
    awsJson: { code: 'ExpiredTokenException', status: 400 },
    awsQuery: { code: 'ExpiredToken', status: 403 },
  },
};

/** The code and HTTP status a protocol family answers for a failure kind. */
export function wireError(kind: SigV4FailureKind, family: ProtocolFamily): WireError {
  return WIRE_ERRORS[kind][family];
}

/** Builds a failure value (kept tiny so the hot path allocates one object). */
export function failure(kind: SigV4FailureKind, message: string): SigV4Failure {
  return { kind, message };
}
