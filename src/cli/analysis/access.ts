/**
 * `crossdock explain` without the network: given every policy that takes part in one access
 * question (gathered by the command with the AWS SDK), decide it with the engine exactly as the
 * server does, say which side allows or denies in AWS's words, point at the deciding statements,
 * and work out a concrete fix. Fixes are not guessed: each proposed change (add a statement, remove
 * a Deny, tag the repository) is applied to a draft copy of the policies and the question is asked
 * again, until the engine allows or nothing more can be proposed; `fixesSuffice` says which.
 */
import {
  lookupFromRecord,
  PolicyCache,
  POLICY_TYPE_NAMES,
  evaluate,
  type AuthzRequest,
  type AuthzResult,
  type ContextValue,
  type Decision,
  type MatchedStatement,
  type PolicyKind,
  type PolicyRef,
  type PolicyType,
  type RequestPrincipal,
  type SideVerdict,
} from '../../iam/index.js';
import { actionDefinition, resourceTypeOf } from '../../iam/data/ecrActions.js';
import type { RepositoryTarget } from './targets.js';

/** Where a fetched policy lives, so a fix can name the command that changes it. */
export type PolicyOrigin =
  | {
      readonly kind: 'inline';
      readonly entity: 'user' | 'role' | 'group';
      readonly entityName: string;
      readonly policyName: string;
    }
  | {
      readonly kind: 'managed';
      readonly arn: string;
      readonly entity: 'user' | 'role' | 'group';
      readonly entityName: string;
    }
  | {
      readonly kind: 'boundary';
      readonly arn: string;
      readonly entity: 'user' | 'role';
      readonly entityName: string;
    }
  | { readonly kind: 'repository' }
  | { readonly kind: 'registry' }
  | { readonly kind: 'scp' | 'rcp'; readonly policyId: string; readonly target: string }
  | { readonly kind: 'new' };

/** A policy as fetched: a stable id, a human label ("inline policy `pull` of role `ci`") and its text. */
export interface FetchedPolicy {
  readonly id: string;
  readonly label: string;
  readonly text: string;
  readonly origin: PolicyOrigin;
}

/** Whose identity policies take part: the IAM user or the role behind a session. */
export interface Entity {
  readonly kind: 'user' | 'role';
  readonly name: string;
  readonly accountId: string;
}

/** Everything one access question needs; the command gathers it, this module only decides. */
export interface AccessInputs {
  readonly principal: RequestPrincipal;
  /** Absent for an account's root, which has no identity policies. */
  readonly entity?: Entity;
  readonly repository: RepositoryTarget;
  readonly resourceTags?: Readonly<Record<string, string>>;
  /** Global keys of the request (aws:CurrentTime, aws:RequestedRegion, ...). */
  readonly context?: Readonly<Record<string, ContextValue>>;
  readonly identity: readonly FetchedPolicy[];
  readonly boundary?: FetchedPolicy;
  readonly session?: readonly FetchedPolicy[];
  readonly repositoryPolicy?: FetchedPolicy;
  readonly registryPolicy?: FetchedPolicy;
  /** One list per level of the organization (root, OUs, account), when SCPs could be read and apply. */
  readonly scp?: readonly (readonly FetchedPolicy[])[];
  readonly rcp?: readonly (readonly FetchedPolicy[])[];
  /** What the trust policies say about ECS, when the caller or a role the repository grants is an ECS role. */
  readonly ecs?: EcsRoles;
}

/**
 * ECS's two roles of a task: the task role (`taskRoleArn`), whose credentials the application
 * gets, and the task execution role (`executionRoleArn`), which ECS itself uses to pull the image
 * and write logs. Both trust `ecs-tasks.amazonaws.com`, so the trust policies say which roles are
 * ECS roles, not which of the two a role is; the hints say so in those words.
 */
export interface EcsRoles {
  /** The caller's role trusts `ecs-tasks.amazonaws.com`. */
  readonly callerIsEcsRole: boolean;
  /** Other roles of the caller's account that the repository policy allows and ECS tasks assume. */
  readonly grantedEcsRoles: readonly string[];
}

/** A statement that took part, with where it lives and its JSON as written. */
export interface StatementView {
  readonly side: PolicyType;
  readonly policyId: string;
  readonly policy: string;
  readonly index: number;
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly statement: unknown;
}

/** A condition clause that does not hold, with the value the request has for its key. */
export interface ConditionMiss {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
  /** The request's value; undefined when the key is absent. */
  readonly actual?: ContextValue;
}

/** Why a statement that looks relevant did not allow: its condition, its resource or its principal. */
export interface Hint {
  readonly kind:
    | 'condition'
    | 'resource'
    | 'principal'
    | 'account-principal'
    | 'public-principal'
    | 'ecs-execution-role'
    | 'ecs-task-role';
  readonly side: PolicyType;
  readonly policy: string;
  readonly index: number;
  readonly sid?: string;
  readonly text: string;
  readonly failing?: readonly ConditionMiss[];
}

