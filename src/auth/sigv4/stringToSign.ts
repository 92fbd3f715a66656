/**
 * Step 2 of SigV4: the string to sign, which binds the algorithm, the request time, the
 * credential scope and a hash of the canonical request together.
 */
import { createHash } from 'node:crypto';

/** The only algorithm AWS's default clients use (SigV4a is not accepted here). */
export const ALGORITHM = 'AWS4-HMAC-SHA256';

/** Every credential scope ends with this terminator. */
export const SCOPE_TERMINATOR = 'aws4_request';

/** `yyyymmdd/region/service/aws4_request`, the scope the signing key is derived for. */
export function credentialScope(date: string, region: string, service: string): string {
  return date + '/' + region + '/' + service + '/' + SCOPE_TERMINATOR;
}

/** Lowercase hex SHA-256 of a string's UTF-8 bytes (canonical requests, empty bodies). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The string to sign for a canonical request, `amzDate` in basic ISO-8601 (`20150830T123600Z`). */
export function stringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return ALGORITHM + '\n' + amzDate + '\n' + scope + '\n' + sha256Hex(canonicalRequest);
}
