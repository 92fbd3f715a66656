import type { RequestPrincipal } from '../iam/index.js';
import type { Account, Role, StsSession, User } from '../store/meta/records.js';

/** Facts about the connection a request arrived on, for aws:SourceIp and friends. */
export interface RequestInfo {
  readonly sourceIp: string;
  readonly secure: boolean;
  /** The region of the SigV4 scope (or the server's default region). */
  readonly region: string;
}

/** What the caller's credentials stand for: the account's root, an IAM user, or a temporary session. */
export type CallerIdentity =
  | { readonly kind: 'root' }
  | { readonly kind: 'user'; readonly user: User }
  | { readonly kind: 'role-session'; readonly role: Role; readonly session: StsSession }
  | { readonly kind: 'user-session'; readonly user: User; readonly session: StsSession }
  | { readonly kind: 'root-session'; readonly session: StsSession };

/** An authenticated caller: the engine's principal plus the entities behind it. */
export interface Caller {
  readonly principal: RequestPrincipal;
  readonly account: Account;
  readonly accessKeyId: string;
  readonly identity: CallerIdentity;
  readonly request: RequestInfo;
}

/**
 * Someone who made a registry request with no credentials. Only ECR Public's pulls accept one
 * (anyone may pull a public image); everything else answers it with a challenge.
 */
export interface Anonymous {
  readonly anonymous: true;
  readonly request: RequestInfo;
  /** Whether it came with an anonymous token of the public registry's token endpoint. */
  readonly bearer?: boolean;
}

/** Whoever made a registry request: an authenticated caller, or nobody in particular. */
export type Requester = Caller | Anonymous;

/** Whether a request came with no identity. */
export function isAnonymous(r: Requester): r is Anonymous {
  return 'anonymous' in r;
}

/** `arn:aws:iam::A:user/path/name` — the path keeps its slashes. */
export function userArn(u: Pick<User, 'accountId' | 'path' | 'name'>): string {
  return `arn:aws:iam::${u.accountId}:user${u.path}${u.name}`;
}

/** `arn:aws:iam::A:role/path/name`. */
export function roleArn(r: Pick<Role, 'accountId' | 'path' | 'name'>): string {
  return `arn:aws:iam::${r.accountId}:role${r.path}${r.name}`;
}

/** `arn:aws:sts::A:assumed-role/RoleName/SessionName` — no role path, as AWS writes it. */
export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

/** `arn:aws:iam::A:root`. */
export function rootArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:root`;
}

function tagRecord(tags: readonly { key: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) out[t.key] = t.value;
  return out;
}

/**
 * The engine's view of a caller. Role sessions carry the role's tags overridden by session tags
 * (case-insensitive keys, the session wins), `aws:userid` is `AROA…:session`, and `aws:PrincipalArn`
 * is the role ARN with its path.
 */
export function principalOf(account: Account, identity: CallerIdentity): RequestPrincipal {
  const org = account.organizationId !== undefined ? { orgId: account.organizationId } : {};
  switch (identity.kind) {
    case 'root':
    case 'root-session':
      return {
        type: 'Account',
        arn: rootArn(account.id),
        account: account.id,
        principalArn: rootArn(account.id),
        userId: account.id,
        ...org,
      };
    case 'user':
    case 'user-session': {
      const u = identity.user;
      const arn = userArn(u);
      return {
        type: 'User',
        arn,
        account: account.id,
        principalArn: arn,
        uniqueId: u.id,
        userId: u.id,
        userName: u.name,
        ...(u.tags.length > 0 && { tags: tagRecord(u.tags) }),
        ...org,
      };
    }
    case 'role-session': {
      const { role, session } = identity;
      const sessionName = session.principal.type === 'AssumedRole' ? session.principal.sessionName : '';
      const tags: Record<string, string> = tagRecord(role.tags);
      for (const t of session.tags) {
        for (const k of Object.keys(tags)) if (k.toLowerCase() === t.key.toLowerCase()) delete tags[k];
        tags[t.key] = t.value;
      }
      return {
        type: 'AssumedRole',
        arn: assumedRoleArn(account.id, role.name, sessionName),
        account: account.id,
        principalArn: roleArn(role),
        uniqueId: role.id,
        userId: `${role.id}:${sessionName}`,
        ...(Object.keys(tags).length > 0 && { tags }),
        ...org,
      };
    }
  }
}
