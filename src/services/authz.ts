import type { Caller } from '../auth/caller.js';
import {
  evaluate,
  type AuthzResult,
  type ContextValue,
  type PolicyCache,
  type PolicyKind,
  type PolicyRef,
  type PolicySet,
} from '../iam/index.js';
import { managedPolicy } from '../iam/data/managedPolicies.js';
import type { MetadataTx } from '../store/meta/MetadataStore.js';
import type { PrincipalBindings, PrincipalRef } from '../store/meta/records.js';
import { boundForCaller } from './bindings.js';
import { StampedCache } from './stampedCache.js';
import { orgPathOf, scpLevels } from './organizations/tree.js';
import { AccessDeniedError, ServiceError } from './errors.js';
import type { Clock } from './runtime.js';

/** A store that may tell when its committed data changed (`MetadataStore.changeStamp`). */
type StampedStore = MetadataTx & { changeStamp?(): string };

/** A resource-based policy that takes part in a decision (a repository policy, a role's trust policy). */
export interface ResourcePolicy {
  readonly id: string;
  readonly text: string;
  readonly kind: PolicyKind;
  /** The users and roles the policy named when it was saved, bound to their unique ids. */
  readonly principals?: PrincipalBindings;
}

/** Everything one access decision needs besides the caller's own policies, which the door gathers. */
export interface AccessRequest {
  readonly caller: Caller;
  readonly action: string;
  /** The resource ARN, or `*` for actions without a resource type. */
  readonly resource: string;
  /** Defaults to the caller's account. */
  readonly resourceAccount?: string;
  readonly resourceTags?: Readonly<Record<string, string>>;
  readonly resourcePolicies?: readonly ResourcePolicy[];
  /** Trust policies: the resource side must allow even within one account. */
  readonly resourcePolicyRequired?: boolean;
  /** Request-specific keys (aws:RequestTag/*, aws:TagKeys, sts:ExternalId, ...). */
  readonly context?: Readonly<Record<string, ContextValue>>;
}

/** A decision as the door saw it, for logs and audits. */
export type DecisionListener = (req: AccessRequest, result: AuthzResult) => void;

/**
 * The one door for access decisions (DESIGN.md): every API operation and every registry request
 * builds an {@link AccessRequest} and calls {@link Authorizer.authorize}; nothing else decides access.
 * It gathers the caller's identity policies, permissions boundary and session policies from the
 * store, adds the global context keys (time from the injected clock, source IP, TLS, region,
 * token issue time), compiles through the shared {@link PolicyCache}, and asks the pure engine.
 * An IAM user's identity policies include those of every group it is in; a principal of a member
 * account of an organization with SCPs enabled gets the SCPs of every level from the root through
 * its OUs to its account (never the management account's). What is derived from several reads
 * (a user's group policies, an account's SCP chain) is kept per store while its change stamp stays
 * equal, so the registry's hot path pays one map lookup for it; a store inside a transaction (no
 * stamp) is always read afresh.
 */
export class Authorizer {
  constructor(
    private readonly deps: {
      readonly store: MetadataTx;
      readonly cache: PolicyCache;
      readonly clock: Clock;
      readonly onDecision?: DecisionListener;
    },
  ) {}

  /** Derived reads kept per stamped store (the store itself, or its read-cached view). */
  private readonly derived = new WeakMap<object, StampedCache>();

  /** `load()`'s value, kept under `key` while the store's change stamp stays equal. */
  private keep<T>(store: StampedStore, key: string, load: () => Promise<T>): Promise<T> {
    const stampOf = store.changeStamp;
    if (typeof stampOf !== 'function') return load();
    let cache = this.derived.get(store);
    if (cache === undefined) {
      cache = new StampedCache(() => stampOf.call(store));
      this.derived.set(store, cache);
    }
    return cache.read(key, load);
  }

  /** Decides without throwing. */
  async check(req: AccessRequest, store: MetadataTx = this.deps.store): Promise<AuthzResult> {
    const policies = await this.callerPolicies(req.caller, store);
    const resource = (req.resourcePolicies ?? []).map((p) =>
      this.ref(p.id, boundForCaller(p.text, p.principals, req.caller), p.kind),
    );
    const scp = await this.scps(req.caller, store);
    const orgPath = await this.orgPath(req.caller, store);
    const set: PolicySet = {
      ...policies,
      ...(scp !== undefined && { scp }),
      ...(req.resourcePolicies !== undefined && { resource }),
    };
    const result = evaluate({
      principal: req.caller.principal,
      action: req.action,
      resource: req.resource,
      ...(req.resourceAccount !== undefined && { resourceAccount: req.resourceAccount }),
      ...(req.resourceTags !== undefined && { resourceTags: req.resourceTags }),
      ...(req.resourcePolicyRequired !== undefined && { resourcePolicyRequired: req.resourcePolicyRequired }),
      context: {
        ...this.globalKeys(req.caller),
        ...(orgPath !== undefined && { 'aws:PrincipalOrgPaths': [orgPath] }),
        ...req.context,
      },
      policies: set,
    });
    this.deps.onDecision?.(req, result);
    return result;
  }

  /** Decides, and throws {@link AccessDeniedError} with AWS's sentence on a denial. */
  async authorize(req: AccessRequest, store?: MetadataTx): Promise<AuthzResult> {
    const result = await this.check(req, store);
    if (result.decision !== 'Allow') throw new AccessDeniedError(result, result.message ?? 'access denied');
    return result;
  }

  private ref(id: string, text: string, kind: PolicyKind): PolicyRef {
    return { id, policy: this.deps.cache.get(text, kind, { stored: true }) };
  }

