import { Compiled, type CompiledPolicy, type CompiledStatement } from './compile.js';
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
  /**
   * The caller promises that every key of `context` is already lower-cased (`aws:sourceip`,
   * `aws:requesttag/team`), so a key is read directly instead of being compared case-insensitively
   * with each key of `context`. A key holding an upper-case letter is then never found.
   */
  readonly contextKeysLowerCase?: boolean;
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
 * One evaluation in progress: the request's context keys, resolved lazily (nothing is built
 * unless a condition or a policy variable asks; explicit context wins over keys derived from the
 * principal and resource), and what the scans have found so far.
 */
class Run implements KeyLookup {
  readonly matched: MatchedStatement[] = [];
  /** The strongest way a resource-policy Allow named the caller. */
  grant: PrincipalMatch | undefined = undefined;
  constructor(
    readonly req: AuthzRequest,
    readonly near: NearMiss[] | undefined,
  ) {}

  get(k: string): ContextValue | undefined {
    const context = this.req.context;
    if (context !== undefined) {
      const v =
        this.req.contextKeysLowerCase === true ? lookupExact(context, k) : lookupIgnoringCase(context, k);
      if (v !== undefined) return v;
    }
    return derivedKey(this.req, k);
  }
}

/**
 * `record[key]` for an own key equal to `lowerKey`. A scan rather than a keyed read: property
 * names and the engine's key names are both shared copies (see `contextKey`), so each comparison
 * is a pointer comparison, and a context has a handful of keys.
 */
function lookupExact(
  record: Readonly<Record<string, ContextValue>>,
  lowerKey: string,
): ContextValue | undefined {
  for (const key in record) if (key === lowerKey && Object.hasOwn(record, key)) return record[key];
  return undefined;
}

/** `record[key]` for the key that lower-cases to `lowerKey` (the last such key, as a Map built in order would hold). */
function lookupIgnoringCase(
  record: Readonly<Record<string, ContextValue>>,
  lowerKey: string,
): ContextValue | undefined {
  let found: ContextValue | undefined;
  for (const key in record) {
    if (lowersTo(key, lowerKey, 0) && Object.hasOwn(record, key)) found = record[key];
  }
  return found;
}

/**
 * `key.toLowerCase() === lower.slice(from)`, without allocating for ASCII keys. Lower-casing maps
 * each ASCII character to one character, so an ASCII key compares code by code; a key with any
 * other character takes the exact route. Only U+0130 changes length when lower-cased (it becomes
 * two code units; glob.test.ts checks this over every code point), so a key of another length can
 * only match if it holds one.
 */
function lowersTo(key: string, lower: string, from: number): boolean {
  const n = key.length;
  if (n !== lower.length - from) {
    return n < lower.length - from && key.includes('\u0130') && key.toLowerCase() === lower.slice(from);
  }
  for (let i = 0; i < n; i++) {
    let c = key.charCodeAt(i);
    if (c >= 128) return key.toLowerCase() === lower.slice(from);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(from + i)) return false;
  }
  return true;
}

/** Keys derived from the principal and the resource. */
function derivedKey(req: AuthzRequest, k: string): ContextValue | undefined {
  const p = req.principal;
  const slash = k.indexOf('/');
  if (slash !== -1) {
    if (slash === PRINCIPAL_TAG.length && k.startsWith(PRINCIPAL_TAG)) return tagValue(p.tags, k, slash + 1);
    if (k.endsWith(':resourcetag', slash)) return tagValue(req.resourceTags, k, slash + 1);
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
      return req.resourceAccount ?? p.account;
    default:
      return undefined;
  }
}

const PRINCIPAL_TAG = 'aws:principaltag';

/** Tag lookup with IAM's case-insensitive keys: the tag `k.slice(from)` names (first match wins). */
function tagValue(
  tags: Readonly<Record<string, string>> | undefined,
  k: string,
  from: number,
): string | undefined {
  if (tags === undefined) return undefined;
  for (const key in tags) if (lowersTo(key, k, from)) return tags[key];
  return undefined;
}

/** What a scan found, as bits. */
const ALLOW = 1;
const DENY = 2;

/** Scans the statements of `refs` that apply to the request; records them in `run`. */
function scan(refs: readonly PolicyRef[], type: PolicyType, run: Run): number {
  let found = 0;
  for (let r = 0; r < refs.length; r++) found |= scanPolicy(refs[r] as PolicyRef, type, run);
  return found;
}

