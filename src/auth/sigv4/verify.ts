/**
 * SigV4 verification: the checks AWS runs before a request reaches a service, in AWS's order
 * (form → parse → scope → key → session token → time → signature), each failing with AWS's
 * wording. Pure: the clock and the credential store arrive in {@link VerifyOptions}, so any HTTP
 * framework (and any test) can call it with plain data.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  decodeQueryComponent,
  parseQuery,
  type HeaderMap,
  type QueryParam,
} from './canonical.js';
import { failure, MESSAGES, type SigV4Failure } from './errors.js';
import {
  formatAmzDate,
  parseAmzDate,
  parseAuthorization,
  parseCredential,
  parseHttpDate,
  splitSignedHeaders,
  type ParsedCredential,
} from './parse.js';
import { deriveSigningKey, signString, type SigningKeyCache } from './signingKey.js';
import { ALGORITHM, credentialScope, SCOPE_TERMINATOR, stringToSign } from './stringToSign.js';

/** A request as received, in plain data so that any HTTP framework can hand it over. */
export interface SignedRequest {
  readonly method: string;
  /** The raw path as it appeared on the wire, still percent-encoded, without the query. */
  readonly path: string;
  /** The raw query string without `?` (empty when none). */
  readonly query: string;
  /**
   * Lowercased header names as node gives them. Pass repeated headers as arrays (node's
   * `headersDistinct`): node's `headers` joins them with `, `, which is not SigV4's `,`.
   */
  readonly headers: HeaderMap;
  /** Lowercase hex SHA-256 of the body, computed by the server while it reads the body once. */
  readonly bodySha256Hex: string;
}

/** What the credential store knows about an access key. */
export interface CredentialRecord {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for temporary credentials; the request must carry exactly this token. */
  readonly sessionToken?: string;
  /** Expiry of temporary credentials, epoch ms. */
  readonly expiresAt?: number;
  /** Opaque to the verifier; handed back so the caller can resolve the principal. */
  readonly principal: unknown;
}

/** Everything the verifier needs from outside: clock, credential lookup, policy, key cache. */
export interface VerifyOptions {
  /** The current time, epoch ms (injected so tests are deterministic). */
  readonly now: number;
  /** Finds an active access key; `undefined` for unknown, deleted or inactive keys. */
  lookup(accessKeyId: string): Promise<CredentialRecord | undefined>;
  /** Allowed clock skew either way; AWS allows 15 minutes. */
  readonly maxSkewMs?: number;
  /** The service(s) the endpoint serves; the scope's service must be one of them. */
  readonly expectedService?: string | readonly string[];
  /**
   * The region the endpoint serves; the scope's region must equal it, except for the global
   * services in {@link GLOBAL_SERVICES}.
   */
  readonly region?: string;
  /** Cache of derived signing keys; without one every request derives its key (slow). */
  readonly keyCache?: SigningKeyCache;
}

/** The verdict: the verified credential and scope, or a failure with AWS's message. */
export type VerifyResult =
  | {
      readonly ok: true;
      readonly credential: CredentialRecord;
      /** The scope the request was signed for; `service` tells STS from IAM on a shared port. */
      readonly scope: { readonly date: string; readonly region: string; readonly service: string };
      readonly signedHeaders: readonly string[];
      readonly presigned: boolean;
      /** When the request was signed, epoch ms. */
      readonly signedAt: number;
    }
  | { readonly ok: false; readonly error: SigV4Failure };

/** AWS's window for request time versus server time (both directions). */
export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;

/** The longest `X-Amz-Expires` a presigned request may carry: one week, in seconds. */
export const MAX_PRESIGN_EXPIRES_S = 604800;

/**
 * Services whose AWS endpoint is global. With `--endpoint-url` the AWS CLI signs them with its
 * configured region rather than us-east-1 (see shared/fixtures: IAM signed for eu-west-1), so a
 * region check would refuse the real CLI.
 */
export const GLOBAL_SERVICES: readonly string[] = ['iam', 'sts', 'organizations'];

function firstHeader(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined || typeof v === 'string') return v;
  return v[0];
}

function firstParam(params: readonly QueryParam[], key: string): string | undefined {
  for (const p of params) if (p.key === key) return decodeQueryComponent(p.rawValue);
  return undefined;
}

function fail(kind: SigV4Failure['kind'], message: string): VerifyResult {
  return { ok: false, error: failure(kind, message) };
}

/** Compares two strings in time independent of where they differ (lengths are not secret). */
function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** What the two carriers (header, presigned query) have in common once parsed. */
interface Carrier {
  readonly presigned: boolean;
  readonly credential: ParsedCredential;
  readonly signedHeadersRaw: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly amzDate: string;
  readonly signedAt: number;
  readonly sessionToken: string | undefined;
  /** Seconds, presigned only. */
  readonly expiresS: number | undefined;
  /** A payload hash the client declared (header or presigned parameter), to hold to the body. */
  readonly declaredPayloadHash: string | undefined;
}