/** One action's decision, explained. */
export interface ActionExplanation {
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  readonly decision: Decision;
  readonly crossAccount: boolean;
  /** AWS's AccessDenied sentence (the engine's `denialMessage`). */
  readonly message?: string;
  readonly denial?: { readonly by: PolicyType; readonly explicit: boolean };
  readonly sides: Readonly<Record<PolicyType, SideVerdict>>;
  readonly resourceGrant?: string;
  /** The sides that lack an Allow (see {@link missingSides}); the first is the one AWS's sentence names. */
  readonly missing: readonly PolicyType[];
  /** For an Allow, the allowing statements; for an explicit deny, the Deny; otherwise what did allow. */
  readonly deciding: readonly StatementView[];
  readonly hints: readonly Hint[];
}

/** A change that turns a denial into an allow (checked by evaluating again). */
export type Fix =
  | {
      readonly kind: 'add-statement';
      readonly side: PolicyType;
      readonly policyId: string;
      /** Where to add it, in words. */
      readonly target: string;
      readonly statement: Readonly<Record<string, unknown>>;
      /**
       * The whole policy document once every fix to this policy is applied (what
       * `set-repository-policy` and friends take).
       */
      readonly document: string;
      readonly command?: string;
    }
  | {
      readonly kind: 'remove-statement';
      readonly side: PolicyType;
      readonly policyId: string;
      readonly target: string;
      readonly index: number;
      readonly sid?: string;
      readonly statement: unknown;
      /** The whole document once every fix to this policy is applied; absent when nothing is left. */
      readonly document?: string;
      readonly command?: string;
    }
  | {
      readonly kind: 'tag-resource' | 'tag-principal';
      readonly target: string;
      readonly tags: Readonly<Record<string, string>>;
      readonly command: string;
    };

/** The answer to a whole question (one action, or every action of a pull). */
export interface AccessExplanation {
  readonly decision: Decision;
  readonly actions: readonly ActionExplanation[];
  readonly fixes: readonly Fix[];
  /** True when the engine allows every action once the fixes are applied. */
  readonly fixesSuffice: boolean;
}

/** Thrown when a fetched policy does not compile (the store holds something AWS would refuse). */
export class UnreadablePolicyError extends Error {
  constructor(
    readonly policy: string,
    message: string,
  ) {
    super(`${policy} cannot be evaluated: ${message}`);
    this.name = 'UnreadablePolicyError';
  }
}

/** A policy that grants nothing: what a permissions boundary emptied of statements amounts to. */
const NOTHING = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}';

/** A policy in the draft world: the original statements, which are removed, which are added. */
interface Draft {
  readonly source: FetchedPolicy;
  readonly type: PolicyType;
  readonly kind: PolicyKind;
  readonly raw: Record<string, unknown>;
  readonly statements: readonly unknown[];
  readonly removed: ReadonlySet<number>;
  readonly added: readonly Record<string, unknown>[];
}

/** All policies and tags of one question, as they are or as the fixes would make them. */
interface World {
  readonly identity: readonly Draft[];
  readonly boundary?: Draft;
  readonly session?: readonly Draft[];
  /** Repository policy, then registry policy (both resource-based policies of the repository). */
  readonly resource: readonly Draft[];
  readonly scp?: readonly (readonly Draft[])[];
  readonly rcp?: readonly (readonly Draft[])[];
  readonly resourceTags: Readonly<Record<string, string>>;
  readonly principalTags?: Readonly<Record<string, string>>;
}

/** Side → engine policy kind, for drafts created by a fix. */
const KIND_OF: Readonly<Record<PolicyType, PolicyKind>> = {
  identity: 'identity',
  resource: 'repository',
  boundary: 'boundary',
  session: 'session',
  scp: 'scp',
  rcp: 'rcp',
};

/** Actions of a pull: what `--image` asks about. */
export const PULL_ACTIONS: readonly string[] = [
  'ecr:GetAuthorizationToken',
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchCheckLayerAvailability',
];

/**
 * Explains `actions` for the caller and repository of `inputs`: each action is decided on the
 * policies as they are; then fixes are worked out for all of them together on one draft, so that
 * the proposed changes are consistent and, applied together, make every action allowed.
 */
export function explainAccess(inputs: AccessInputs, actions: readonly string[]): AccessExplanation {
  const cache = new PolicyCache();
  const world = initialWorld(inputs, cache);
  const explained = actions.map((a) => explainOne(inputs, world, a, cache));
  const journal: Journal = { order: [], tags: new Map() };
  let draft = world;
  for (const action of actions) {
    let result = decide(inputs, draft, action, cache);
    for (let step = 0; step < 8 && result.decision !== 'Allow'; step++) {
      const next = nextFix(inputs, draft, action, result, cache, journal);
      if (next === undefined) break;
      draft = next;
      result = decide(inputs, draft, action, cache);
    }
  }
  // Checked on the final draft: a later fix must not have undone an earlier one.
  const allAllowed = actions.every((a) => decide(inputs, draft, a, cache).decision === 'Allow');
  const decisions = explained.map((e) => e.decision);
  const decision: Decision = decisions.every((d) => d === 'Allow')
    ? 'Allow'
    : decisions.includes('ExplicitDeny')
      ? 'ExplicitDeny'
      : 'ImplicitDeny';
  return { decision, actions: explained, fixes: fixesOf(inputs, draft, journal), fixesSuffice: allAllowed };
}

/**
 * Decides `actions` for the caller and repository of `inputs` exactly as {@link explainAccess}
 * does, without hints or fixes: for callers that ask many questions (`crossdock access` asks one
 * per principal and repository) and share one `cache` so each policy compiles once.
 */
