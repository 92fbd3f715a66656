import type { PrincipalBlock } from './policy/types.js';

/** Who is asking, in the terms of `aws:PrincipalType`; `Service` is an AWS service principal. */
export type PrincipalType = 'Account' | 'User' | 'AssumedRole' | 'FederatedUser' | 'Service' | 'Anonymous';

/**
 * The caller of a request, resolved by authentication. Everything the engine needs to match
 * Principal elements and to answer the principal's global condition keys.
 */
export interface RequestPrincipal {
  readonly type: PrincipalType;
  /**
   * The caller's own ARN as AWS names it in messages: `arn:aws:iam::A:root`, a user ARN, an
   * assumed-role session ARN `arn:aws:sts::A:assumed-role/R/S`, a federated-user ARN; for a service,
   * its name (`lambda.amazonaws.com`); for an anonymous caller, `anonymous`.
   */
  readonly arn: string;
  /** The caller's account; absent for services and anonymous callers. */
  readonly account?: string;
  /** `aws:PrincipalArn`: the user ARN, the root ARN, or for a role session the role ARN with its path. */
  readonly principalArn?: string;
  /** The IAM unique id of the user (AIDA…) or of the session's role (AROA…), as trust policies store it. */
  readonly uniqueId?: string;
  /** `aws:userid`: account id (root), AIDA… (user), AROA…:session (role session), account:name (federated). */
  readonly userId?: string;
  /** `aws:username`: IAM users only. */
  readonly userName?: string;
  /** `aws:PrincipalTag/*`: user tags, or role tags overridden by session tags. */
  readonly tags?: Readonly<Record<string, string>>;
  /** `aws:PrincipalOrgID` of the caller's account, when it is in an organization. */
  readonly orgId?: string;
  /** `aws:PrincipalOrgPaths`. */
  readonly orgPaths?: readonly string[];
  /** For `Federated` principals: the identity provider (`cognito-identity.amazonaws.com`, an OIDC provider ARN). */
  readonly federatedProvider?: string;
}

/**
 * How a resource-policy Principal matched the caller. The form decides, in the same account,
 * which of the caller's own policies may still limit the grant (IAM user guide, "policy
 * evaluation basics" table): a session ARN or user ARN grants directly, a role ARN is still limited
 * by boundary and session policies, an account principal is a delegation to the account's IAM.
 */
export type PrincipalMatch =
  'wildcard' | 'account' | 'user' | 'role' | 'session' | 'federated-user' | 'service' | 'federated';

/** Which same-account limits a resource-policy grant skips, per {@link PrincipalMatch}. */
export const BYPASS = { identity: 1, boundary: 2, session: 4 } as const;

/** Bit set of {@link BYPASS} flags per match form (AWS's table; `*` treated as the role row, which is unconfirmed for boundaries). */
export const BYPASS_BY_MATCH: Readonly<Record<PrincipalMatch, number>> = {
  wildcard: BYPASS.identity,
  account: 0,
  user: BYPASS.identity | BYPASS.boundary | BYPASS.session,
  role: BYPASS.identity,
  session: BYPASS.identity | BYPASS.boundary | BYPASS.session,
  'federated-user': BYPASS.identity | BYPASS.boundary | BYPASS.session,
  service: BYPASS.identity | BYPASS.boundary | BYPASS.session,
  federated: BYPASS.identity | BYPASS.boundary | BYPASS.session,
};

/** Precedence when several statements match: the strongest grant wins. */
const STRENGTH: Readonly<Record<PrincipalMatch, number>> = {
  account: 0,
  wildcard: 1,
  role: 1,
  user: 2,
  session: 2,
  'federated-user': 2,
  service: 2,
  federated: 2,
};

/** The stronger of two matches (undefined = no match). */
export function strongerMatch(
  a: PrincipalMatch | undefined,
  b: PrincipalMatch | undefined,
): PrincipalMatch | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return STRENGTH[b] > STRENGTH[a] ? b : a;
}

/** A compiled Principal element: answers how (or whether) it names the caller. */
export type PrincipalMatcher = (p: RequestPrincipal) => PrincipalMatch | undefined;

const ACCOUNT_ID = /^\d{12}$/;

