/**
 * Who a request to ECR Public's registry comes from, and the Bearer tokens of its token endpoint.
 *
 * `public.ecr.aws` speaks the Docker token protocol: a request without a token gets 401 with
 * `WWW-Authenticate: Bearer realm=".../token/",service="public.ecr.aws",scope="aws"`; the client
 * asks the realm for a token — with no credentials for a pull, with Basic `AWS:<password>` from
 * `aws ecr-public get-login-password` to push — and sends it back as `Bearer`. Crossdock's tokens
 * are its registry tokens (`auth/tokens.ts`, HMAC-signed, region {@link PUBLIC_REGION}): an
 * anonymous one names no access key; one got with credentials names the caller's, is resolved
 * again on every request, and dies with the caller's identity as a Basic token does.
 *
 * On crossdock's path-style addresses (`HOST:PORT/public/<alias>/<repo>`) the `/v2/` ping is the
 * private registry's and answers a Basic challenge, so clients that follow it send Basic: empty
 * credentials then count as none (anonymous), and `AWS:<ecr-public password>` is the caller.
 */
import { isAnonymous, type Requester, type RequestInfo } from '../../../auth/caller.js';
import { issueRegistryToken, parseBasicAuth, verifyRegistryToken } from '../../../auth/tokens.js';
import type { EcrDeps } from '../deps.js';
import {
  authenticateRegistryToken,
  callerOfKey,
  unauthenticated,
  type VerifiedTokens,
} from '../registryAuth.js';
import { ServiceError } from '../../errors.js';
import { PUBLIC_REGION } from './partition.js';

/** How long a Bearer token of the public token endpoint lasts (at most; see {@link issuePublicBearer}). */
export const PUBLIC_BEARER_TTL_MS = 60 * 60 * 1000;

/** The `registryId` claim of Bearer tokens (they are good for every public repository). */
const BEARER_AUDIENCE = 'public';

/** A private registry's token offered to the public registry, or the reverse. */
function wrongRegistry(): ServiceError {
  return new ServiceError(
    'Unauthenticated',
    'this authorization token is not for ECR Public; get one with `aws ecr-public get-login-password --region us-east-1`',
  );
}

/** Whether an `Authorization` header carries no credentials (absent, or Basic with empty ones). */
function noCredentials(authorization: string | undefined): boolean {
  if (authorization === undefined || authorization.trim() === '') return true;
  const basic = parseBasicAuth(authorization);
  return basic !== undefined && basic.user === '' && basic.password === '';
}

/**
 * The requester of a public registry request: anonymous without credentials, the caller a Bearer
 * token of the token endpoint or a Basic `AWS:<ecr-public password>` stands for otherwise.
 * Throws `Unauthenticated` (401 + challenge) for anything forged, expired or meant elsewhere.
 */
export async function authenticatePublic(
  deps: EcrDeps,
  authorization: string | undefined,
  request: RequestInfo,
  tokens: VerifiedTokens,
): Promise<Requester> {
  const req: RequestInfo = { ...request, region: PUBLIC_REGION };
  if (noCredentials(authorization)) return { anonymous: true, request: req };
  const now = deps.clock.now();
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization!);
  if (bearer === null) {
    const basic = tokens.verify(deps.registryTokenKey, authorization, now);
    if (typeof basic === 'object' && basic.region !== PUBLIC_REGION) throw wrongRegistry();
    return authenticateRegistryToken(deps, authorization, req, tokens, { regionKnown: true });
  }
  const verified = verifyRegistryToken(deps.registryTokenKey, bearer[1]!, now);
  if (!verified.ok) throw unauthenticated(verified.problem === 'expired');
  if (verified.claims.region !== PUBLIC_REGION) throw wrongRegistry();
  if (verified.claims.accessKeyId === '') return { anonymous: true, request: req, bearer: true };
  return callerOfKey(deps, verified.claims.accessKeyId, req, now);
}

/**
 * `GET /token/` of the public registry: a Bearer token for whoever asks — anonymous without
 * credentials, the caller with Basic `AWS:<ecr-public password>` (refused with 401 when that
 * password is not good). A caller's token expires with the password it was got with, or after
 * {@link PUBLIC_BEARER_TTL_MS}, whichever comes first.
 */
export async function issuePublicBearer(
  deps: EcrDeps,
  authorization: string | undefined,
  request: RequestInfo,
  tokens: VerifiedTokens,
): Promise<{ readonly token: string; readonly issuedAt: Date; readonly expiresInSeconds: number }> {
  if (/^Bearer\s/i.test(authorization ?? '')) throw unauthenticated();
  const who = await authenticatePublic(deps, authorization, request, tokens);
  const issuedAt = Math.floor(deps.clock.now() / 1000) * 1000;
  let expiresAt = issuedAt + PUBLIC_BEARER_TTL_MS;
  if (!isAnonymous(who)) {
    const basic = tokens.verify(deps.registryTokenKey, authorization, deps.clock.now());
    if (typeof basic === 'object') expiresAt = Math.min(expiresAt, basic.expiresAt);
  }
  const token = issueRegistryToken(deps.registryTokenKey, {
    accessKeyId: isAnonymous(who) ? '' : who.accessKeyId,
    registryId: BEARER_AUDIENCE,
    region: PUBLIC_REGION,
    issuedAt,
    expiresAt,
  });
  return { token, issuedAt: new Date(issuedAt), expiresInSeconds: Math.floor((expiresAt - issuedAt) / 1000) };
}