export function decideAccess(
  inputs: AccessInputs,
  actions: readonly string[],
  cache: PolicyCache = new PolicyCache(),
): AuthzResult[] {
  const world = initialWorld(inputs, cache);
  return actions.map((a) => evaluate(requestOf(inputs, world, a, cache)));
}

/** Resource ARN, owning account and whether resource policies take part, for one action. */
function resourceOf(
  inputs: AccessInputs,
  action: string,
): { resource: string; account: string; star: boolean } {
  if (resourceTypeOf(action) === '*')
    return { resource: '*', account: inputs.principal.account ?? inputs.repository.accountId, star: true };
  return { resource: inputs.repository.arn, account: inputs.repository.accountId, star: false };
}

function requestOf(inputs: AccessInputs, w: World, action: string, cache: PolicyCache): AuthzRequest {
  const { resource, account, star } = resourceOf(inputs, action);
  const p = inputs.principal;
  const principal: RequestPrincipal =
    w.principalTags === p.tags
      ? p
      : { ...p, ...(w.principalTags !== undefined && { tags: w.principalTags }) };
  const refs = (ds: readonly Draft[]): PolicyRef[] => ds.flatMap((d) => refOf(d, cache));
  const boundary =
    w.boundary !== undefined ? (refOf(w.boundary, cache)[0] ?? nothingRef(w.boundary, cache)) : undefined;
  return {
    principal,
    action,
    resource,
    resourceAccount: account,
    ...(!star && Object.keys(w.resourceTags).length > 0 && { resourceTags: w.resourceTags }),
    ...(inputs.context !== undefined && { context: inputs.context }),
    policies: {
      identity: refs(w.identity),
      ...(!star && { resource: refs(w.resource) }),
      ...(boundary !== undefined && { boundary }),
      ...(w.session !== undefined && { session: refs(w.session) }),
      ...(w.scp !== undefined && { scp: w.scp.map(refs) }),
      ...(w.rcp !== undefined && !star && { rcp: w.rcp.map(refs) }),
    },
  };
}

function decide(inputs: AccessInputs, w: World, action: string, cache: PolicyCache): AuthzResult {
  return evaluate(requestOf(inputs, w, action, cache), { explain: true });
}

function explainOne(inputs: AccessInputs, w: World, action: string, cache: PolicyCache): ActionExplanation {
  const req = requestOf(inputs, w, action, cache);
  const r = evaluate(req, { explain: true });
  const drafts = draftIndex(w);
  const view = (m: MatchedStatement): StatementView => {
    const d = drafts.get(m.policyId);
    const original = d !== undefined ? originalIndex(d, m.index) : m.index;
    return {
      side: m.policyType,
      policyId: m.policyId,
      policy: d?.source.label ?? m.policyId,
      index: original,
      ...(m.sid !== undefined && { sid: m.sid }),
      effect: m.effect,
      statement: d !== undefined ? d.statements[original] : undefined,
    };
  };
  let deciding: MatchedStatement[];
  if (r.decision === 'Allow') deciding = r.matched.filter((m) => m.effect === 'Allow');
  else if (r.denial?.explicit === true)
    deciding = r.matched.filter((m) => m.effect === 'Deny' && m.policyType === r.denial?.by);
  else deciding = r.matched.filter((m) => m.effect === 'Allow');
  return {
    action,
    resource: req.resource,
    resourceAccount: req.resourceAccount ?? inputs.repository.accountId,
    decision: r.decision,
    crossAccount: r.crossAccount,
    ...(r.message !== undefined && { message: r.message }),
    ...(r.denial !== undefined && { denial: r.denial }),
    sides: r.sides,
    ...(r.resourceGrant !== undefined && { resourceGrant: r.resourceGrant }),
    missing: missingSides(r),
    deciding: deciding.map(view),
    hints: hintsOf(inputs, w, req, r, drafts),
  };
}

