import type { AuthzResult } from '../iam/index.js';

/**
 * An error a service raises, in the AWS vocabulary of the service it implements (IAM says
 * `NoSuchEntity`, ECR says `RepositoryNotFoundException`). Services know AWS semantics; the api
 * adapters only bind each code to its HTTP status and wire shape, in one place per protocol.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /**
     * Extra members some error shapes carry (Organizations' `Reason`, ECR's numeric
     * `lastValidByteReceived`), written to the wire with their JSON type.
     */
    readonly fields?: Readonly<Record<string, string | number | boolean>>,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/**
 * A request the policy engine denied. Carries the engine's result so logs and `crossdock explain`
 * can say which side was missing; the message is AWS's sentence. Adapters choose the wire code
 * (`AccessDenied` for IAM/STS, `AccessDeniedException` for ECR and Organizations).
 */
export class AccessDeniedError extends ServiceError {
  constructor(
    readonly result: AuthzResult,
    message: string,
  ) {
    super('AccessDenied', message);
    this.name = 'AccessDeniedError';
  }
}
