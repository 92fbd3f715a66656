import type { CompiledPolicy, CompiledStatement } from './compile.js';
import type { ConditionClauseInfo } from './conditions/index.js';
import type { ContextValue, KeyLookup } from './context.js';
import type { Effect } from './policy/types.js';
import {
  BYPASS,
  BYPASS_BY_MATCH,
  strongerMatch,
  type PrincipalMatch,
  type RequestPrincipal,
} from './principal.js';

/** The three outcomes AWS distinguishes. */
export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** The policy types that take part in a decision; they name the reason in AWS's denial sentence. */
export type PolicyType = 'identity' | 'resource' | 'boundary' | 'session' | 'scp' | 'rcp';

/** A compiled policy with the id explanations use for it (an ARN, `inline:RoleName/PolicyName`, ...). */
export interface PolicyRef {
  readonly id: string;
  readonly policy: CompiledPolicy;
}

/**
 * Every policy that takes part, gathered by the caller (the engine never fetches). Presence
 * matters: a `boundary` or non-empty `session` means the caller has one and it must allow; `scp` /
 * `rcp` are given only where they apply (member accounts), one list per level of the organization
 * (root, each OU, the account), and every level must allow.
 */
export interface PolicySet {
  readonly identity?: readonly PolicyRef[];
  readonly resource?: readonly PolicyRef[];
  readonly boundary?: PolicyRef;
  readonly session?: readonly PolicyRef[];
  readonly scp?: readonly (readonly PolicyRef[])[];
  readonly rcp?: readonly (readonly PolicyRef[])[];
}

/** A full request context: who, what, on which resource (owned by whom, tagged how), and the context keys. */
export interface AuthzRequest {
  readonly principal: RequestPrincipal;
  readonly action: string;
  /** The resource ARN, or `*` for actions without a resource type (ecr:GetAuthorizationToken). */
  readonly resource: string;
  /** The account owning the resource; defaults to the caller's account. */
  readonly resourceAccount?: string;
  /** Tags of the resource: `aws:ResourceTag/*` and `<service>:ResourceTag/*`. */
  readonly resourceTags?: Readonly<Record<string, string>>;
  /** Other context keys (aws:CurrentTime, aws:SourceIp, aws:RequestTag/*, sts:ExternalId...). */
  readonly context?: Readonly<Record<string, ContextValue>>;
  readonly policies: PolicySet;
  /**
   * The resource policy must allow even within one account: role trust policies (AssumeRole) and
   * KMS key policies work this way.
   */
  readonly resourcePolicyRequired?: boolean;
}

/** A statement that applied to the request (its action, resource, principal and conditions all matched). */
export interface MatchedStatement {
  readonly policyId: string;
  readonly policyType: PolicyType;
  readonly index: number;
  readonly sid?: string;
  readonly effect: Effect;
  /** For resource policies: how the Principal named the caller. */
  readonly principalMatch?: PrincipalMatch;
}

/** A statement that would have applied but for its conditions (explain mode only). */
export interface NearMiss extends Omit<MatchedStatement, 'principalMatch'> {
  readonly failing: readonly ConditionClauseInfo[];
}

/** What one policy type said: allowed, explicitly denied, said nothing, or does not apply. */
export type SideVerdict = 'allow' | 'deny' | 'none' | 'n/a';

/** The decision with everything needed to explain it. */
export interface AuthzResult {
  readonly decision: Decision;
  readonly crossAccount: boolean;
  /** For a denial: the policy type AWS names, and whether it was an explicit deny. */
  readonly denial?: { readonly by: PolicyType; readonly explicit: boolean };
  readonly sides: Readonly<Record<PolicyType, SideVerdict>>;
  /** The strongest way a resource-policy Allow named the caller. */
  readonly resourceGrant?: PrincipalMatch;
  readonly matched: readonly MatchedStatement[];
  /** Statements defeated only by conditions (present when evaluated with `explain: true`). */
  readonly nearMisses?: readonly NearMiss[];
  /** AWS's AccessDenied sentence for a denial. */
  readonly message?: string;
}

/** Options for {@link evaluate}. */
export interface EvaluateOptions {
  /** Also collect statements that failed only on conditions. Slower; for `crossdock explain`. */
  readonly explain?: boolean;
}

/**
 * Context keys for one request, resolved lazily: nothing is built unless a condition or a policy
 * variable asks. Explicit context wins over keys derived from the principal and resource.
 */
class RequestKeys implements KeyLookup {
  private explicit: Map<string, ContextValue> | undefined;
  constructor(private readonly req: AuthzRequest) {}

  get(k: string): ContextValue | undefined {
    if (this.req.context !== undefined) {
      if (this.explicit === undefined) {
        this.explicit = new Map();
        for (const [key, v] of Object.entries(this.req.context)) this.explicit.set(key.toLowerCase(), v);
      }
      const v = this.explicit.get(k);
      if (v !== undefined) return v;
    }
    return this.derived(k);
  }