/** Statements that nearly applied on the sides that lack an Allow, and notes on how an Allow was granted. */
function hintsOf(
  inputs: AccessInputs,
  w: World,
  req: AuthzRequest,
  r: AuthzResult,
  drafts: ReadonlyMap<string, Draft>,
): Hint[] {
  const hints: Hint[] = [];
  const keys = lookupFromRecord(contextRecord(inputs, w, req));
  const label = (id: string): string => drafts.get(id)?.source.label ?? id;
  if (r.decision === 'Allow') {
    if (r.crossAccount && (r.resourceGrant === 'account' || r.resourceGrant === 'wildcard')) {
      for (const m of r.matched) {
        if (m.policyType !== 'resource' || m.effect !== 'Allow' || m.principalMatch !== r.resourceGrant)
          continue;
        const d = drafts.get(m.policyId);
        const account = inputs.principal.account ?? '';
        hints.push({
          kind: m.principalMatch === 'account' ? 'account-principal' : 'public-principal',
          side: 'resource',
          policy: label(m.policyId),
          index: d !== undefined ? originalIndex(d, m.index) : m.index,
          ...(m.sid !== undefined && { sid: m.sid }),
          text:
            m.principalMatch === 'account'
              ? `allowed through the account principal of ${account}: every user and role of ${account} whose ` +
                `IAM policies allow ${req.action} gets it too; name ${granteeOf(inputs)} instead`
              : `allowed through Principal "*": any principal of any account whose own policies allow ${req.action} gets it`,
        });
      }
    }
    // Once per pull (on the manifest): an ECS role that may pull may still be the wrong one of the two.
    const allowing =
      r.matched.find((m) => m.effect === 'Allow' && m.policyType === 'resource') ??
      r.matched.find((m) => m.effect === 'Allow');
    if (
      inputs.ecs?.callerIsEcsRole === true &&
      req.action === 'ecr:BatchGetImage' &&
      allowing !== undefined
    ) {
      const d = drafts.get(allowing.policyId);
      hints.push({
        kind: 'ecs-task-role',
        side: allowing.policyType,
        policy: label(allowing.policyId),
        index: d !== undefined ? originalIndex(d, allowing.index) : allowing.index,
        ...(allowing.sid !== undefined && { sid: allowing.sid }),
        text:
          `allows ${req.action} to ${granteeOf(inputs)}, a role ECS tasks assume: ECS pulls a task's image ` +
          'with its task execution role (executionRoleArn), never with its task role (taskRoleArn); if this ' +
          'is a task role, explain the execution role too',
      });
    }
    return hints;
  }
  if (r.denial === undefined || r.denial.explicit) return hints;
  for (const by of missingSides(r)) {
    for (const n of r.nearMisses ?? []) {
      if (n.policyType !== by || n.effect !== 'Allow') continue;
      const d = drafts.get(n.policyId);
      const failing = n.failing.map((c) => {
        const actual = keys.get(c.key.toLowerCase()) ?? derived(inputs, req, c.key.toLowerCase());
        return {
          operator: c.operator,
          key: c.key,
          values: c.values,
          ...(actual !== undefined && { actual }),
        };
      });
      const why = failing
        .map(
          (c) =>
            `${c.operator} ${c.key} ${JSON.stringify(c.values)} (the request has ` +
            `${c.actual === undefined ? 'no such key' : JSON.stringify(c.actual)})`,
        )
        .join('; ');
      hints.push({
        kind: 'condition',
        side: by,
        policy: label(n.policyId),
        index: d !== undefined ? originalIndex(d, n.index) : n.index,
        ...(n.sid !== undefined && { sid: n.sid }),
        text: `would allow ${req.action}, but its condition does not hold: ${why}`,
        failing,
      });
    }
    for (const ref of policiesOfSide(req, by)) {
      const d = drafts.get(ref.id);
      for (const s of ref.policy.statementsFor(req.action)) {
        if (s.effect !== 'Allow') continue;
        const original = d !== undefined ? originalIndex(d, s.index) : s.index;
        const raw = d?.statements[original];
        const base = {
          side: by,
          policy: label(ref.id),
          index: original,
          ...(s.sid !== undefined && { sid: s.sid }),
        };
        if (s.matchesResource !== undefined && !s.matchesResource(req.resource, keys)) {
          const written = listOf(raw, 'Resource') ?? listOf(raw, 'NotResource')?.map((x) => `not ${x}`) ?? [];
          const star = req.resource === '*';
          hints.push({
            ...base,
            kind: 'resource',
            text:
              `allows ${req.action} only on ${written.join(', ')}` +
              (star
                ? `; ${req.action} has no resource type and is authorized on "*", so only "Resource": "*" grants it`
                : `, not on ${req.resource}`),
          });
        } else if (s.matchesPrincipal !== undefined && s.matchesPrincipal(req.principal) === undefined) {
          const named = principalsOf(raw);
          const ecsRoles = inputs.ecs?.callerIsEcsRole === true ? inputs.ecs.grantedEcsRoles : [];
          const taskRoles = ecsRoles.filter((arn) => named.includes(`AWS:${arn}`));
          hints.push(
            taskRoles.length > 0
              ? {
                  ...base,
                  kind: 'ecs-execution-role',
                  text:
                    `allows ${req.action} to ${taskRoles.map((arn) => `role \`${arn.slice(arn.lastIndexOf('/') + 1)}\``).join(', ')}, ` +
                    `which ECS tasks assume, but not to ${granteeOf(inputs)}: ECS pulls a task's image with its task ` +
                    'execution role (executionRoleArn), not its task role (taskRoleArn), so the execution role is ' +
                    'the one the repository policy must name',
                }
              : {
                  ...base,
                  kind: 'principal',
                  text: `allows ${req.action} to ${named.join(', ')}, which does not name this caller (${callerNames(inputs)})`,
                },
          );
        }
      }
    }
  }
  return hints;
}

/**
 * The sides that still need an Allow for an implicit denial: across accounts the identity side and
 * the resource side each on their own (AWS's sentence names only one of them), within one account
 * the side AWS names; boundaries, session policies, SCPs and RCPs wherever they take part and do
 * not allow. Empty for an allow or an explicit deny.
 */
export function missingSides(r: AuthzResult): PolicyType[] {
  if (r.decision === 'Allow' || r.denial === undefined || r.denial.explicit) return [];
  const out: PolicyType[] = [];
  const lacking = (t: PolicyType): boolean => r.sides[t] === 'none';
  if (r.crossAccount) {
    if (lacking('identity')) out.push('identity');
    if (lacking('resource')) out.push('resource');
  } else if (r.denial.by === 'identity' || r.denial.by === 'resource') {
    out.push(r.denial.by);
  }
  for (const t of ['boundary', 'session', 'scp', 'rcp'] as const) if (lacking(t)) out.push(t);
  const by = r.denial.by;
  return [by, ...out.filter((t) => t !== by)];
}

