/**
 * GetAuthorizationToken: the password of `aws ecr get-login-password` and `docker login -u AWS`.
 */
import type { Caller } from '../../auth/caller.js';
import { issueRegistryToken, REGISTRY_TOKEN_TTL_MS } from '../../auth/tokens.js';
import { proxyEndpoint } from './addressing.js';
import { ECR_LIMITS } from './errors.js';
import type { AuthorizationDataOut, EcrInputs, EcrOutputs } from './present.js';
import type { EcrContext } from './service.js';
import { checkListLength, checkRegistryId } from './validate.js';

/**
 * When a login token issued now stops working: 12 hours on, or when the caller's temporary
 * credentials expire if sooner; whole seconds, as tokens carry them.
 */
export function loginTokenWindow(
  now: number,
  caller: Caller,
): { readonly issuedAt: number; readonly expiresAt: number } {
  const issuedAt = Math.floor(now / 1000) * 1000;
  const session = credentialExpiry(caller);
  const ttlEnd = issuedAt + REGISTRY_TOKEN_TTL_MS;
  return { issuedAt, expiresAt: Math.floor(Math.min(ttlEnd, session ?? ttlEnd) / 1000) * 1000 };
}

/** `authorizationToken`: base64(`AWS:` + a registry token standing for the caller). */
export function loginToken(
  key: Uint8Array,
  caller: Caller,
  registryId: string,
  region: string,
  window: { readonly issuedAt: number; readonly expiresAt: number },
): string {
  const password = issueRegistryToken(key, {
    accessKeyId: caller.accessKeyId,
    registryId,
    region,
    ...window,
  });
  return Buffer.from(`AWS:${password}`, 'utf8').toString('base64');
}

/** When the caller's credentials stop working: a session's expiry, or never for long-term keys. */
function credentialExpiry(caller: Caller): number | undefined {
  const id = caller.identity;
  if (id.kind === 'role-session' || id.kind === 'user-session' || id.kind === 'root-session')
    return id.session.expiresAt.getTime();
  return undefined;
}

/**
 * GetAuthorizationToken. Authorized on `*` in the caller's own account, so only the caller's
 * identity-based policies can allow it: a repository policy that lists `ecr:GetAuthorizationToken`
 * (seed 001) grants nothing. The token stands for the caller (it names the caller's access key,
 * and every registry request resolves that key again), whichever registry it is asked for:
 * `registryIds` (at most 10) only choose which `proxyEndpoint`s come back, one entry per id, the
 * caller's own registry when absent. It expires after 12 hours, or with the caller's temporary
 * credentials if they expire sooner; `authorizationToken` is base64(`AWS:` + password).
 */
export async function getAuthorizationToken(
  ctx: EcrContext,
  caller: Caller,
  input: EcrInputs['GetAuthorizationToken'],
): Promise<EcrOutputs['GetAuthorizationToken']> {
  const ids = input.registryIds;
  if (ids !== undefined) {
    checkListLength('registryIds', ids.length, ECR_LIMITS.registryIdsPerToken);
    for (const id of ids) checkRegistryId(id, 'registryIds');
  }
  await ctx.allowRegistryAction(caller, 'ecr:GetAuthorizationToken');

  // Tokens carry whole seconds; the answer shows the expiry the token really has.
  const window = loginTokenWindow(ctx.deps.clock.now(), caller);
  const region = caller.request.region;
  const authorizationData: AuthorizationDataOut[] = (ids ?? [caller.account.id]).map((registryId) => ({
    authorizationToken: loginToken(ctx.deps.registryTokenKey, caller, registryId, region, window),
    expiresAt: new Date(window.expiresAt),
    proxyEndpoint: proxyEndpoint(ctx.deps.addressing, registryId, region),
  }));
  return { authorizationData };
}