  private derived(k: string): ContextValue | undefined {
    const p = this.req.principal;
    const slash = k.indexOf('/');
    if (slash !== -1) {
      const prefix = k.slice(0, slash);
      const tagKey = k.slice(slash + 1);
      if (prefix === 'aws:principaltag') return tagValue(p.tags, tagKey);
      if (prefix.endsWith(':resourcetag')) return tagValue(this.req.resourceTags, tagKey);
      return undefined;
    }
    switch (k) {
      case 'aws:principalarn':
        return p.principalArn;
      case 'aws:principalaccount':
        return p.type === 'Anonymous' ? 'anonymous' : p.account;
      case 'aws:principaltype':
        return p.type === 'Service' ? undefined : p.type;
      case 'aws:userid':
        return p.type === 'Anonymous' ? 'anonymous' : p.userId;
      case 'aws:username':
        return p.type === 'User' ? p.userName : undefined;
      case 'aws:principalorgid':
        return p.orgId;
      case 'aws:principalorgpaths':
        return p.orgPaths;
      case 'aws:principalisawsservice':
        return p.type === 'Service' ? 'true' : 'false';
      case 'aws:resourceaccount':
        return this.req.resourceAccount ?? p.account;
      default:
        return undefined;
    }
  }
}

/** Tag lookup with IAM's case-insensitive keys. */
function tagValue(tags: Readonly<Record<string, string>> | undefined, lowerKey: string): string | undefined {
  if (tags === undefined) return undefined;
  for (const k in tags) if (k.toLowerCase() === lowerKey) return tags[k];
  return undefined;
}

interface Scan {
  allow: boolean;
  deny: boolean;
  grant: PrincipalMatch | undefined;
}

function statementApplies(
  s: CompiledStatement,
  req: AuthzRequest,
  keys: KeyLookup,
): PrincipalMatch | null | false {
  if (s.matchesResource !== undefined && !s.matchesResource(req.resource, keys)) return false;
  let m: PrincipalMatch | undefined;
  if (s.matchesPrincipal !== undefined) {
    m = s.matchesPrincipal(req.principal);
    if (m === undefined) return false;
  }
  return m ?? null;
}

function scan(
  refs: readonly PolicyRef[],
  type: PolicyType,
  req: AuthzRequest,
  keys: KeyLookup,
  matched: MatchedStatement[],
  nearMisses: NearMiss[] | undefined,
): Scan {
  const out: Scan = { allow: false, deny: false, grant: undefined };
  for (const ref of refs) {
    for (const s of ref.policy.statementsFor(req.action)) {
      const m = statementApplies(s, req, keys);
      if (m === false) continue;
      if (s.condition !== undefined && !s.condition(keys)) {
        if (nearMisses !== undefined && s.failingClauses !== undefined) {
          nearMisses.push({ ...base(ref, type, s), failing: s.failingClauses(keys) });
        }
        continue;
      }
      if (s.effect === 'Deny') out.deny = true;
      else {
        out.allow = true;
        if (m !== null) out.grant = strongerMatch(out.grant, m);
      }
      matched.push(m === null ? base(ref, type, s) : { ...base(ref, type, s), principalMatch: m });
    }
  }
  return out;
}

function base(ref: PolicyRef, type: PolicyType, s: CompiledStatement): MatchedStatement {
  return s.sid === undefined
    ? { policyId: ref.id, policyType: type, index: s.index, effect: s.effect }
    : { policyId: ref.id, policyType: type, index: s.index, sid: s.sid, effect: s.effect };
}

function verdict(s: Scan | undefined): SideVerdict {
  if (s === undefined) return 'n/a';
  return s.deny ? 'deny' : s.allow ? 'allow' : 'none';
}

/** The order in which a denial is attributed when several policy types deny. */
const DENY_ORDER: readonly PolicyType[] = ['scp', 'rcp', 'identity', 'resource', 'boundary', 'session'];

/** Names of policy types in AWS's sentences. */
export const POLICY_TYPE_NAMES: Readonly<Record<PolicyType, string>> = {
  identity: 'identity-based policy',
  resource: 'resource-based policy',
  boundary: 'permissions boundary',
  session: 'session policy',
  scp: 'service control policy',
  rcp: 'resource control policy',
};

/** AWS's AccessDenied sentence for a denial. */
export function denialMessage(
  req: Pick<AuthzRequest, 'principal' | 'action' | 'resource'>,
  by: PolicyType,
  explicit: boolean,
): string {
  const head = `User: ${req.principal.arn} is not authorized to perform: ${req.action} on resource: ${req.resource}`;
  return explicit
    ? `${head} with an explicit deny in a ${POLICY_TYPE_NAMES[by]}`
    : `${head} because no ${POLICY_TYPE_NAMES[by]} allows the ${req.action} action`;
}