function headerCarrier(req: SignedRequest, authorization: string): Carrier | SigV4Failure {
  const xAmzDate = firstHeader(req.headers, 'x-amz-date');
  const httpDate = xAmzDate === undefined ? firstHeader(req.headers, 'date') : undefined;
  const parsed = parseAuthorization(authorization, xAmzDate !== undefined || httpDate !== undefined);
  if (!parsed.ok) return parsed.error;
  let amzDate: string;
  let signedAt: number | undefined;
  if (xAmzDate !== undefined) {
    amzDate = xAmzDate.trim();
    signedAt = parseAmzDate(amzDate);
    if (signedAt === undefined) {
      return failure(
        'IncompleteSignature',
        `x-amz-date \`${amzDate}\` is not an iso-8601 basic date (yyyymmddThhmmssZ)`,
      );
    }
  } else {
    signedAt = parseHttpDate(httpDate as string);
    if (signedAt === undefined)
      return failure('IncompleteSignature', `date \`${httpDate}\` is not an http date`);
    amzDate = formatAmzDate(signedAt);
  }
  return {
    presigned: false,
    credential: parsed.value.credential,
    signedHeadersRaw: parsed.value.signedHeadersRaw,
    signedHeaders: parsed.value.signedHeaders,
    signature: parsed.value.signature,
    amzDate,
    signedAt,
    sessionToken: firstHeader(req.headers, 'x-amz-security-token'),
    expiresS: undefined,
    declaredPayloadHash: firstHeader(req.headers, 'x-amz-content-sha256'),
  };
}

function presignedCarrier(req: SignedRequest, params: readonly QueryParam[]): Carrier | SigV4Failure {
  const algorithm = firstParam(params, 'X-Amz-Algorithm');
  const credential = firstParam(params, 'X-Amz-Credential');
  const signature = firstParam(params, 'X-Amz-Signature');
  const amzDate = firstParam(params, 'X-Amz-Date');
  const signedHeadersRaw = firstParam(params, 'X-Amz-SignedHeaders');
  if (
    algorithm === undefined ||
    credential === undefined ||
    signature === undefined ||
    amzDate === undefined ||
    signedHeadersRaw === undefined
  ) {
    return failure('IncompleteSignature', MESSAGES.presignedParams);
  }
  if (algorithm !== ALGORITHM) {
    return failure('IncompleteSignature', `unsupported signing algorithm \`${algorithm}\`; use ${ALGORITHM}`);
  }
  const cred = parseCredential(credential);
  if (!cred.ok) return cred.error;
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) {
    return failure(
      'IncompleteSignature',
      `X-Amz-Date \`${amzDate}\` is not an iso-8601 basic date (yyyymmddThhmmssZ)`,
    );
  }
  const expires = firstParam(params, 'X-Amz-Expires');
  let expiresS: number | undefined;
  if (expires !== undefined) {
    // Wording of the first two as S3 answers them; the services crossdock emulates do not document theirs.
    if (!/^[0-9]+$/.test(expires)) return failure('IncompleteSignature', 'X-Amz-Expires should be a number');
    expiresS = Number(expires);
    if (expiresS > MAX_PRESIGN_EXPIRES_S) {
      return failure(
        'IncompleteSignature',
        'X-Amz-Expires must be less than a week (in seconds) that is 604800',
      );
    }
    if (expiresS < 1) return failure('IncompleteSignature', 'X-Amz-Expires must be at least 1 second');
  }
  return {
    presigned: true,
    credential: cred.value,
    signedHeadersRaw,
    signedHeaders: splitSignedHeaders(signedHeadersRaw),
    signature,
    amzDate,
    signedAt,
    sessionToken: firstParam(params, 'X-Amz-Security-Token'),
    expiresS,
    declaredPayloadHash:
      firstParam(params, 'X-Amz-Content-Sha256') ?? firstHeader(req.headers, 'x-amz-content-sha256'),
  };
}

function checkScope(c: Carrier, opts: VerifyOptions): SigV4Failure | undefined {
  const scope = c.credential;
  if (scope.terminator !== SCOPE_TERMINATOR) {
    return failure(
      'ScopeMismatch',
      `Credential should be scoped with a valid terminator: '${SCOPE_TERMINATOR}', not '${scope.terminator}'.`,
    );
  }
  const day = c.amzDate.slice(0, 8);
  if (scope.date !== day) {
    return failure(
      'ScopeMismatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ` +
        `'${scope.date}' != '${day}', from '${c.amzDate}'.`,
    );
  }
  const expected = opts.expectedService;
  if (expected !== undefined) {
    const allowed =
      typeof expected === 'string' ? expected === scope.service : expected.includes(scope.service);
    if (!allowed) {
      const name = typeof expected === 'string' ? expected : (expected[0] ?? '');
      return failure('ScopeMismatch', `Credential should be scoped to correct service: '${name}'. `);
    }
  }
  if (opts.region !== undefined && scope.region !== opts.region && !GLOBAL_SERVICES.includes(scope.service)) {
    return failure('ScopeMismatch', `Credential should be scoped to a valid region, not '${scope.region}'. `);
  }
  return undefined;
}

