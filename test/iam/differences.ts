/**
 * The disagreements between crossdock and iam-simulate that are understood, each with a named
 * predicate. A predicate does not trust either engine's explanation alone: it names the shape of
 * the case AND checks a counterfactual (change the one thing the difference is about, and the
 * engines must agree), so an unrelated disagreement hiding in the same case still fails the test.
 *
 * Every category is written up in docs/iam-differences.md with the AWS documentation behind it.
 * Categories marked `bug` are crossdock defects reported to the lead; they are listed here only
 * until the engine is fixed, after which their predicate stops matching and can be deleted.
 */
import type { AuthzResult, Decision, PolicyCache } from '../../src/iam/index.js';
import { evaluate } from '../../src/iam/index.js';
import { crossdockRequest } from './crossdock.js';
import { peerDecision } from './peer.js';
import type { GeneratedCase, PolicyJson, StatementJson } from './generate.js';

/** One disagreement: the case, crossdock's full result and iam-simulate's decision. */
export interface Disagreement {
  readonly c: GeneratedCase;
  readonly ours: AuthzResult;
  readonly peer: Decision;
}

/**
 * A named, documented class of disagreement: a structural test (the case has the feature the
 * difference is about) and a rewrite that takes the feature out. A disagreement is explained when,
 * once rewritten, both engines agree.
 */
export interface KnownDifference {
  readonly name: string;
  /** `intended`: AWS documents crossdock's answer; `bug`: crossdock is wrong, fix pending. */
  readonly kind: 'intended' | 'bug';
  readonly doc: string;
  applies(c: GeneratedCase): boolean;
  neutralise(c: GeneratedCase): GeneratedCase;
}

function allPolicies(c: GeneratedCase): PolicyJson[] {
  const p = c.policies;
  return [
    ...p.identity,
    ...(p.resource ? [p.resource] : []),
    ...(p.boundary ? [p.boundary] : []),
    ...(p.session ? [p.session] : []),
    ...(p.scp ?? []).flat(),
  ];
}

/** Applies `f` to every document of a case (a structural copy; the original is untouched). */
function mapPolicies(c: GeneratedCase, f: (doc: PolicyJson) => PolicyJson): GeneratedCase {
  const p = c.policies;
  return {
    ...c,
    policies: {
      identity: p.identity.map(f),
      ...(p.resource && { resource: f(p.resource) }),
      ...(p.boundary && { boundary: f(p.boundary) }),
      ...(p.session && { session: f(p.session) }),
      ...(p.scp && { scp: p.scp.map((level) => level.map(f)) }),
    },
  };
}

/** A statement that can never apply, for documents whose every statement was taken out. */
const INERT: StatementJson = { Effect: 'Allow', Action: 'none:None', Resource: 'arn:aws:none:::none' };

/** Removes the statements `drop` selects from every identity-like document. */
function dropStatements(
  c: GeneratedCase,
  drop: (s: StatementJson, doc: PolicyJson) => boolean,
): GeneratedCase {
  return mapPolicies(c, (d) => {
    if (d === c.policies.resource) return d;
    const kept = d.Statement.filter((s) => !drop(s, d));
    return kept.length === d.Statement.length ? d : { ...d, Statement: kept.length > 0 ? kept : [INERT] };
  });
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function sameAccount(c: GeneratedCase): boolean {
  return c.principal.account !== undefined && c.principal.account === c.resourceAccount;
}

function awsPrincipals(s: StatementJson): string[] {
  if (s.Principal === undefined) return [];
  if (s.Principal === '*') return ['*'];
  return list(s.Principal.AWS);
}

/** Does an Allow statement of the repository policy name one of `values` as an `AWS` principal? */
function repositoryPolicyGrants(c: GeneratedCase, value: string): boolean {
  return (c.policies.resource?.Statement ?? []).some(
    (s) => s.Effect === 'Allow' && awsPrincipals(s).includes(value),
  );
}

/** The variable keys `${...}` a pattern uses (lower-cased), without the escapes `${*}`, `${?}`, `${$}`. */
function variableKeys(pattern: string): string[] {
  return [...pattern.matchAll(/\$\{([^}*?$][^},]*)(?:,[^}]*)?\}/g)].map((m) => m[1]!.trim().toLowerCase());
}

/** Is the key present in the request (explicit context, the caller's tags or name, resource tags)? */
function hasKey(c: GeneratedCase, lowerKey: string): boolean {
  if (Object.keys(c.context).some((k) => k.toLowerCase() === lowerKey)) return true;
  if (lowerKey === 'aws:username') return c.principal.type === 'User';
  const tagIn = (prefix: string, tags: Record<string, string> | undefined) =>
    lowerKey.startsWith(prefix) &&
    Object.keys(tags ?? {}).some((k) => k.toLowerCase() === lowerKey.slice(prefix.length));
  return tagIn('aws:principaltag/', c.principal.tags) || tagIn('aws:resourcetag/', c.resourceTags);
}

/** A value whose variable the request cannot resolve (in a document that has variables at all). */
function unresolvable(c: GeneratedCase, doc: PolicyJson, value: string): boolean {
  return doc.Version === '2012-10-17' && variableKeys(value).some((k) => !hasKey(c, k));
}

/** Negated operators: with several values, true only when the request value matches none. */
function isNegated(operator: string): boolean {
  const op = operator.slice(operator.indexOf(':') + 1);
  return /^(StringNot|ArnNot|NotIpAddress|NumericNot|DateNot)/.test(op);
}