function policiesOfSide(req: AuthzRequest, side: PolicyType): readonly PolicyRef[] {
  const p = req.policies;
  switch (side) {
    case 'identity':
      return p.identity ?? [];
    case 'resource':
      return p.resource ?? [];
    case 'boundary':
      return p.boundary !== undefined ? [p.boundary] : [];
    case 'session':
      return p.session ?? [];
    case 'scp':
      return (p.scp ?? []).flat();
    case 'rcp':
      return (p.rcp ?? []).flat();
  }
}

/** What a denial's next fix is, applied to a new draft; undefined when nothing more can be proposed. */
function nextFix(
  inputs: AccessInputs,
  w: World,
  action: string,
  r: AuthzResult,
  cache: PolicyCache,
  journal: Journal,
): World | undefined {
  const denial = r.denial;
  if (denial === undefined) return undefined;
  if (denial.explicit) {
    const drafts = draftIndex(w);
    const denies = r.matched.filter((m) => m.effect === 'Deny' && m.policyType === denial.by);
    let next = w;
    for (const m of denies) {
      const d = drafts.get(m.policyId);
      if (d === undefined) continue;
      const original = originalIndex(d, m.index);
      if (original < 0) continue;
      next = replaceDraft(next, d, { ...d, removed: new Set([...d.removed, original]) });
      journal.order.push(`remove:${d.source.id}:${original}`);
    }
    return next === w ? undefined : next;
  }
  const tagged = tagFix(inputs, w, action, r, cache, journal);
  if (tagged !== undefined) return tagged;
  return addStatement(inputs, w, action, denial.by, journal);
}

/**
 * A denial that a tag would lift: a statement on the denying side whose only failing clauses ask
 * for a literal resource or principal tag value. Proposed only when it changes the verdict.
 */
function tagFix(
  inputs: AccessInputs,
  w: World,
  action: string,
  r: AuthzResult,
  cache: PolicyCache,
  journal: Journal,
): World | undefined {
  for (const n of r.nearMisses ?? []) {
    if (n.policyType !== r.denial?.by || n.effect !== 'Allow') continue;
    const resourceTags: Record<string, string> = {};
    const principalTags: Record<string, string> = {};
    let ok = true;
    for (const c of n.failing) {
      const t = tagClause(c.operator, c.key, c.values);
      if (t === undefined || (t.on === 'principal' && inputs.entity === undefined)) {
        ok = false;
        break;
      }
      (t.on === 'resource' ? resourceTags : principalTags)[t.key] = t.value;
    }
    if (!ok || n.failing.length === 0) continue;
    const next: World = {
      ...w,
      resourceTags: withTags(w.resourceTags, resourceTags),
      ...(Object.keys(principalTags).length > 0 && {
        principalTags: withTags(w.principalTags ?? {}, principalTags),
      }),
    };
    const after = decide(inputs, next, action, cache);
    if (after.decision === 'Allow' || after.denial?.by !== r.denial?.by) {
      for (const [k, v] of Object.entries(resourceTags)) journal.tags.set(`resource:${k}`, v);
      for (const [k, v] of Object.entries(principalTags)) journal.tags.set(`principal:${k}`, v);
      return next;
    }
  }
  return undefined;
}