function scanPolicy(ref: PolicyRef, type: PolicyType, run: Run): number {
  const policy = ref.policy;
  const action = run.req.action;
  if (policy instanceof Compiled) {
    const sole = policy.soleStatementFor(action);
    if (sole === null) return 0;
    if (sole !== undefined) return scanStatement(ref, type, run, sole);
  }
  const statements = policy.statementsFor(action);
  let found = 0;
  for (let i = 0; i < statements.length; i++) {
    found |= scanStatement(ref, type, run, statements[i] as CompiledStatement);
  }
  return found;
}

/** Whether the statement applies to the request (recorded in `run`): its effect as bits, else 0. */
function scanStatement(ref: PolicyRef, type: PolicyType, run: Run, s: CompiledStatement): number {
  const req = run.req;
  if (s.matchesResource !== undefined && !s.matchesResource(req.resource, run)) return 0;
  let m: PrincipalMatch | undefined;
  if (s.matchesPrincipal !== undefined) {
    m = s.matchesPrincipal(req.principal);
    if (m === undefined) return 0;
  }
  if (s.condition !== undefined && !s.condition(run)) {
    if (run.near !== undefined && s.failingClauses !== undefined) {
      run.near.push(nearMiss(ref, type, s, s.failingClauses(run)));
    }
    return 0;
  }
  run.matched.push(matchedEntry(ref, type, s, m));
  if (s.effect === 'Deny') return DENY;
  if (m !== undefined && type === 'resource') run.grant = strongerMatch(run.grant, m);
  return ALLOW;
}

function matchedEntry(
  ref: PolicyRef,
  type: PolicyType,
  s: CompiledStatement,
  m: PrincipalMatch | undefined,
): MatchedStatement {
  if (m === undefined) {
    return s.sid === undefined
      ? { policyId: ref.id, policyType: type, index: s.index, effect: s.effect }
      : { policyId: ref.id, policyType: type, index: s.index, sid: s.sid, effect: s.effect };
  }
  return s.sid === undefined
    ? { policyId: ref.id, policyType: type, index: s.index, effect: s.effect, principalMatch: m }
    : { policyId: ref.id, policyType: type, index: s.index, sid: s.sid, effect: s.effect, principalMatch: m };
}

function nearMiss(
  ref: PolicyRef,
  type: PolicyType,
  s: CompiledStatement,
  failing: readonly ConditionClauseInfo[],
): NearMiss {
  return s.sid === undefined
    ? { policyId: ref.id, policyType: type, index: s.index, effect: s.effect, failing }
    : { policyId: ref.id, policyType: type, index: s.index, sid: s.sid, effect: s.effect, failing };
}

/** A side that was scanned (`found` bits) or not (`undefined`). */
function verdict(found: number | undefined): SideVerdict {
  if (found === undefined) return 'n/a';
  return found & DENY ? 'deny' : found & ALLOW ? 'allow' : 'none';
}

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
    ? `${head} with an explicit deny in ${by === 'identity' ? 'an' : 'a'} ${POLICY_TYPE_NAMES[by]}`
    : `${head} because no ${POLICY_TYPE_NAMES[by]} allows the ${req.action} action`;
}

/**
 * Decides a request as AWS does: an explicit deny anywhere wins; SCPs and RCPs must allow where
 * they apply; within one account an Allow in the identity policies OR the resource policy suffices
 * (subject to which principal form the resource policy used, see {@link BYPASS_BY_MATCH}); across
 * accounts both sides must allow; boundaries and session policies cap what identity policies grant.
 * Pure: the same request always yields the same result.
 */