function checkToken(c: Carrier, cred: CredentialRecord, now: number): SigV4Failure | undefined {
  if (cred.sessionToken !== undefined) {
    if (c.sessionToken === undefined) return failure('MissingToken', MESSAGES.invalidToken);
    if (!constantTimeEqual(c.sessionToken, cred.sessionToken))
      return failure('InvalidToken', MESSAGES.invalidToken);
  } else if (c.sessionToken !== undefined) {
    return failure('InvalidToken', MESSAGES.invalidToken);
  }
  if (cred.expiresAt !== undefined && now >= cred.expiresAt)
    return failure('ExpiredToken', MESSAGES.expiredToken);
  return undefined;
}

function checkTime(c: Carrier, now: number, skewMs: number): SigV4Failure | undefined {
  const minutes = `${skewMs / 60000} min.`;
  if (c.signedAt > now + skewMs) {
    return failure(
      'RequestExpired',
      `Signature not yet current: ${c.amzDate} is still later than ${formatAmzDate(now + skewMs)} ` +
        `(${formatAmzDate(now)} + ${minutes})`,
    );
  }
  if (c.expiresS !== undefined && now > c.signedAt + c.expiresS * 1000) {
    return failure('RequestExpired', 'Request has expired');
  }
  // Presigned or not, AWS's non-S3 services hold the signing time to the skew window as well
  // (aws/aws-sdk-go#2167: a presigned STS URL lives 15 minutes whatever X-Amz-Expires says).
  if (c.signedAt < now - skewMs) {
    return failure(
      'RequestExpired',
      `Signature expired: ${c.amzDate} is now earlier than ${formatAmzDate(now - skewMs)} ` +
        `(${formatAmzDate(now)} - ${minutes})`,
    );
  }
  return undefined;
}

/**
 * Verifies a SigV4-signed request (Authorization header or presigned query). Resolves to the
 * verified credential and scope, or to the first failure in AWS's check order. Rejects only when
 * `lookup` rejects.
 */
export async function verifyRequest(req: SignedRequest, opts: VerifyOptions): Promise<VerifyResult> {
  const params = parseQuery(req.query);
  const authorization = firstHeader(req.headers, 'authorization');
  let carrier: Carrier | SigV4Failure;
  if (authorization !== undefined && authorization.trim().length > 0) {
    carrier = headerCarrier(req, authorization);
  } else if (
    params.some(
      (p) => p.key === 'X-Amz-Algorithm' || p.key === 'X-Amz-Credential' || p.key === 'X-Amz-Signature',
    )
  ) {
    carrier = presignedCarrier(req, params);
  } else {
    return fail('MissingAuthentication', MESSAGES.missingAuthentication);
  }
  if ('kind' in carrier) return { ok: false, error: carrier };
  const c = carrier;

  if (!c.signedHeaders.includes('host')) return fail('IncompleteSignature', MESSAGES.hostNotSigned);
  const scopeError = checkScope(c, opts);
  if (scopeError !== undefined) return { ok: false, error: scopeError };

  const cred = await opts.lookup(c.credential.accessKeyId);
  if (cred === undefined || cred.accessKeyId !== c.credential.accessKeyId) {
    return fail('InvalidClientTokenId', MESSAGES.invalidToken);
  }
  const tokenError = checkToken(c, cred, opts.now);
  if (tokenError !== undefined) return { ok: false, error: tokenError };
  const timeError = checkTime(c, opts.now, opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS);
  if (timeError !== undefined) return { ok: false, error: timeError };

  // The body the server read is what was signed; a declared hash that disagrees (or an
  // UNSIGNED-PAYLOAD, which only S3 accepts) cannot be honoured.
  if (c.declaredPayloadHash !== undefined && c.declaredPayloadHash !== req.bodySha256Hex) {
    return fail('SignatureDoesNotMatch', MESSAGES.signatureDoesNotMatch);
  }

  const creq = canonicalRequest({
    method: req.method,
    canonicalUri: canonicalUri(req.path),
    canonicalQuery: canonicalQuery(params, c.presigned ? 'X-Amz-Signature' : undefined),
    canonicalHeaders: canonicalHeaders(req.headers, c.signedHeaders),
    signedHeaders: c.signedHeadersRaw,
    payloadHash: req.bodySha256Hex,
  });
  const { date, region, service } = c.credential;
  const sts = stringToSign(c.amzDate, credentialScope(date, region, service), creq);
  const key =
    opts.keyCache !== undefined
      ? opts.keyCache.get(cred.secretAccessKey, date, region, service)
      : deriveSigningKey(cred.secretAccessKey, date, region, service);
  if (!constantTimeEqual(signString(key, sts), c.signature)) {
    return fail('SignatureDoesNotMatch', MESSAGES.signatureDoesNotMatch);
  }
  return {
    ok: true,
    credential: cred,
    scope: { date, region, service },
    signedHeaders: c.signedHeaders,
    presigned: c.presigned,
    signedAt: c.signedAt,
  };
}