/** A clause a tag can satisfy: `StringEquals|StringLike|StringEqualsIgnoreCase` on a tag key with a literal value. */
function tagClause(
  operator: string,
  key: string,
  values: readonly string[],
): { on: 'resource' | 'principal'; key: string; value: string } | undefined {
  if (!/^String(Equals|Like|EqualsIgnoreCase)(IfExists)?$/.test(operator)) return undefined;
  const value = values[0];
  if (value === undefined || /[*?]|\$\{/.test(value)) return undefined;
  const resource = /^(?:aws|ecr):ResourceTag\/(.+)$/i.exec(key);
  if (resource !== null) return { on: 'resource', key: resource[1] as string, value };
  const principal = /^aws:PrincipalTag\/(.+)$/i.exec(key);
  if (principal !== null) return { on: 'principal', key: principal[1] as string, value };
  return undefined;
}

function withTags(
  tags: Readonly<Record<string, string>>,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = { ...tags };
  for (const [k, v] of Object.entries(extra)) {
    for (const existing of Object.keys(out))
      if (existing.toLowerCase() === k.toLowerCase()) delete out[existing];
    out[k] = v;
  }
  return out;
}

/** The ARN a resource policy should name the caller by: the user, the role (not one session), or the account. */
function granteeOf(inputs: AccessInputs): string {
  const p = inputs.principal;
  if (p.type === 'AssumedRole' || p.type === 'User') return p.principalArn ?? p.arn;
  return p.arn;
}

function callerNames(inputs: AccessInputs): string {
  const p = inputs.principal;
  return p.type === 'AssumedRole' ? `${p.arn}, session of ${p.principalArn ?? 'its role'}` : p.arn;
}

/** Adds an Allow for `action` on the denying side (to a statement added earlier when one fits). */
function addStatement(
  inputs: AccessInputs,
  w: World,
  action: string,
  side: PolicyType,
  journal: Journal,
): World | undefined {
  const { resource, star } = resourceOf(inputs, action);
  const spelled = actionDefinition(action)?.action ?? action;
  const grantee = granteeOf(inputs);
  const shape: Record<string, unknown> =
    side === 'resource'
      ? { Effect: 'Allow', Principal: { AWS: grantee }, Action: [spelled] }
      : side === 'rcp'
        ? { Effect: 'Allow', Principal: '*', Action: [spelled], Resource: '*' }
        : { Effect: 'Allow', Action: [spelled], Resource: side === 'scp' || star ? '*' : resource };
  const existing = targetDraft(inputs, w, side);
  if (existing === undefined) return undefined;
  const { draft, replace } = existing;
  const same = draft.added.findIndex((s) => sameShape(s, shape));
  let added: Record<string, unknown>[];
  if (same !== -1) {
    const s = draft.added[same] as Record<string, unknown>;
    const actions = [...(s.Action as string[]), spelled];
    added = draft.added.map((x, i) =>
      i === same ? { ...x, Sid: sidFor(draft, actions, i), Action: actions } : x,
    );
  } else {
    added = [...draft.added, { Sid: sidFor(draft, [spelled], draft.added.length), ...shape }];
    journal.order.push(`add:${draft.source.id}`);
  }
  return replace({ ...draft, added });
}

/** The draft a fix on `side` goes into, creating an empty one when the side has none to extend. */
function targetDraft(
  inputs: AccessInputs,
  w: World,
  side: PolicyType,
): { draft: Draft; replace: (d: Draft) => World } | undefined {
  const fresh = (id: string, label: string): Draft => ({
    source: { id, label, text: '', origin: { kind: 'new' } },
    type: side,
    kind: KIND_OF[side],
    raw: { Version: '2012-10-17' },
    statements: [],
    removed: new Set(),
    added: [],
  });
  switch (side) {
    case 'identity': {
      const e = inputs.entity;
      if (e === undefined) return undefined;
      const d =
        w.identity.find((x) => x.source.id === 'fix:identity') ??
        fresh('fix:identity', `a new inline policy of ${e.kind} \`${e.name}\` (account ${e.accountId})`);
      return { draft: d, replace: (nd) => ({ ...w, identity: upsert(w.identity, nd) }) };
    }
    case 'resource': {
      const d =
        w.resource.find((x) => x.source.origin.kind === 'repository' || x.source.id === 'fix:repository') ??
        fresh('fix:repository', `the repository policy of \`${inputs.repository.name}\` (new)`);
      return { draft: d, replace: (nd) => ({ ...w, resource: upsert(w.resource, nd) }) };
    }
    case 'boundary': {
      const d = w.boundary;
      if (d === undefined) return undefined;
      return { draft: d, replace: (nd) => ({ ...w, boundary: nd }) };
    }
    case 'session': {
      const d = w.session?.[0];
      if (d === undefined) return undefined;
      return { draft: d, replace: (nd) => ({ ...w, session: upsert(w.session ?? [], nd) }) };
    }
    case 'scp':
    case 'rcp': {
      const levels = w[side];
      if (levels === undefined) return undefined;
      const id = `fix:${side}`;
      const d =
        levels.flat().find((x) => x.source.id === id) ??
        fresh(id, `a ${POLICY_TYPE_NAMES[side]} attached to the account and every OU above it`);
      const replace = (nd: Draft): World => {
        const next = levels.map((level) => upsert(level, nd));
        return side === 'scp' ? { ...w, scp: next } : { ...w, rcp: next };
      };
      return { draft: d, replace };
    }
  }
}

function upsert(list: readonly Draft[], d: Draft): Draft[] {
  const i = list.findIndex((x) => x.source.id === d.source.id);
  return i === -1 ? [...list, d] : list.map((x, j) => (j === i ? d : x));
}

function sameShape(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const strip = (s: Record<string, unknown>): string => {
    const { Sid: _sid, Action: _action, ...rest } = s;
    return JSON.stringify(rest);
  };
  return strip(a) === strip(b);
}

/** A Sid that says what the statement is for and is unique in its document. */
function sidFor(d: Draft, actions: readonly string[], addedIndex: number): string {
  const names = actions.map((a) => a.slice(a.indexOf(':') + 1));
  const pull = names.every((n) => PULL_ACTIONS.some((p) => p.endsWith(`:${n}`)));
  let base = names.length === 1 ? `Allow${names[0]}` : pull ? 'AllowEcrPull' : 'AllowEcrAccess';
  base = base.replace(/[^A-Za-z0-9]/g, '');
  const taken = new Set<string>();
  for (const s of d.statements) {
    const sid = (s as { Sid?: unknown } | null)?.Sid;
    if (typeof sid === 'string') taken.add(sid);
  }
  d.added.forEach((s, i) => {
    if (i !== addedIndex && typeof s.Sid === 'string') taken.add(s.Sid);
  });
  let sid = base;
  for (let n = 2; taken.has(sid); n++) sid = `${base}${n}`;
  return sid;
}

/** The fixes as the user applies them: in the order they were found, with the documents after. */
interface Journal {
  readonly order: string[];
  readonly tags: Map<string, string>;
}

function fixesOf(inputs: AccessInputs, after: World, journal: Journal): Fix[] {
  const fixes: Fix[] = [];
  const drafts = draftIndex(after);
  const seen = new Set<string>();
  for (const entry of journal.order) {
    if (seen.has(entry)) continue;
    seen.add(entry);
    const [op, ...rest] = entry.split(':');
    if (op === 'add') {
      const d = drafts.get(rest.join(':'));
      if (d === undefined) continue;
      for (const statement of d.added) {
        fixes.push({
          kind: 'add-statement',
          side: d.type,
          policyId: d.source.id,
          target: d.source.label,
          statement,
          document: documentOf(d),
          ...commandFor(inputs, d, 'edit'),
        });
      }
    } else if (op === 'remove') {
      const index = Number(rest.pop());
      const d = drafts.get(rest.join(':'));
      if (d === undefined) continue;
      const statement = d.statements[index];
      const sid = (statement as { Sid?: unknown } | null)?.Sid;
      const left = d.statements.length - d.removed.size + d.added.length;
      fixes.push({
        kind: 'remove-statement',
        side: d.type,
        policyId: d.source.id,
        target: d.source.label,
        index,
        ...(typeof sid === 'string' && { sid }),
        statement,
        ...(left > 0 && { document: documentOf(d) }),
        ...commandFor(inputs, d, left > 0 ? 'edit' : 'delete'),
      });
    }
  }
  const resourceTags: Record<string, string> = {};
  const principalTags: Record<string, string> = {};
  for (const [k, v] of journal.tags) {
    const [on, ...key] = k.split(':');
    (on === 'resource' ? resourceTags : principalTags)[key.join(':')] = v;
  }
  const repo = inputs.repository;
  if (Object.keys(resourceTags).length > 0) {
    fixes.push({
      kind: 'tag-resource',
      target: `the repository \`${repo.name}\` (account ${repo.accountId})`,
      tags: resourceTags,
      command: `aws ecr tag-resource --region ${repo.region} --resource-arn ${repo.arn} --tags ${tagArgs(resourceTags)}`,
    });
  }
  const e = inputs.entity;
  if (Object.keys(principalTags).length > 0 && e !== undefined) {
    fixes.push({
      kind: 'tag-principal',
      target: `${e.kind} \`${e.name}\` (account ${e.accountId})`,
      tags: principalTags,
      command: `aws iam tag-${e.kind} --${e.kind}-name ${e.name} --tags ${tagArgs(principalTags)}`,
    });
  }
  return fixes;
}

function tagArgs(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([k, v]) => `Key=${k},Value=${v}`)
    .join(' ');
}

