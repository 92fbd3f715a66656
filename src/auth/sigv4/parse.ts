/**
 * Reading the signature's carriers: the `Authorization` header, the credential scope, and the
 * request time. Each parser returns a value or a {@link SigV4Failure} with AWS's wording, never
 * throws, so the verifier stays a straight line of checks.
 */
import { failure, type SigV4Failure } from './errors.js';
import { ALGORITHM } from './stringToSign.js';

/** A parse result: the value, or why AWS would refuse it. */
export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SigV4Failure };

/** `AKID/yyyymmdd/region/service/aws4_request`, split into its fields. */
export interface ParsedCredential {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
}

/** The three components of an `AWS4-HMAC-SHA256` Authorization header. */
export interface ParsedAuthorization {
  readonly algorithm: string;
  readonly credential: ParsedCredential;
  /** The `SignedHeaders` text exactly as sent; it is the canonical request's signed-headers line. */
  readonly signedHeadersRaw: string;
  /** Signed header names, lowercased for lookup. */
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/**
 * Splits a credential (`Credential=` value or `X-Amz-Credential` parameter). Scope values are
 * checked by the verifier; only the shape is checked here.
 */
export function parseCredential(value: string): Parsed<ParsedCredential> {
  const parts = value.split('/');
  if (parts.length !== 5 || parts.some((p) => p.length === 0)) {
    return {
      ok: false,
      error: failure(
        'IncompleteSignature',
        `credential \`${value}\` must have the form <access key id>/<yyyymmdd>/<region>/<service>/aws4_request`,
      ),
    };
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { ok: true, value: { accessKeyId, date, region, service, terminator } };
}

/** Splits `SignedHeaders` (`host;x-amz-date`) into lowercased names. */
export function splitSignedHeaders(raw: string): string[] {
  if (raw.length === 0) return [];
  return raw.split(';').map((h) => h.trim().toLowerCase());
}

/**
 * The scheme name alone is echoed for anything that is not SigV4, because a `Basic` or `Bearer`
 * header carries a secret; a SigV4 header only carries the access key id and a signature, which
 * AWS echoes too.
 */
function echo(header: string, algorithm: string): string {
  return algorithm === ALGORITHM ? header : algorithm;
}

/**
 * Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` as AWS does:
 * components separated by `,` with optional spaces, each `key=value`. `hasDate` says whether the
 * request carries `X-Amz-Date` or `Date`, because AWS lists that in the same message.
 */
export function parseAuthorization(header: string, hasDate = true): Parsed<ParsedAuthorization> {
  const trimmed = header.trim();
  const sp = trimmed.indexOf(' ');
  const algorithm = sp < 0 ? trimmed : trimmed.slice(0, sp);
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  if (algorithm === ALGORITHM || algorithm.startsWith('AWS4-')) {
    const rest = sp < 0 ? '' : trimmed.slice(sp + 1);
    for (const part of rest.split(',')) {
      const p = part.trim();
      if (p.length === 0) continue;
      const eq = p.indexOf('=');
      if (eq < 0) {
        return {
          ok: false,
          error: failure(
            'IncompleteSignature',
            `'${p}' not a valid key=value pair (missing equal-sign) in Authorization header: '${echo(trimmed, algorithm)}'.`,
          ),
        };
      }
      const key = p.slice(0, eq).trim();
      const value = p.slice(eq + 1).trim();
      if (key === 'Credential') credential = value;
      else if (key === 'SignedHeaders') signedHeaders = value;
      else if (key === 'Signature') signature = value;
    }
  }
  if (credential === undefined || signature === undefined || signedHeaders === undefined || !hasDate) {
    let message = '';
    if (credential === undefined) message += "Authorization header requires 'Credential' parameter. ";
    if (signature === undefined) message += "Authorization header requires 'Signature' parameter. ";
    if (signedHeaders === undefined) message += "Authorization header requires 'SignedHeaders' parameter. ";
    if (!hasDate)
      message += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    message += 'Authorization=' + echo(trimmed, algorithm);
    return { ok: false, error: failure('IncompleteSignature', message) };
  }
  if (algorithm !== ALGORITHM) {
    return {
      ok: false,
      error: failure(
        'IncompleteSignature',
        `unsupported signing algorithm \`${algorithm}\`; use ${ALGORITHM}`,
      ),
    };
  }
  const cred = parseCredential(credential);
  if (!cred.ok) return cred;
  return {
    ok: true,
    value: {
      algorithm,
      credential: cred.value,
      signedHeadersRaw: signedHeaders,
      signedHeaders: splitSignedHeaders(signedHeaders),
      signature,
    },
  };
}

function twoDigits(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** Formats epoch milliseconds as basic ISO-8601 (`20150830T123600Z`), dropping milliseconds. */
export function formatAmzDate(ms: number): string {
  const d = new Date(ms);
  return (
    String(d.getUTCFullYear()).padStart(4, '0') +
    twoDigits(d.getUTCMonth() + 1) +
    twoDigits(d.getUTCDate()) +
    'T' +
    twoDigits(d.getUTCHours()) +
    twoDigits(d.getUTCMinutes()) +
    twoDigits(d.getUTCSeconds()) +
    'Z'
  );
}

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Parses basic ISO-8601 `yyyymmddThhmmssZ` strictly (a real calendar date); undefined if not. */
export function parseAmzDate(s: string): number | undefined {
  if (s.length !== 16 || s.charCodeAt(8) !== 84 /* T */ || s.charCodeAt(15) !== 90 /* Z */) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 4, 6);
  const day = digits(s, 6, 8);
  const hour = digits(s, 9, 11);
  const minute = digits(s, 11, 13);
  const second = digits(s, 13, 15);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
    return undefined;
  }
  if (second < 0 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February over into March; a round trip rejects it.
  return formatAmzDate(ms) === s ? ms : undefined;
}

/** Parses an HTTP `Date` header (RFC 7231, e.g. `Mon, 09 Sep 2011 23:36:00 GMT`); undefined if not. */
export function parseHttpDate(s: string): number | undefined {
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000) * 1000;
}
