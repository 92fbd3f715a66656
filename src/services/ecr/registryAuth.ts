/**
 * Registry authentication: HTTP Basic `AWS:<token>` → the token's signature and expiry
 * (`auth/tokens.ts`) → the access key it names, resolved again on every request without SigV4
 * (there is no signature to check, only the key's life): an `AKIA…` key must exist, be Active, and
 * belong to an active account (and an existing user); an `ASIA…` session must exist, not be
 * expired, and its role or user must still exist. So a token stands for its caller's identity and
 * dies with it. Every failure is `ServiceError('Unauthenticated')` with one generic sentence,
 * except expiry (of the token or of the session it stands for), which says so in ECR's words:
 * "Your authorization token has expired. Reauthenticate and try again."
 *
 * A token's signature is verified once per `Authorization` header ({@link VerifiedTokens}; expiry
 * still on every request).
 */
import { principalOf, type Caller, type CallerIdentity, type RequestInfo } from '../../auth/caller.js';
import { parseBasicAuth, verifyRegistryToken, type RegistryTokenClaims } from '../../auth/tokens.js';
import type { Account } from '../../store/meta/records.js';
import { ServiceError } from '../errors.js';
import { INVALID_TOKEN_MESSAGE } from './access.js';
import type { EcrDeps } from './deps.js';
import type { RegistryScope } from './registry.js';

/** ECR's sentence for an expired registry token. */
export const TOKEN_EXPIRED_MESSAGE = 'Your authorization token has expired. Reauthenticate and try again.';

export function unauthenticated(expired = false): ServiceError {
  return new ServiceError('Unauthenticated', expired ? TOKEN_EXPIRED_MESSAGE : INVALID_TOKEN_MESSAGE);
}

/** A token got in one region, presented to a registry of another (ECR refuses it too). */
function otherRegion(tokenRegion: string, region: string): ServiceError {
  return new ServiceError(
    'Unauthenticated',
    `the authorization token was issued in region \`${tokenRegion}\`; get one in \`${region}\` for this registry`,
  );
}

/** The identity an access key id stands for right now, or why it stands for nothing. */
async function identityOf(
  deps: EcrDeps,
  accessKeyId: string,
  now: number,
): Promise<{ account: Account; identity: CallerIdentity } | 'expired' | undefined> {
  const store = deps.store;
  if (accessKeyId.startsWith('ASIA')) {
    const session = await store.sessions.get(accessKeyId);
    if (session === undefined) return undefined;
    if (session.expiresAt.getTime() <= now) return 'expired';
    const account = await store.accounts.get(session.accountId);
    if (account === undefined || account.status !== 'ACTIVE') return undefined;
    const p = session.principal;
    if (p.type === 'AssumedRole') {
      const role = await store.roles.getById(p.roleId);
      return role === undefined ? undefined : { account, identity: { kind: 'role-session', role, session } };
    }
    if (p.type === 'User') {
      const user = await store.users.getById(p.userId);
      return user === undefined ? undefined : { account, identity: { kind: 'user-session', user, session } };
    }
    return { account, identity: { kind: 'root-session', session } };
  }
  const key = await store.accessKeys.get(accessKeyId);
  if (key === undefined || key.status !== 'Active') return undefined;
  const account = await store.accounts.get(key.accountId);
  if (account === undefined || account.status !== 'ACTIVE') return undefined;
  if (key.userName === undefined) return { account, identity: { kind: 'root' } };
  const user = await store.users.get(key.accountId, key.userName);
  return user === undefined ? undefined : { account, identity: { kind: 'user', user } };
}

/** Verified tokens kept at most; past it, all are dropped and verified anew. */
const VERIFIED_TOKENS_MAX = 10_000;

/**
 * `Authorization` headers whose token verified (signature, shape), with its claims: a client
 * sends the same header on every request, and decoding and the HMAC then run once. Only what
 * cannot change is kept: expiry is checked on every request, and the access key is resolved
 * again every time (`identityOf`). Forged or malformed tokens are never kept.
 */
export class VerifiedTokens {
  private readonly claims = new Map<string, RegistryTokenClaims>();

  constructor(private readonly max = VERIFIED_TOKENS_MAX) {}

  /** The claims of a verified token, or why it is refused (as `verifyRegistryToken` says it). */
  verify(
    key: Uint8Array,
    authorization: string | undefined,
    now: number,
  ): RegistryTokenClaims | 'expired' | 'invalid' {
    const known = authorization === undefined ? undefined : this.claims.get(authorization);
    if (known !== undefined) return known.expiresAt <= now ? 'expired' : known;
    const basic = parseBasicAuth(authorization);
    if (basic === undefined || basic.user !== 'AWS') return 'invalid';
    const verified = verifyRegistryToken(key, basic.password, now);
    if (!verified.ok) return verified.problem === 'expired' ? 'expired' : 'invalid';
    if (this.claims.size >= this.max) this.claims.clear();
    this.claims.set(authorization!, verified.claims);
    return verified.claims;
  }
}

/**
 * Resolves `Authorization: Basic base64(AWS:<token>)` to the caller the token stands for; see the
 * module comment. Throws `ServiceError('Unauthenticated')` (the registry answers 401 + challenge).
 * `tokens` keeps verified tokens across calls (the backend passes its own).
 */
export async function authenticateRegistryToken(
  deps: EcrDeps,
  authorization: string | undefined,
  request: RequestInfo,
  tokens: VerifiedTokens = new VerifiedTokens(),
  scope: RegistryScope = { regionKnown: true },
): Promise<Caller> {
  const now = deps.clock.now();
  const verified = tokens.verify(deps.registryTokenKey, authorization, now);
  if (verified === 'invalid') throw unauthenticated();
  if (verified === 'expired') throw unauthenticated(true);
  if (scope.regionKnown && verified.region !== undefined && verified.region !== request.region)
    throw otherRegion(verified.region, request.region);
  return callerOfKey(deps, verified.accessKeyId, request, now);
}

/** The caller an access key named by a verified token stands for now, or `Unauthenticated`. */
export async function callerOfKey(
  deps: EcrDeps,
  accessKeyId: string,
  request: RequestInfo,
  now: number,
): Promise<Caller> {
  const resolved = await identityOf(deps, accessKeyId, now);
  if (resolved === 'expired') throw unauthenticated(true);
  if (resolved === undefined) throw unauthenticated();
  return {
    principal: principalOf(resolved.account, resolved.identity),
    account: resolved.account,
    accessKeyId,
    identity: resolved.identity,
    request,
  };
}