  private globalKeys(caller: Caller): Record<string, ContextValue> {
    const now = this.deps.clock.now();
    const keys: Record<string, ContextValue> = {
      'aws:CurrentTime': new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'aws:EpochTime': String(Math.floor(now / 1000)),
      'aws:SecureTransport': caller.request.secure ? 'true' : 'false',
      'aws:SourceIp': caller.request.sourceIp,
      'aws:RequestedRegion': caller.request.region,
      'aws:ViaAWSService': 'false',
    };
    const id = caller.identity;
    if (id.kind === 'role-session' || id.kind === 'user-session' || id.kind === 'root-session') {
      keys['aws:TokenIssueTime'] = id.session.issuedAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
      keys['aws:MultiFactorAuthPresent'] = 'false';
      if (id.session.sourceIdentity !== undefined) keys['aws:SourceIdentity'] = id.session.sourceIdentity;
    }
    return keys;
  }

  /** The caller's identity policies, boundary and session policies (root has none). */
  async callerPolicies(
    caller: Caller,
    store: MetadataTx = this.deps.store,
  ): Promise<Omit<PolicySet, 'resource'>> {
    const id = caller.identity;
    let owner: PrincipalRef | undefined;
    let boundaryArn: string | undefined;
    if (id.kind === 'user' || id.kind === 'user-session') {
      owner = { kind: 'user', accountId: id.user.accountId, name: id.user.name };
      boundaryArn = id.user.permissionsBoundaryArn;
    } else if (id.kind === 'role-session') {
      owner = { kind: 'role', accountId: id.role.accountId, name: id.role.name };
      boundaryArn = id.role.permissionsBoundaryArn;
    }
    if (owner === undefined) return {};
    const identity: PolicyRef[] = [];
    for (const p of await listAll((marker) => store.inlinePolicies.list(owner, { marker }))) {
      identity.push(this.ref(`${owner.kind}/${owner.name}/${p.name}`, p.document, 'identity'));
    }
    for (const arn of await listAll((marker) => store.attachments.listForPrincipal(owner, { marker }))) {
      identity.push(this.ref(arn, await managedDocument(store, arn), 'identity'));
    }
    if (owner.kind === 'user') identity.push(...(await this.groupPolicies(store, owner)));
    const out: { -readonly [K in keyof PolicySet]: PolicySet[K] } = { identity };
    if (boundaryArn !== undefined)
      out.boundary = this.ref(boundaryArn, await managedDocument(store, boundaryArn), 'boundary');
    if (id.kind === 'role-session' || id.kind === 'user-session') {
      const s = id.session;
      const session: PolicyRef[] = [];
      if (s.sessionPolicy !== undefined) session.push(this.ref('session-policy', s.sessionPolicy, 'session'));
      for (const arn of s.sessionPolicyArns)
        session.push(this.ref(arn, await managedDocument(store, arn), 'session'));
      if (session.length > 0) out.session = session;
    }
    return out;
  }

  /** The SCP levels of the caller's account, or `undefined` where SCPs do not apply (kept while nothing changes). */
  async scps(caller: Caller, store: StampedStore = this.deps.store): Promise<PolicyRef[][] | undefined> {
    if (caller.account.organizationId === undefined) return undefined;
    return this.keep(store, `scp:${caller.account.id}`, async () => {
      const levels = await scpLevels(store, caller.account);
      return levels?.map((level) => level.map((p) => this.ref(p.id, p.content, 'scp')));
    });
  }

  /** `aws:PrincipalOrgPaths` of the caller's account (kept while nothing changes). */
  private orgPath(caller: Caller, store: StampedStore): Promise<string | undefined> {
    if (caller.account.organizationId === undefined) return Promise.resolve(undefined);
    return this.keep(store, `orgpath:${caller.account.id}`, () => orgPathOf(store, caller.account));
  }

  /** The inline and attached policies of every group a user is in (kept while nothing changes). */
  private groupPolicies(store: StampedStore, user: PrincipalRef): Promise<PolicyRef[]> {
    return this.keep(store, `groups:${user.accountId}:${user.name.toLowerCase()}`, async () => {
      const out: PolicyRef[] = [];
      const groups = await listAll((marker) =>
        store.groups.listForUser(user.accountId, user.name, { marker }),
      );
      for (const g of groups) {
        const ref: PrincipalRef = { kind: 'group', accountId: g.accountId, name: g.name };
        for (const p of await listAll((marker) => store.inlinePolicies.list(ref, { marker }))) {
          out.push(this.ref(`group/${g.name}/${p.name}`, p.document, 'identity'));
        }
        for (const arn of await listAll((marker) => store.attachments.listForPrincipal(ref, { marker }))) {
          out.push(this.ref(arn, await managedDocument(store, arn), 'identity'));
        }
      }
      return out;
    });
  }
}

/** The default version's document of a managed policy (AWS managed or customer managed). */
export async function managedDocument(store: MetadataTx, arn: string): Promise<string> {
  if (arn.startsWith('arn:aws:iam::aws:policy/')) {
    const p = managedPolicy(arn);
    if (p === undefined)
      throw new ServiceError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
    return p.document;
  }
  const p = await store.managedPolicies.getByArn(arn);
  if (p === undefined)
    throw new ServiceError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
  const v = await store.managedPolicies.getVersion(p.accountId, p.name, p.defaultVersionId);
  if (v === undefined)
    throw new ServiceError('NoSuchEntity', `Policy ${arn} version ${p.defaultVersionId} does not exist.`);
  return v.document;
}

/** Drains a paginated store listing. */
export async function listAll<T>(
  page: (marker: string | undefined) => Promise<{ items: readonly T[]; marker?: string }>,
): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const p = await page(marker);
    out.push(...p.items);
    marker = p.marker;
  } while (marker !== undefined);
  return out;
}