/** One `AWS` principal value compiled to a test; the caller's fields are compared by identity. */
function compileAwsValue(value: string): PrincipalMatcher {
  if (value === '*') return () => 'wildcard';
  if (ACCOUNT_ID.test(value)) return (p) => (p.account === value && isIamCaller(p) ? 'account' : undefined);
  if (value.startsWith('AIDA'))
    return (p) => (p.type === 'User' && p.uniqueId === value ? 'user' : undefined);
  if (value.startsWith('AROA'))
    return (p) => (p.type === 'AssumedRole' && p.uniqueId === value ? 'role' : undefined);
  const parts = value.split(':');
  const service = parts[2];
  const account = parts[4] ?? '';
  const rest = parts.slice(5).join(':');
  if (service === 'iam' && rest === 'root') {
    return (p) => (p.account === account && isIamCaller(p) ? 'account' : undefined);
  }
  if (service === 'iam' && rest.startsWith('user/')) {
    return (p) => (p.type === 'User' && p.principalArn === value ? 'user' : undefined);
  }
  if (service === 'iam' && rest.startsWith('role/')) {
    return (p) => (p.type === 'AssumedRole' && p.principalArn === value ? 'role' : undefined);
  }
  if (service === 'sts' && rest.startsWith('assumed-role/')) {
    return (p) => (p.type === 'AssumedRole' && p.arn === value ? 'session' : undefined);
  }
  if (service === 'sts' && rest.startsWith('federated-user/')) {
    return (p) => (p.type === 'FederatedUser' && p.arn === value ? 'federated-user' : undefined);
  }
  return () => undefined;
}

function isIamCaller(p: RequestPrincipal): boolean {
  return p.type !== 'Service' && p.type !== 'Anonymous';
}

/** Compiles a Principal element (already validated by the parser) into one matcher. */
export function compilePrincipal(block: PrincipalBlock): PrincipalMatcher {
  if (block.kind === 'wildcard') return () => 'wildcard';
  const tests: PrincipalMatcher[] = [];
  for (const v of block.AWS ?? []) tests.push(compileAwsValue(v));
  for (const v of block.Service ?? []) {
    const name = v.toLowerCase();
    tests.push(
      v === '*'
        ? () => 'wildcard'
        : (p) => (p.type === 'Service' && p.arn.toLowerCase() === name ? 'service' : undefined),
    );
  }
  for (const v of block.Federated ?? []) {
    tests.push((p) => (p.federatedProvider === v ? 'federated' : undefined));
  }
  if (tests.length === 1) return tests[0]!;
  return (p) => {
    let best: PrincipalMatch | undefined;
    for (const t of tests) best = strongerMatch(best, t(p));
    return best;
  };
}

/**
 * Compiles a NotPrincipal element: the statement applies to callers it does NOT exclude. AWS
 * checks a caller's whole chain (account, then role or user, then session): a caller is excluded
 * only when every link it has is named, which is why AWS tells you to list the account, the role
 * and the session ARN together.
 */
export function compileNotPrincipal(block: PrincipalBlock): PrincipalMatcher {
  if (block.kind === 'wildcard') return () => undefined;
  const match = compilePrincipal(block);
  const aws = block.AWS ?? [];
  const namesEveryone = aws.includes('*');
  return (p) => {
    if (namesEveryone) return undefined;
    if (p.type === 'Service' || p.type === 'Anonymous')
      return match(p) === undefined ? 'wildcard' : undefined;
    const chain: RequestPrincipal[] = [
      { type: 'Account', arn: `arn:aws:iam::${p.account}:root`, account: p.account ?? '' },
    ];
    if (p.type === 'User') chain.push(p);
    if (p.type === 'AssumedRole') {
      chain.push({ ...p, arn: p.principalArn ?? p.arn }); // the role link
      chain.push(p); // the session link
    }
    if (p.type === 'FederatedUser') chain.push(p);
    const excluded = chain.every((link, i) => {
      const m = match(link);
      if (m === undefined) return false;
      if (i === 0) return m === 'account';
      if (p.type === 'AssumedRole') return i === 1 ? m === 'role' || m === 'session' : m === 'session';
      return true;
    });
    return excluded ? undefined : 'wildcard';
  };
}
