import { createHash } from 'node:crypto';
import type { KeyLookup } from './context.js';
import { compileConditionBlock, type ConditionClauseInfo } from './conditions/index.js';
import { globMatcher, tokenizeWildcards } from './glob.js';
import { parsePolicy } from './policy/parse.js';
import type { Effect, PolicyDocument, PolicyKind, Statement } from './policy/types.js';
import { compileNotPrincipal, compilePrincipal, type PrincipalMatcher } from './principal.js';
import { compilePattern, type PatternTemplate } from './variables.js';

/** A statement reduced to closures: every test that does not depend on the request is done here. */
export interface CompiledStatement {
  readonly index: number;
  readonly sid?: string;
  readonly effect: Effect;
  /** Action test on the lowercased action name. */
  readonly matchesAction: (lowerAction: string) => boolean;
  /**
   * Resource test; `undefined` when the statement has no Resource (the policy's own resource) or
   * its Resource is `*`: either way every resource passes.
   */
  readonly matchesResource?: (resource: string, keys: KeyLookup) => boolean;
  /** Principal test; `undefined` in policies that carry no principal (identity, SCP). */
  readonly matchesPrincipal?: PrincipalMatcher;
  /** Condition test; `undefined` when there is no condition. */
  readonly condition?: (keys: KeyLookup) => boolean;
  /** The clauses that fail for a request, for explanations. */
  readonly failingClauses?: (keys: KeyLookup) => ConditionClauseInfo[];
}

/** A policy compiled once and reused for every request (see {@link PolicyCache}). */
export interface CompiledPolicy {
  readonly kind: PolicyKind;
  readonly document: PolicyDocument;
  /** sha256 of the exact text: the cache key, and how stores tell versions apart. */
  readonly hash: string;
  readonly statements: readonly CompiledStatement[];
  /** The statements whose Action/NotAction matches `action`, memoised per action name. */
  statementsFor(action: string): readonly CompiledStatement[];
}

const MEMO_LIMIT = 1024;

type ActionTest = (lowerAction: string) => boolean;
type ResourceTest = (resource: string, keys: KeyLookup) => boolean;

function compileActions(patterns: readonly string[], negate: boolean): ActionTest {
  if (patterns.includes('*')) return negate ? never : always;
  const globs = patterns.map((p) => globMatcher(tokenizeWildcards(p.toLowerCase())));
  const test = globs.length === 1 ? (globs[0] as ActionTest) : anyAction(globs);
  return negate ? notAction(test) : test;
}

/** A Resource/NotResource test; `undefined` when it holds for every resource (`Resource: "*"`). */
function compileResources(
  patterns: readonly string[],
  negate: boolean,
  variables: boolean,
): ResourceTest | undefined {
  if (patterns.includes('*')) return negate ? never : undefined;
  const ts = patterns.map((p) => compilePattern(p, { variables, mode: 'arn' }));
  const fixed = ts.map((t) => t.fixed);
  let test: ResourceTest;
  if (ts.length === 1) test = fixed[0] ?? withKeys(ts[0] as PatternTemplate);
  else test = anyResource(ts, fixed);
  return negate ? notResource(test) : test;
}

// Closures are made by small functions so that each keeps only what it reads (a closure holds
// every variable that any closure of its scope captures): compiled policies stay small.
const always = (): boolean => true;
const never = (): boolean => false;
const notAction =
  (test: ActionTest): ActionTest =>
  (a) =>
    !test(a);
const notResource =
  (test: ResourceTest): ResourceTest =>
  (r, keys) =>
    !test(r, keys);
const withKeys =
  (t: PatternTemplate): ResourceTest =>
  (r, keys) =>
    t.matches(r, keys);
const anyAction =
  (globs: readonly ActionTest[]): ActionTest =>
  (a) => {
    for (const g of globs) if (g(a)) return true;
    return false;
  };
const anyResource =
  (
    ts: readonly PatternTemplate[],
    fixed: readonly (((resource: string) => boolean) | undefined)[],
  ): ResourceTest =>
  (r, keys) => {
    for (let i = 0; i < ts.length; i++) {
      const m = fixed[i];
      if (m !== undefined ? m(r) : (ts[i] as PatternTemplate).matches(r, keys)) return true;
    }
    return false;
  };

function compileStatement(s: Statement, variables: boolean): CompiledStatement {
  const matchesAction = s.action ? compileActions(s.action, false) : compileActions(s.notAction ?? [], true);
  // `Resource: "*"` needs no test, like a statement without Resource.
  let matchesResource: CompiledStatement['matchesResource'];
  if (s.resource) matchesResource = compileResources(s.resource, false, variables);
  else if (s.notResource) matchesResource = compileResources(s.notResource, true, variables);
  let matchesPrincipal: PrincipalMatcher | undefined;
  if (s.principal) matchesPrincipal = compilePrincipal(s.principal);
  else if (s.notPrincipal) matchesPrincipal = compileNotPrincipal(s.notPrincipal);
  const cond = compileConditionBlock(s.condition, { variables, statement: s.index });
  // Every statement has every field (absent ones `undefined`): one object shape, so that the
  // evaluator reads them from fixed offsets.
  return {
    index: s.index,
    sid: s.sid,
    effect: s.effect,
    matchesAction,
    matchesResource,
    matchesPrincipal,
    condition: cond?.test,
    failingClauses: cond?.failing,
  };
}

