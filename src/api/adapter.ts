import type { Caller } from '../auth/caller.js';
import { AccessDeniedError, ServiceError } from '../services/errors.js';
import { AwsError, errorSpec, toAwsError, type AwsService } from './protocol/errors.js';
import type { DecodedOperation, OperationShapes } from './protocol/shape.js';
import type { OutputValue } from './protocol/wire.js';

/** What an operation handler gets besides its input. */
export interface OperationContext {
  readonly caller: Caller;
  readonly requestId: string;
}

/**
 * One AWS API as the server sees it: its operations' input shapes and a handler that calls the
 * service and returns the output members. Decoding and encoding belong to the protocol; the
 * handler only translates names.
 */
export interface ApiAdapter<Ops extends OperationShapes = OperationShapes> {
  readonly service: AwsService;
  readonly operations: Ops;
  handle(op: DecodedOperation<Ops>, ctx: OperationContext): Promise<OutputValue>;
}

/** The wire code for an access denial, per service. */
const ACCESS_DENIED: Record<AwsService, string> = {
  iam: 'AccessDenied',
  sts: 'AccessDenied',
  ecr: 'AccessDeniedException',
  'ecr-public': 'AccessDeniedException',
  organizations: 'AccessDeniedException',
  secretsmanager: 'AccessDeniedException',
};

/**
 * Maps whatever a handler threw to the wire error, once for every API: a {@link ServiceError}
 * keeps its code and message with the status of that code in the service's catalogue; an access
 * denial gets the service's own code; anything else is an internal failure (the caller logs it).
 */
export function toWireError(service: AwsService, err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  if (err instanceof AccessDeniedError) {
    const code = ACCESS_DENIED[service];
    return new AwsError(code, err.message, errorSpec(service, code)?.status ?? 403);
  }
  if (err instanceof ServiceError) {
    const spec = errorSpec(service, err.code);
    return new AwsError(err.code, err.message, spec?.status ?? 400, err.fields ? { fields: err.fields } : {});
  }
  return toAwsError(err);
}

/**
 * Forgets an adapter's operation types so that the server can keep every API in one table. Safe
 * because the codec decodes a request only against the adapter's own `operations`, so `handle` is
 * never given an operation of another table.
 */
export function mountable<Ops extends OperationShapes>(adapter: ApiAdapter<Ops>): ApiAdapter {
  return adapter as unknown as ApiAdapter;
}