/**
 * Decides a request as AWS does: an explicit deny anywhere wins; SCPs and RCPs must allow where
 * they apply; within one account an Allow in the identity policies OR the resource policy suffices
 * (subject to which principal form the resource policy used, see {@link BYPASS_BY_MATCH}); across
 * accounts both sides must allow; boundaries and session policies cap what identity policies grant.
 * Pure: the same request always yields the same result.
 */
export function evaluate(req: AuthzRequest, opts: EvaluateOptions = {}): AuthzResult {
  const p = req.principal;
  const keys = new RequestKeys(req);
  const matched: MatchedStatement[] = [];
  const near: NearMiss[] | undefined = opts.explain ? [] : undefined;
  const pol = req.policies;
  const noIdentity = p.type === 'Account' || p.type === 'Service' || p.type === 'Anonymous';
  const resourceOnly = p.type === 'Service' || p.type === 'Anonymous';

  const identity = noIdentity ? undefined : scan(pol.identity ?? [], 'identity', req, keys, matched, near);
  const resource =
    pol.resource !== undefined ? scan(pol.resource, 'resource', req, keys, matched, near) : undefined;
  const boundary =
    pol.boundary !== undefined && !noIdentity
      ? scan([pol.boundary], 'boundary', req, keys, matched, near)
      : undefined;
  const session =
    pol.session !== undefined && pol.session.length > 0 && !noIdentity
      ? scan(pol.session, 'session', req, keys, matched, near)
      : undefined;
  const scp =
    pol.scp !== undefined && !resourceOnly ? scanLevels(pol.scp, 'scp', req, keys, matched, near) : undefined;
  const rcp = pol.rcp !== undefined ? scanLevels(pol.rcp, 'rcp', req, keys, matched, near) : undefined;

  const sides: Record<PolicyType, SideVerdict> = {
    identity: p.type === 'Account' ? 'allow' : verdict(identity),
    resource: verdict(resource),
    boundary: verdict(boundary),
    session: verdict(session),
    scp: verdict(scp),
    rcp: verdict(rcp),
  };
  const resourceAccount = req.resourceAccount ?? p.account;
  const crossAccount = !resourceOnly && resourceAccount !== p.account;
  const grant = resource?.grant;
  const common = {
    crossAccount,
    sides,
    matched,
    ...(grant !== undefined && { resourceGrant: grant }),
    ...(near && { nearMisses: near }),
  };

  const deny = (by: PolicyType, explicit: boolean): AuthzResult => ({
    decision: explicit ? 'ExplicitDeny' : 'ImplicitDeny',
    ...common,
    denial: { by, explicit },
    message: denialMessage(req, by, explicit),
  });

  for (const t of DENY_ORDER) if (sides[t] === 'deny') return deny(t, true);
  if (scp !== undefined && !scp.allow) return deny('scp', false);
  if (rcp !== undefined && !rcp.allow) return deny('rcp', false);

  const identityAllows = p.type === 'Account' || identity?.allow === true;
  const boundaryOk = boundary === undefined || boundary.allow;
  const sessionOk = session === undefined || session.allow;

  if (resourceOnly) {
    return grant !== undefined ? { decision: 'Allow', ...common } : deny('resource', false);
  }
  if (crossAccount) {
    if (!identityAllows) return deny('identity', false);
    if (!boundaryOk) return deny('boundary', false);
    if (!sessionOk) return deny('session', false);
    if (grant === undefined) return deny('resource', false);
    return { decision: 'Allow', ...common };
  }
  // Same account.
  if (grant === undefined && req.resourcePolicyRequired) return deny('resource', false);
  const bypass = grant === undefined ? 0 : BYPASS_BY_MATCH[grant];
  if (!identityAllows && !(bypass & BYPASS.identity)) return deny('identity', false);
  if (!boundaryOk && !(bypass & BYPASS.boundary)) return deny('boundary', false);
  if (!sessionOk && !(bypass & BYPASS.session)) return deny('session', false);
  return { decision: 'Allow', ...common };
}

function scanLevels(
  levels: readonly (readonly PolicyRef[])[],
  type: PolicyType,
  req: AuthzRequest,
  keys: KeyLookup,
  matched: MatchedStatement[],
  near: NearMiss[] | undefined,
): Scan {
  let allowAll = true;
  let deny = false;
  for (const level of levels) {
    const s = scan(level, type, req, keys, matched, near);
    if (s.deny) deny = true;
    if (!s.allow) allowAll = false;
  }
  return { allow: allowAll, deny, grant: undefined };
}