/** Hashes a policy text; identical text compiles to the identical policy. */
export function policyHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A compiled policy. The per-action memo lives on the object itself, next to the last action
 * asked for and, when that action selects at most one statement, the statement itself: a
 * decision that meets the policy again with the same action (a pull asks for the same few actions
 * over and over) reads fields of this object instead of a hash table and a list.
 */
export class Compiled implements CompiledPolicy {
  #lastAction: string | undefined = undefined;
  #lastHit: readonly CompiledStatement[] = [];
  #lastSole: CompiledStatement | null | undefined = null;
  #memo: Map<string, readonly CompiledStatement[]> | undefined = undefined;
  constructor(
    readonly kind: PolicyKind,
    readonly document: PolicyDocument,
    readonly hash: string,
    readonly statements: readonly CompiledStatement[],
  ) {}

  statementsFor(action: string): readonly CompiledStatement[] {
    if (action === this.#lastAction) return this.#lastHit;
    const memo = (this.#memo ??= new Map());
    let hit = memo.get(action);
    if (hit === undefined) {
      const lower = action.toLowerCase();
      hit = this.statements.filter((s) => s.matchesAction(lower));
      // Every statement applies (one-statement policies mostly): share the list.
      if (hit.length === this.statements.length) hit = this.statements;
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(action, hit);
    }
    this.#lastAction = action;
    this.#lastHit = hit;
    this.#lastSole = hit.length === 0 ? null : hit.length === 1 ? hit[0] : undefined;
    return hit;
  }

  /**
   * The one statement `action` selects, `null` when it selects none, `undefined` when it selects
   * several (then use {@link statementsFor}).
   */
  soleStatementFor(action: string): CompiledStatement | null | undefined {
    if (action !== this.#lastAction) this.statementsFor(action);
    return this.#lastSole;
  }
}

/** Compiles a parsed document. Throws {@link PolicyError} for conditions AWS rejects. */
export function compileDocument(document: PolicyDocument, kind: PolicyKind, hash: string): CompiledPolicy {
  const variables = document.version === '2012-10-17';
  const statements = document.statements.map((s) => compileStatement(s, variables));
  return new Compiled(kind, document, hash, statements);
}

/** Parses, validates and compiles a policy text for one use. Throws {@link PolicyError}. */
export function compilePolicy(
  text: string,
  kind: PolicyKind,
  opts: { maxSize?: number } = {},
): CompiledPolicy {
  const document = parsePolicy(text, { kind, ...opts });
  return compileDocument(document, kind, policyHash(text));
}

/**
 * Compiled policies by (kind, text), so that a policy is parsed once however many requests use it.
 * Keyed by the text itself (a Map lookup, no hashing per request); the content hash is computed once
 * at compile time. Bounded (the oldest entry goes first); owned by the caller, so the engine keeps
 * no global state and a server shares one cache across every request.
 */
export class PolicyCache {
  private readonly byKind = new Map<string, Map<string, CompiledPolicy>>();
  private count = 0;
  constructor(private readonly capacity = 10_000) {}

  /**
   * The compiled policy for `text`, compiling it on first use. Throws {@link PolicyError}.
   * `stored` documents were validated when they were saved, under the limit of the operation that
   * saved them (an inline role policy may hold 10,240 characters where a managed one holds 6,144),
   * so the kind's default size limit is not applied to them again.
   */
  get(text: string, kind: PolicyKind, opts: { stored?: boolean } = {}): CompiledPolicy {
    const slot = opts.stored === true ? `${kind}/stored` : kind;
    let map = this.byKind.get(slot);
    if (map === undefined) this.byKind.set(slot, (map = new Map()));
    const hit = map.get(text);
    if (hit !== undefined) return hit;
    const compiled = compilePolicy(
      text,
      kind,
      opts.stored === true ? { maxSize: Number.POSITIVE_INFINITY } : {},
    );
    if (this.count >= this.capacity) this.evictOne();
    map.set(text, compiled);
    this.count++;
    return compiled;
  }

  private evictOne(): void {
    for (const map of this.byKind.values()) {
      const oldest = map.keys().next();
      if (!oldest.done) {
        map.delete(oldest.value);
        this.count--;
        return;
      }
    }
  }

  /** Number of cached policies (for metrics and tests). */
  get size(): number {
    return this.count;
  }
}