/** The AWS CLI command that stores a changed policy (reading `policy.json`) or removes an emptied one. */
function commandFor(inputs: AccessInputs, d: Draft, what: 'edit' | 'delete'): { command?: string } {
  const repo = inputs.repository;
  const o = d.source.origin;
  const e = inputs.entity;
  switch (o.kind) {
    case 'repository':
      return {
        command:
          what === 'delete'
            ? `aws ecr delete-repository-policy --region ${repo.region} --registry-id ${repo.accountId} --repository-name ${repo.name}`
            : `aws ecr set-repository-policy --region ${repo.region} --registry-id ${repo.accountId} --repository-name ${repo.name} --policy-text file://policy.json`,
      };
    case 'registry':
      return {
        command:
          what === 'delete'
            ? `aws ecr delete-registry-policy --region ${repo.region}`
            : `aws ecr put-registry-policy --region ${repo.region} --policy-text file://policy.json`,
      };
    case 'inline':
      return {
        command:
          what === 'delete'
            ? `aws iam delete-${o.entity}-policy --${o.entity}-name ${o.entityName} --policy-name ${o.policyName}`
            : `aws iam put-${o.entity}-policy --${o.entity}-name ${o.entityName} --policy-name ${o.policyName} --policy-document file://policy.json`,
      };
    case 'managed':
    case 'boundary':
      if (o.arn.startsWith('arn:aws:iam::aws:policy/'))
        return o.kind === 'managed'
          ? {
              command: `aws iam detach-${o.entity}-policy --${o.entity}-name ${o.entityName} --policy-arn ${o.arn}`,
            }
          : {};
      return {
        command: `aws iam create-policy-version --policy-arn ${o.arn} --set-as-default --policy-document file://policy.json`,
      };
    case 'new':
      if (d.type === 'identity' && e !== undefined)
        return {
          command: `aws iam put-${e.kind}-policy --${e.kind}-name ${e.name} --policy-name crossdock-fix --policy-document file://policy.json`,
        };
      if (d.type === 'resource')
        return {
          command: `aws ecr set-repository-policy --region ${repo.region} --registry-id ${repo.accountId} --repository-name ${repo.name} --policy-text file://policy.json`,
        };
      return {};
    case 'scp':
    case 'rcp':
      return what === 'delete'
        ? { command: `aws organizations detach-policy --policy-id ${o.policyId} --target-id ${o.target}` }
        : {
            command: `aws organizations update-policy --policy-id ${o.policyId} --content file://policy.json`,
          };
  }
}

/** The document a draft stands for: its kept statements, then the added ones. */
function documentOf(d: Draft): string {
  const kept = d.statements.filter((_, i) => !d.removed.has(i));
  const { Statement: _s, ...head } = d.raw;
  return JSON.stringify({ ...head, Statement: [...kept, ...d.added] }, null, 2);
}

/** Compiled index → index in the original document (-1 for an added statement). */
function originalIndex(d: Draft, compiledIndex: number): number {
  let seen = -1;
  for (let i = 0; i < d.statements.length; i++) {
    if (d.removed.has(i)) continue;
    seen++;
    if (seen === compiledIndex) return i;
  }
  return -1;
}

