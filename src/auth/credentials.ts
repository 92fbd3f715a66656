import type { MetadataTx } from '../store/meta/MetadataStore.js';
import type { Account } from '../store/meta/records.js';
import { sessionTokenMatches, type SecretBox } from '../store/meta/secrets.js';
import type { CallerIdentity } from './caller.js';
import type { CredentialRecord } from './sigv4/index.js';

/** What a verified access key stands for; the `principal` of a {@link CredentialRecord}. */
export interface ResolvedCredential {
  readonly account: Account;
  readonly identity: CallerIdentity;
}

/**
 * Finds the secret and the identity behind an access key id, for SigV4 verification: `AKIA…`
 * keys of users and account roots, `ASIA…` keys of STS sessions. Inactive keys, and sessions whose
 * role or user is gone, are unknown. Because only a hash of each session token is stored, the
 * token the request presents is checked here and echoed back when it matches; a wrong token yields
 * a record whose token cannot match, so the verifier reports the mismatch.
 */
export async function resolveCredential(
  store: MetadataTx,
  box: SecretBox,
  accessKeyId: string,
  presentedToken: string | undefined,
): Promise<CredentialRecord | undefined> {
  if (accessKeyId.startsWith('ASIA')) {
    const session = await store.sessions.get(accessKeyId);
    if (session === undefined) return undefined;
    const account = await store.accounts.get(session.accountId);
    if (account === undefined || account.status !== 'ACTIVE') return undefined;
    let identity: CallerIdentity;
    const p = session.principal;
    if (p.type === 'AssumedRole') {
      const role = await store.roles.getById(p.roleId);
      if (role === undefined) return undefined;
      identity = { kind: 'role-session', role, session };
    } else if (p.type === 'User') {
      const user = await store.users.getById(p.userId);
      if (user === undefined) return undefined;
      identity = { kind: 'user-session', user, session };
    } else {
      identity = { kind: 'root-session', session };
    }
    const tokenMatches =
      presentedToken !== undefined && sessionTokenMatches(presentedToken, session.sessionTokenHash);
    const principal: ResolvedCredential = { account, identity };
    return {
      accessKeyId,
      secretAccessKey: box.unseal(session.secret, accessKeyId),
      // A value no request can carry when the presented token is absent or wrong.
      sessionToken: tokenMatches ? presentedToken : '\u0000mismatch',
      expiresAt: session.expiresAt.getTime(),
      principal,
    };
  }
  const key = await store.accessKeys.get(accessKeyId);
  if (key === undefined || key.status !== 'Active') return undefined;
  const account = await store.accounts.get(key.accountId);
  if (account === undefined || account.status !== 'ACTIVE') return undefined;
  let identity: CallerIdentity = { kind: 'root' };
  if (key.userName !== undefined) {
    const user = await store.users.get(key.accountId, key.userName);
    if (user === undefined) return undefined;
    identity = { kind: 'user', user };
  }
  const principal: ResolvedCredential = { account, identity };
  return { accessKeyId, secretAccessKey: box.unseal(key.secret, accessKeyId), principal };
}

/** Session tokens are kept at rest only as this hash (the store's definition, re-exported for services). */
export { hashSessionToken } from '../store/meta/secrets.js';