export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    // Same account, the repository policy names the caller's session ARN: AWS adds that grant
    // after the session is created, so the session policy does not limit it. iam-simulate applies
    // the session policy to every grant.
    name: 'session-arn-grant-not-limited-by-session-policy',
    kind: 'intended',
    doc: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session',
    applies: (c) =>
      c.principal.type === 'AssumedRole' &&
      c.policies.session !== undefined &&
      sameAccount(c) &&
      repositoryPolicyGrants(c, c.principal.arn),
    neutralise: (c) => {
      const { session: _session, ...policies } = c.policies;
      return { ...c, policies };
    },
  },
  {
    // Same account, the repository policy grants `*`: AWS exempts from a boundary's implicit deny
    // only grants naming the user ARN, the role session ARN or the federated-user ARN; crossdock
    // keeps the boundary in force for `*`, iam-simulate lets `*` through as a direct grant.
    name: 'wildcard-grant-limited-by-boundary',
    kind: 'intended',
    doc: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html',
    applies: (c) => c.policies.boundary !== undefined && sameAccount(c) && repositoryPolicyGrants(c, '*'),
    neutralise: (c) => {
      const { boundary: _boundary, ...policies } = c.policies;
      return { ...c, policies };
    },
  },
  {
    // A Version 2008-10-17 (or unversioned) document uses `${...}`: AWS treats it as literal text,
    // iam-simulate substitutes it.
    name: 'variables-are-literal-in-2008-10-17',
    kind: 'intended',
    doc: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html',
    applies: (c) =>
      allPolicies(c).some((d) => d.Version !== '2012-10-17' && JSON.stringify(d.Statement).includes('${')),
    neutralise: (c) =>
      mapPolicies(c, (d) =>
        d.Version !== '2012-10-17' && JSON.stringify(d.Statement).includes('${')
          ? { ...d, Version: '2012-10-17' }
          : d,
      ),
  },
  {
    // A NotResource pattern whose variable the request cannot resolve. AWS ("Policy variables with
    // no value"): the value is effectively null, there is no equal or like value, so the pattern
    // matches nothing and NotResource excludes nothing: the statement applies. iam-simulate drops
    // the statement instead.
    name: 'unresolved-variable-in-not-resource-excludes-nothing',
    kind: 'intended',
    doc: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html',
    applies: (c) =>
      allPolicies(c).some((d) =>
        d.Statement.some((s) => list(s.NotResource).some((r) => unresolvable(c, d, r))),
      ),
    neutralise: (c) => dropStatements(c, (s, d) => list(s.NotResource).some((r) => unresolvable(c, d, r))),
  },
  {
    // A negated operator (StringNotEquals...) compared with a variable the request cannot resolve.
    // AWS ("Policy variables with no value"): "Inverted condition operators like StringNotEquals or
    // StringNotLike do match against a null value", so the clause is true. iam-simulate fails it.
    name: 'negated-condition-matches-unresolved-variable',
    kind: 'intended',
    doc: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html',
    applies: (c) => allPolicies(c).some((d) => d.Statement.some((s) => negatedUnresolvable(c, d, s))),
    neutralise: (c) => {
      const dropped = dropStatements(c, (s, d) => negatedUnresolvable(c, d, s));
      const rp = c.policies.resource;
      if (rp === undefined) return dropped;
      const kept = rp.Statement.filter((s) => !negatedUnresolvable(c, rp, s));
      if (kept.length === rp.Statement.length) return dropped;
      const policies = { ...dropped.policies };
      if (kept.length > 0) policies.resource = { ...rp, Statement: kept };
      else delete policies.resource;
      return { ...dropped, policies };
    },
  },
];

function negatedUnresolvable(c: GeneratedCase, d: PolicyJson, s: StatementJson): boolean {
  return Object.entries(s.Condition ?? {}).some(
    ([op, body]) =>
      isNegated(op) && Object.values(body).some((v) => list(v).some((x) => unresolvable(c, d, x))),
  );
}

/** Both engines on one case: do they agree? (iam-simulate refusing the input counts as no.) */
async function agree(c: GeneratedCase, cache: PolicyCache): Promise<boolean> {
  const p = await peerDecision(c);
  return !('error' in p) && evaluate(crossdockRequest(c, cache)).decision === p.decision;
}

/**
 * The known differences that explain a disagreement: a single one whose rewrite makes the
 * engines agree, else every one that applies, taken out in turn; an empty list is a NEW
 * disagreement.
 */
export async function isKnownDifference(d: Disagreement, cache: PolicyCache): Promise<KnownDifference[]> {
  const applicable = KNOWN_DIFFERENCES.filter((k) => k.applies(d.c));
  for (const k of applicable) if (await agree(k.neutralise(d.c), cache)) return [k];
  // Several at once: take the features out one after the other (a rewrite can expose the next,
  // e.g. a 2008 document declared 2012 now has a variable to resolve).
  const used: KnownDifference[] = [];
  let current = d.c;
  for (;;) {
    const k = KNOWN_DIFFERENCES.find((x) => !used.includes(x) && x.applies(current));
    if (k === undefined) break;
    used.push(k);
    current = k.neutralise(current);
  }
  if (used.length > 1 && (await agree(current, cache))) return used;
  return [];
}