function initialWorld(inputs: AccessInputs, cache: PolicyCache): World {
  const draft = (p: FetchedPolicy, type: PolicyType, kind: PolicyKind): Draft => {
    try {
      cache.get(p.text, kind, { stored: true });
    } catch (e) {
      throw new UnreadablePolicyError(p.label, (e as Error).message);
    }
    const raw = JSON.parse(p.text) as Record<string, unknown>;
    const st = raw.Statement;
    return {
      source: p,
      type,
      kind,
      raw,
      statements: Array.isArray(st) ? st : [st],
      removed: new Set(),
      added: [],
    };
  };
  const resource: Draft[] = [];
  if (inputs.repositoryPolicy !== undefined)
    resource.push(draft(inputs.repositoryPolicy, 'resource', 'repository'));
  if (inputs.registryPolicy !== undefined)
    resource.push(draft(inputs.registryPolicy, 'resource', 'registry'));
  return {
    identity: inputs.identity.map((p) => draft(p, 'identity', 'identity')),
    ...(inputs.boundary !== undefined && { boundary: draft(inputs.boundary, 'boundary', 'boundary') }),
    ...(inputs.session !== undefined && {
      session: inputs.session.map((p) => draft(p, 'session', 'session')),
    }),
    resource,
    ...(inputs.scp !== undefined && { scp: inputs.scp.map((l) => l.map((p) => draft(p, 'scp', 'scp'))) }),
    ...(inputs.rcp !== undefined && { rcp: inputs.rcp.map((l) => l.map((p) => draft(p, 'rcp', 'rcp'))) }),
    resourceTags: inputs.resourceTags ?? {},
    ...(inputs.principal.tags !== undefined && { principalTags: inputs.principal.tags }),
  };
}

/** The compiled form of a draft; none when every statement was removed and nothing added. */
function refOf(d: Draft, cache: PolicyCache): PolicyRef[] {
  const unchanged = d.removed.size === 0 && d.added.length === 0 && d.source.text !== '';
  if (unchanged) return [{ id: d.source.id, policy: cache.get(d.source.text, d.kind, { stored: true }) }];
  const kept = d.statements.length - d.removed.size + d.added.length;
  if (kept === 0) return [];
  return [{ id: d.source.id, policy: cache.get(documentOf(d), d.kind, { stored: true }) }];
}

/** An emptied permissions boundary still bounds: it allows nothing. */
function nothingRef(d: Draft, cache: PolicyCache): PolicyRef {
  return { id: d.source.id, policy: cache.get(NOTHING, 'boundary', { stored: true }) };
}

function draftIndex(w: World): Map<string, Draft> {
  const all = [
    ...w.identity,
    ...(w.boundary !== undefined ? [w.boundary] : []),
    ...(w.session ?? []),
    ...w.resource,
    ...(w.scp ?? []).flat(),
    ...(w.rcp ?? []).flat(),
  ];
  return new Map(all.map((d) => [d.source.id, d]));
}

function replaceDraft(w: World, old: Draft, d: Draft): World {
  const swap = (list: readonly Draft[]): Draft[] => list.map((x) => (x === old ? d : x));
  return {
    ...w,
    identity: swap(w.identity),
    ...(w.boundary !== undefined && { boundary: w.boundary === old ? d : w.boundary }),
    ...(w.session !== undefined && { session: swap(w.session) }),
    resource: swap(w.resource),
    ...(w.scp !== undefined && { scp: w.scp.map(swap) }),
    ...(w.rcp !== undefined && { rcp: w.rcp.map(swap) }),
  };
}

/** The context keys of a request as a record (for the values a hint quotes). */
function contextRecord(inputs: AccessInputs, w: World, req: AuthzRequest): Record<string, ContextValue> {
  const out: Record<string, ContextValue> = { ...(inputs.context ?? {}) };
  for (const [k, v] of Object.entries(req.resourceTags ?? {})) {
    out[`aws:ResourceTag/${k}`] = v;
    out[`ecr:ResourceTag/${k}`] = v;
  }
  for (const [k, v] of Object.entries(w.principalTags ?? {})) out[`aws:PrincipalTag/${k}`] = v;
  return out;
}

/** The principal's own keys, as the engine derives them. */
function derived(inputs: AccessInputs, req: AuthzRequest, key: string): ContextValue | undefined {
  const p = inputs.principal;
  switch (key) {
    case 'aws:principalarn':
      return p.principalArn;
    case 'aws:principalaccount':
      return p.account;
    case 'aws:principaltype':
      return p.type;
    case 'aws:userid':
      return p.userId;
    case 'aws:username':
      return p.type === 'User' ? p.userName : undefined;
    case 'aws:principalorgid':
      return p.orgId;
    case 'aws:resourceaccount':
      return req.resourceAccount;
    default:
      return undefined;
  }
}

function listOf(raw: unknown, field: string): string[] | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const v = (raw as Record<string, unknown>)[field];
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

function principalsOf(raw: unknown): string[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const p = (raw as Record<string, unknown>).Principal;
  if (p === '*') return ['"*"'];
  if (typeof p !== 'object' || p === null) return [];
  return Object.entries(p as Record<string, unknown>).flatMap(([type, v]) =>
    (typeof v === 'string' ? [v] : Array.isArray(v) ? v : []).map((x) => `${type}:${String(x)}`),
  );
}
