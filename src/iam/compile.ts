import { createHash } from 'node:crypto';
import type { KeyLookup } from './context.js';
import { compileConditionBlock, type ConditionClauseInfo } from './conditions/index.js';
import { compileGlob, type Glob } from './glob.js';
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
  /** Resource test; `undefined` when the statement has no Resource (the policy's own resource). */
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

function compileActions(patterns: readonly string[], negate: boolean): (lowerAction: string) => boolean {
  if (patterns.includes('*')) return negate ? () => false : () => true;
  const globs: Glob[] = patterns.map((p) => compileGlob(p.toLowerCase()));
  if (globs.length === 1) {
    const g = globs[0]!;
    return negate ? (a) => !g.match(a) : (a) => g.match(a);
  }
  const any = (a: string): boolean => {
    for (const g of globs) if (g.match(a)) return true;
    return false;
  };
  return negate ? (a) => !any(a) : any;
}

function compileResources(
  patterns: readonly string[],
  negate: boolean,
  variables: boolean,
): (resource: string, keys: KeyLookup) => boolean {
  if (patterns.includes('*')) return negate ? () => false : () => true;
  const ts: PatternTemplate[] = patterns.map((p) => compilePattern(p, { variables, mode: 'arn' }));
  const any = (r: string, keys: KeyLookup): boolean => {
    for (const t of ts) if (t.matches(r, keys)) return true;
    return false;
  };
  return negate ? (r, keys) => !any(r, keys) : any;
}

function compileStatement(s: Statement, variables: boolean): CompiledStatement {
  const matchesAction = s.action ? compileActions(s.action, false) : compileActions(s.notAction ?? [], true);
  let matchesResource: CompiledStatement['matchesResource'];
  if (s.resource) matchesResource = compileResources(s.resource, false, variables);
  else if (s.notResource) matchesResource = compileResources(s.notResource, true, variables);
  let matchesPrincipal: PrincipalMatcher | undefined;
  if (s.principal) matchesPrincipal = compilePrincipal(s.principal);
  else if (s.notPrincipal) matchesPrincipal = compileNotPrincipal(s.notPrincipal);
  const cond = compileConditionBlock(s.condition, { variables, statement: s.index });
  return {
    index: s.index,
    ...(s.sid !== undefined && { sid: s.sid }),
    effect: s.effect,
    matchesAction,
    ...(matchesResource && { matchesResource }),
    ...(matchesPrincipal && { matchesPrincipal }),
    ...(cond && { condition: cond.test, failingClauses: cond.failing }),
  };
}

/** Hashes a policy text; identical text compiles to the identical policy. */
export function policyHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Compiles a parsed document. Throws {@link PolicyError} for conditions AWS rejects. */
export function compileDocument(document: PolicyDocument, kind: PolicyKind, hash: string): CompiledPolicy {
  const variables = document.version === '2012-10-17';
  const statements = document.statements.map((s) => compileStatement(s, variables));
  const memo = new Map<string, readonly CompiledStatement[]>();
  return {
    kind,
    document,
    hash,
    statements,
    statementsFor(action) {
      let hit = memo.get(action);
      if (hit === undefined) {
        const lower = action.toLowerCase();
        hit = statements.filter((s) => s.matchesAction(lower));
        if (memo.size >= MEMO_LIMIT) memo.clear();
        memo.set(action, hit);
      }
      return hit;
    },
  };
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
  private readonly byKind = new Map<PolicyKind, Map<string, CompiledPolicy>>();
  private count = 0;
  constructor(private readonly capacity = 10_000) {}

  /** The compiled policy for `text`, compiling it on first use. Throws {@link PolicyError}. */
  get(text: string, kind: PolicyKind): CompiledPolicy {
    let map = this.byKind.get(kind);
    if (map === undefined) this.byKind.set(kind, (map = new Map()));
    const hit = map.get(text);
    if (hit !== undefined) return hit;
    const compiled = compilePolicy(text, kind);
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