export function evaluate(req: AuthzRequest, opts?: EvaluateOptions): AuthzResult {
  const p = req.principal;
  const run = new Run(req, opts?.explain ? [] : undefined);
  const pol = req.policies;
  const noIdentity = p.type === 'Account' || p.type === 'Service' || p.type === 'Anonymous';
  const resourceOnly = p.type === 'Service' || p.type === 'Anonymous';

  const identity = noIdentity
    ? undefined
    : pol.identity !== undefined
      ? scan(pol.identity, 'identity', run)
      : 0;
  const resource = pol.resource !== undefined ? scan(pol.resource, 'resource', run) : undefined;
  const boundary =
    pol.boundary !== undefined && !noIdentity ? scanPolicy(pol.boundary, 'boundary', run) : undefined;
  const session =
    pol.session !== undefined && pol.session.length > 0 && !noIdentity
      ? scan(pol.session, 'session', run)
      : undefined;
  const scp = pol.scp !== undefined && !resourceOnly ? scanLevels(pol.scp, 'scp', run) : undefined;
  const rcp = pol.rcp !== undefined ? scanLevels(pol.rcp, 'rcp', run) : undefined;

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

  // Explicit denies, in the order AWS attributes them.
  if (sides.scp === 'deny') return denied(run, crossAccount, sides, 'scp', true);
  if (sides.rcp === 'deny') return denied(run, crossAccount, sides, 'rcp', true);
  if (sides.identity === 'deny') return denied(run, crossAccount, sides, 'identity', true);
  if (sides.resource === 'deny') return denied(run, crossAccount, sides, 'resource', true);
  if (sides.boundary === 'deny') return denied(run, crossAccount, sides, 'boundary', true);
  if (sides.session === 'deny') return denied(run, crossAccount, sides, 'session', true);
  if (scp !== undefined && !(scp & ALLOW)) return denied(run, crossAccount, sides, 'scp', false);
  if (rcp !== undefined && !(rcp & ALLOW)) return denied(run, crossAccount, sides, 'rcp', false);

  const grant = run.grant;
  const identityAllows = p.type === 'Account' || (identity !== undefined && (identity & ALLOW) !== 0);
  const boundaryOk = boundary === undefined || (boundary & ALLOW) !== 0;
  const sessionOk = session === undefined || (session & ALLOW) !== 0;

  if (resourceOnly) {
    return grant !== undefined
      ? allowed(run, crossAccount, sides)
      : denied(run, crossAccount, sides, 'resource', false);
  }
  if (crossAccount) {
    if (!identityAllows) return denied(run, crossAccount, sides, 'identity', false);
    if (!boundaryOk) return denied(run, crossAccount, sides, 'boundary', false);
    if (!sessionOk) return denied(run, crossAccount, sides, 'session', false);
    if (grant === undefined) return denied(run, crossAccount, sides, 'resource', false);
    return allowed(run, crossAccount, sides);
  }
  // Same account.
  if (grant === undefined && req.resourcePolicyRequired)
    return denied(run, crossAccount, sides, 'resource', false);
  const bypass = grant === undefined ? 0 : BYPASS_BY_MATCH[grant];
  if (!identityAllows && !(bypass & BYPASS.identity))
    return denied(run, crossAccount, sides, 'identity', false);
  if (!boundaryOk && !(bypass & BYPASS.boundary)) return denied(run, crossAccount, sides, 'boundary', false);
  if (!sessionOk && !(bypass & BYPASS.session)) return denied(run, crossAccount, sides, 'session', false);
  return allowed(run, crossAccount, sides);
}

// Results are written as whole literals (no spreads, no properties added later) in the key order
// callers have always seen; `nearMisses` only exists in explain mode.
function allowed(run: Run, crossAccount: boolean, sides: Record<PolicyType, SideVerdict>): AuthzResult {
  const { matched, grant, near } = run;
  if (near !== undefined) {
    return grant === undefined
      ? { decision: 'Allow', crossAccount, sides, matched, nearMisses: near }
      : { decision: 'Allow', crossAccount, sides, matched, resourceGrant: grant, nearMisses: near };
  }
  return grant === undefined
    ? { decision: 'Allow', crossAccount, sides, matched }
    : { decision: 'Allow', crossAccount, sides, matched, resourceGrant: grant };
}

function denied(
  run: Run,
  crossAccount: boolean,
  sides: Record<PolicyType, SideVerdict>,
  by: PolicyType,
  explicit: boolean,
): AuthzResult {
  const { matched, grant, near } = run;
  const decision = explicit ? 'ExplicitDeny' : 'ImplicitDeny';
  const denial = { by, explicit };
  const message = denialMessage(run.req, by, explicit);
  if (near !== undefined) {
    return grant === undefined
      ? { decision, crossAccount, sides, matched, nearMisses: near, denial, message }
      : { decision, crossAccount, sides, matched, resourceGrant: grant, nearMisses: near, denial, message };
  }
  return grant === undefined
    ? { decision, crossAccount, sides, matched, denial, message }
    : { decision, crossAccount, sides, matched, resourceGrant: grant, denial, message };
}

/** Every level must allow; a deny at any level denies. */
function scanLevels(levels: readonly (readonly PolicyRef[])[], type: PolicyType, run: Run): number {
  let allowAll = true;
  let deny = false;
  for (const level of levels) {
    const found = scan(level, type, run);
    if (found & DENY) deny = true;
    if (!(found & ALLOW)) allowAll = false;
  }
  return (allowAll ? ALLOW : 0) | (deny ? DENY : 0);
}
