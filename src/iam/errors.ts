/**
 * Errors raised while parsing or validating a policy document. The engine is protocol-neutral:
 * `code` is the AWS error code the calling service reports (IAM and STS say
 * `MalformedPolicyDocument`, ECR says `InvalidParameterException`), and the service adapter maps it.
 */
export type PolicyErrorCode = 'MalformedPolicyDocument' | 'InvalidParameterException' | 'LimitExceeded';

/** A policy document AWS would refuse, with AWS's message and the statement it is about. */
export class PolicyError extends Error {
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
    /** Zero-based index of the offending statement, when the problem is inside one. */
    readonly statement?: number,
    /** A precise reason when AWS's own message is generic (ECR's "Invalid repository policy provided"). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}
