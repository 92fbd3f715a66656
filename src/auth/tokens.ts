import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Registry tokens: the password of `aws ecr get-login-password`, presented by registry clients as
 * HTTP Basic `AWS:<token>`. A token names the access key it was issued to and its expiry, and is
 * signed with the server's token key (HMAC-SHA-256), so it cannot be forged or stretched. It is
 * not a credential of its own: each registry request resolves the access key again, so a token
 * stands for the caller's identity and dies with it (key deleted or deactivated, session expired),
 * and expires after at most 12 hours, as ECR's do.
 *
 * Format: `CDT1.<payload>.<mac>`, both parts base64url; payload = JSON `{k, iat, exp, r, g}` (access
 * key id, issued-at and expiry in epoch seconds, registry account id, region). Like ECR's, a token
 * is good for the registries of the region it was requested in only.
 */
export interface RegistryTokenClaims {
  /** The access key id the token was issued to. */
  readonly accessKeyId: string;
  /** The account whose registry the token was requested for (`proxyEndpoint`). */
  readonly registryId: string;
  /** The region of the GetAuthorizationToken call: the only region whose registries accept it. */
  readonly region?: string;
  /** Epoch ms. */
  readonly issuedAt: number;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** ECR's token lifetime. */
export const REGISTRY_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

const PREFIX = 'CDT1';

function mac(key: Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Issues a token; `expiresAt` is capped by the caller to the credential's own expiry. */
export function issueRegistryToken(key: Uint8Array, claims: RegistryTokenClaims): string {
  const payload = Buffer.from(
    JSON.stringify({
      k: claims.accessKeyId,
      r: claims.registryId,
      ...(claims.region !== undefined && { g: claims.region }),
      iat: Math.floor(claims.issuedAt / 1000),
      exp: Math.floor(claims.expiresAt / 1000),
    }),
  ).toString('base64url');
  const signed = `${PREFIX}.${payload}`;
  return `${signed}.${mac(key, signed).toString('base64url')}`;
}

/** Why a token was refused; registry clients get a 401 with a Basic challenge either way. */
export type TokenProblem = 'malformed' | 'forged' | 'expired';

/** Verifies signature and expiry; the caller then resolves the access key. */
export function verifyRegistryToken(
  key: Uint8Array,
  token: string,
  now: number,
): { ok: true; claims: RegistryTokenClaims } | { ok: false; problem: TokenProblem } {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return { ok: false, problem: 'malformed' };
  const [, payload, sig] = parts as [string, string, string];
  const expected = mac(key, `${PREFIX}.${payload}`);
  const given = Buffer.from(sig, 'base64url');
  // The canonical-encoding check refuses a signature whose last character differs only in the
  // bits base64 ignores, so that exactly one token string verifies.
  if (
    given.length !== expected.length ||
    given.toString('base64url') !== sig ||
    !timingSafeEqual(given, expected)
  ) {
    return { ok: false, problem: 'forged' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (typeof raw !== 'object' || raw === null) return { ok: false, problem: 'malformed' };
  const { k, r, iat, exp, g } = raw as Record<string, unknown>;
  if (
    typeof k !== 'string' ||
    typeof r !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    (g !== undefined && typeof g !== 'string')
  ) {
    return { ok: false, problem: 'malformed' };
  }
  if (exp * 1000 <= now) return { ok: false, problem: 'expired' };
  return {
    ok: true,
    claims: {
      accessKeyId: k,
      registryId: r,
      issuedAt: iat * 1000,
      expiresAt: exp * 1000,
      ...(g !== undefined && { region: g }),
    },
  };
}

/** Reads HTTP Basic `AWS:<token>` (ECR's user name is always `AWS`). */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=._-]+)\s*$/i.exec(header);
  if (m === null) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
