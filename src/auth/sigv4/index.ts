/**
 * SigV4 verification for every AWS API crossdock serves. The server hands a request over as
 * plain data and gets back the verified credential and scope, or a failure it renders with
 * {@link wireError} for its protocol family.
 */
export {
  canonicalHeaderValue,
  canonicalHeaders,
  canonicalQuery,
  canonicalQueryComponent,
  canonicalRequest,
  canonicalUri,
  parseQuery,
  uriEncode,
} from './canonical.js';
export type { CanonicalRequestParts, HeaderMap, QueryParam } from './canonical.js';
export { MESSAGES, WIRE_ERRORS, wireError } from './errors.js';
export type { ProtocolFamily, SigV4Failure, SigV4FailureKind, WireError } from './errors.js';
export { formatAmzDate, parseAmzDate, parseAuthorization, parseCredential, parseHttpDate } from './parse.js';
export type { Parsed, ParsedAuthorization, ParsedCredential } from './parse.js';
export { SigningKeyCache, deriveSigningKey, signString } from './signingKey.js';
export { ALGORITHM, SCOPE_TERMINATOR, credentialScope, sha256Hex, stringToSign } from './stringToSign.js';
export { DEFAULT_MAX_SKEW_MS, GLOBAL_SERVICES, MAX_PRESIGN_EXPIRES_S, verifyRequest } from './verify.js';
export type { CredentialRecord, SignedRequest, VerifyOptions, VerifyResult } from './verify.js';
