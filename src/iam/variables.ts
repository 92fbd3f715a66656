/**
 * Policy values that may hold `${...}` policy variables, compiled once and matched per request.
 *
 * A value is parsed into tokens: literal text, the wildcards `*` and `?` (in the modes that have
 * wildcards) and variables. Substitution happens on tokens, never on strings, so that the escapes
 * `${*}`, `${?}`, `${$}` and any text a variable brings in (a tag value holding `*`, say) stay
 * literal: data the request carried can never widen what the policy author wrote.
 */
import { contextKey, type KeyLookup } from './context.js';
import {
  compileGlobRange,
  globMatcher,
  QMARK,
  standalone,
  STAR,
  type GlobToken,
  type RangeMatcher,
} from './glob.js';

/**
 * How a template compares with a value: `exact` (StringEquals), `exactIgnoreCase`, `glob`
 * (StringLike, actions), `globIgnoreCase`, or `arn` (Resource, Arn* operators: six parts, each
 * globbed on its own, case-sensitive).
 */
export type MatchMode = 'exact' | 'exactIgnoreCase' | 'glob' | 'globIgnoreCase' | 'arn';

/** A policy value that may contain `${...}` variables, compiled once, matched many times. */
export interface PatternTemplate {
  readonly source: string;
  readonly hasVariables: boolean;
  /** true if `value` matches after substituting variables from ctx; false if a variable is unresolvable and has no default */
  matches(value: string, ctx: KeyLookup): boolean;
  /** the substituted text (wildcards kept as pattern chars), or undefined if unresolvable */
  resolve(ctx: KeyLookup): string | undefined;
  /** For a template without variables: the same test as `matches`, needing no context keys. */
  readonly fixed?: (value: string) => boolean;
}

/** How one ARN comparison came out; `invalid` when either side is not an ARN of five or six parts. */
export type ArnOutcome = 'match' | 'nomatch' | 'invalid';

/**
 * An `arn` template with the reading the Arn* condition operators need: they must tell a value
 * that is not an ARN (a failed comparison, which fails negated operators too) from one that
 * simply differs.
 */
export interface ArnConditionPattern extends PatternTemplate {
  /**
   * Compares as ArnLike does: either side with fewer than five colon-separated parts is
   * `invalid`; one with exactly five parts has an empty resource part; no part is padded. An
   * unresolvable variable is `nomatch` (AWS: "there is no equal or like value").
   */
  test(value: string, ctx: KeyLookup): ArnOutcome;
  /** For a pattern without variables: the same test as `test`, needing no context keys. */
  readonly fixedTest?: (value: string) => ArnOutcome;
}

/**
 * Compiles a policy value. `variables` is true only for `Version: 2012-10-17` documents; in
 * 2008-10-17 documents `${...}` is literal text. In `arn` mode, `matches` pads a pattern with fewer
 * than six parts with `*` parts (so `arn:aws:ecr:*` means `arn:aws:ecr:*:*:*`, as iam-simulate
 * does for identity policies and as a whole-string glob would) and a value with fewer than six
 * parts matches nothing but the pattern `*`.
 */
export function compilePattern(text: string, opts: { variables: boolean; mode: MatchMode }): PatternTemplate {
  return compileTemplate(text, opts.variables, opts.mode);
}

/** Compiles an Arn* condition value, see {@link ArnConditionPattern}. */
export function compileArnConditionPattern(text: string, opts: { variables: boolean }): ArnConditionPattern {
  return compileTemplate(text, opts.variables, 'arn');
}

type Piece =
  GlobToken | { readonly kind: 'var'; readonly key: string; readonly fallback: string | undefined };

type Matcher = (value: string) => boolean;
type ArnTest = (value: string) => ArnOutcome;

type Variable = Extract<Piece, { kind: 'var' }>;

function compileTemplate(source: string, variables: boolean, mode: MatchMode): ArnConditionPattern {
  const wildcards = mode === 'glob' || mode === 'globIgnoreCase' || mode === 'arn';
  const pieces = parsePieces(source, variables, wildcards);
  return pieces.some((p) => p.kind === 'var')
    ? new VariableTemplate(source, mode, pieces)
    : new FixedTemplate(source, mode, pieces as GlobToken[]);
}

/**
 * A template without variables. Its tests are built on first use: a Resource only ever asks
 * `fixed`, an Arn* condition only `fixedTest`.
 */
class FixedTemplate implements ArnConditionPattern {
  readonly hasVariables = false;
  readonly source: string;
  readonly #mode: MatchMode;
  readonly #flat: readonly GlobToken[];
  #matcher: Matcher | undefined = undefined;
  #arnTest: ArnTest | undefined = undefined;
  constructor(source: string, mode: MatchMode, flat: readonly GlobToken[]) {
    this.source = source;
    this.#mode = mode;
    this.#flat = flat;
  }

  get fixed(): Matcher {
    return (this.#matcher ??= buildMatcher(this.#flat, this.#mode));
  }

  get fixedTest(): ArnTest {
    if (this.#arnTest === undefined) {
      if (this.#mode === 'arn') this.#arnTest = buildArnTest(this.#flat);
      else {
        const m = this.fixed;
        this.#arnTest = (value) => (m(value) ? 'match' : 'nomatch');
      }
    }
    return this.#arnTest;
  }

  matches(value: string): boolean {
    return this.fixed(value);
  }

  resolve(): string {
    return this.#mode === 'exact' || this.#mode === 'exactIgnoreCase' ? joinText(this.#flat) : this.source;
  }

  test(value: string): ArnOutcome {
    return this.fixedTest(value);
  }
}

/** How many tuples of variable values a template keeps a matcher for. */
const TEMPLATE_MEMO_LIMIT = 64;

/**
 * A template with variables. The matcher depends only on the text each variable resolves to, so
 * the matchers built for the latest few tuples of values are kept (bounded; they live and die
 * with this compiled template).
 */
class VariableTemplate implements ArnConditionPattern {
  readonly hasVariables = true;
  readonly source: string;
  readonly #mode: MatchMode;
  readonly #pieces: readonly Piece[];
  readonly #variables: readonly Variable[];
  #matchers: Map<string, Matcher> | undefined = undefined;
  #arnTests: Map<string, ArnTest> | undefined = undefined;
  constructor(source: string, mode: MatchMode, pieces: readonly Piece[]) {
    this.source = source;
    this.#mode = mode;
    this.#pieces = pieces;
    this.#variables = pieces.filter((p): p is Variable => p.kind === 'var');
  }

  /** The memo key: the one variable's text, or each text prefixed by its length; undefined if unresolvable. */
  #memoKey(ctx: KeyLookup): string | undefined {
    const vars = this.#variables;
    if (vars.length === 1) return resolveVariable(vars[0] as Variable, ctx);
    let key = '';
    for (const v of vars) {
      const text = resolveVariable(v, ctx);
      if (text === undefined) return undefined;
      key += `${text.length}:${text}`;
    }
    return key;
  }

  #matcherFor(ctx: KeyLookup): Matcher | undefined {
    const key = this.#memoKey(ctx);
    if (key === undefined) return undefined;
    const memo = (this.#matchers ??= new Map());
    let m = memo.get(key);
    if (m === undefined) {
      m = buildMatcher(substitute(this.#pieces, ctx) as GlobToken[], this.#mode);
      if (memo.size >= TEMPLATE_MEMO_LIMIT) memo.clear();
      memo.set(key, m);
    }
    return m;
  }

  matches(value: string, ctx: KeyLookup): boolean {
    const m = this.#matcherFor(ctx);
    return m !== undefined && m(value);
  }

  resolve(ctx: KeyLookup): string | undefined {
    const flat = substitute(this.#pieces, ctx);
    if (flat === undefined) return undefined;
    return this.#mode === 'exact' || this.#mode === 'exactIgnoreCase' ? joinText(flat) : renderPattern(flat);
  }

  test(value: string, ctx: KeyLookup): ArnOutcome {
    if (this.#mode !== 'arn') return this.matches(value, ctx) ? 'match' : 'nomatch';
    const key = this.#memoKey(ctx);
    if (key === undefined) return 'nomatch';
    const memo = (this.#arnTests ??= new Map());
    let t = memo.get(key);
    if (t === undefined) {
      t = buildArnTest(substitute(this.#pieces, ctx) as GlobToken[]);
      if (memo.size >= TEMPLATE_MEMO_LIMIT) memo.clear();
      memo.set(key, t);
    }
    return t(value);
  }
}

/** The text a variable stands for: its key's single value, else its default; undefined if neither. */
function resolveVariable(v: Variable, ctx: KeyLookup): string | undefined {
  const value = ctx.get(v.key);
  return typeof value === 'string' ? value : v.fallback;
}

/**
 * Reads a policy value into tokens. With `variables`, `${key}` and `${key, 'default'}` are
 * variables (key compared lower-cased, default taken verbatim between the single quotes) and
 * `${*}`, `${?}`, `${$}` are the literal characters; a `${` with no closing `}` is literal text.
 */
function parsePieces(text: string, variables: boolean, wildcards: boolean): Piece[] {
  const pieces: Piece[] = [];
  let literal = '';
  let from = 0; // start of the literal run not yet added to `literal`
  const flush = (to: number) => {
    literal += text.slice(from, to);
    if (literal.length > 0) pieces.push({ kind: 'text', text: standalone(literal) });
    literal = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (variables && ch === '$' && text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close !== -1) {
        const inner = text.slice(i + 2, close);
        if (inner === '*' || inner === '?' || inner === '$') {
          literal += text.slice(from, i) + inner;
        } else {
          flush(i);
          pieces.push(parseVariable(inner));
        }
        i = from = close + 1;
        continue;
      }
    }
    if (wildcards && (ch === '*' || ch === '?')) {
      flush(i);
      pieces.push(ch === '*' ? STAR : QMARK);
      from = i + 1;
    }
    i++;
  }
  flush(text.length);
  return pieces;
}

function parseVariable(inner: string): Piece {
  const comma = inner.indexOf(',');
  if (comma === -1) return { kind: 'var', key: contextKey(inner.trim()), fallback: undefined };
  const key = contextKey(inner.slice(0, comma).trim());
  const rest = inner.slice(comma + 1).trim();
  const quoted = rest.length >= 2 && rest.startsWith("'") && rest.endsWith("'");
  return { kind: 'var', key, fallback: quoted ? rest.slice(1, -1) : undefined };
}

/**
 * Replaces each variable by the single value of its key (or its default), as literal text;
 * undefined when a variable's key is absent or multi-valued and it has no default.
 */
function substitute(pieces: readonly Piece[], ctx: KeyLookup): GlobToken[] | undefined {
  const out: GlobToken[] = [];
  let literal = '';
  for (const piece of pieces) {
    let text: string;
    if (piece.kind === 'var') {
      const value = resolveVariable(piece, ctx);
      if (value === undefined) return undefined;
      text = value;
    } else if (piece.kind === 'text') {
      text = piece.text;
    } else {
      if (literal.length > 0) out.push({ kind: 'text', text: literal });
      literal = '';
      out.push(piece);
      continue;
    }
    literal += text;
  }
  if (literal.length > 0) out.push({ kind: 'text', text: literal });
  return out;
}

function joinText(flat: readonly GlobToken[]): string {
  let s = '';
  for (const t of flat) s += t.kind === 'text' ? t.text : t.kind === 'star' ? '*' : '?';
  return s;
}

/** Writes tokens back as a 2012-10-17 pattern: wildcards bare, literal `*`, `?` and `${` escaped. */
function renderPattern(flat: readonly GlobToken[]): string {
  let s = '';
  for (const t of flat) {
    if (t.kind === 'star') s += '*';
    else if (t.kind === 'qmark') s += '?';
    else {
      for (let i = 0; i < t.text.length; i++) {
        const ch = t.text[i] as string;
        if (ch === '*') s += '${*}';
        else if (ch === '?') s += '${?}';
        else if (ch === '$' && t.text[i + 1] === '{') s += '${$}';
        else s += ch;
      }
    }
  }
  return s;
}

function buildMatcher(flat: readonly GlobToken[], mode: MatchMode): Matcher {
  switch (mode) {
    case 'exact': {
      const text = standalone(joinText(flat));
      return (v) => v === text;
    }
    case 'exactIgnoreCase': {
      const text = standalone(joinText(flat).toLowerCase());
      return (v) => v.toLowerCase() === text;
    }
    case 'glob':
      return globMatcher(flat);
    case 'globIgnoreCase':
      return globMatcher(flat, { ignoreCase: true });
    case 'arn':
      return buildArnMatcher(flat);
  }
}

function allStars(flat: readonly GlobToken[]): boolean {
  return flat.length > 0 && flat.every((t) => t.kind === 'star');
}

/** Splits tokens into ARN parts at the first five literal colons; the last part keeps the rest. */
function splitArnTokens(flat: readonly GlobToken[]): GlobToken[][] {
  const parts: GlobToken[][] = [[]];
  for (const t of flat) {
    let current = parts[parts.length - 1] as GlobToken[];
    if (t.kind !== 'text' || parts.length === 6) {
      current.push(t);
      continue;
    }
    let rest = t.text;
    let colon = rest.indexOf(':');
    while (colon !== -1 && parts.length < 6) {
      if (colon > 0) current.push({ kind: 'text', text: rest.slice(0, colon) });
      current = [];
      parts.push(current);
      rest = rest.slice(colon + 1);
      colon = rest.indexOf(':');
    }
    if (rest.length > 0) current.push({ kind: 'text', text: rest });
  }
  return parts;
}

/** A part that is a lone `*` (or only stars) matches any text: no test needed. */
function partMatcher(part: readonly GlobToken[]): RangeMatcher | undefined {
  return allStars(part) ? undefined : compileGlobRange(part);
}

function literalText(part: readonly GlobToken[]): string | undefined {
  let s = '';
  for (const t of part) {
    if (t.kind !== 'text') return undefined;
    s += t.text;
  }
  return s;
}

/**
 * The first five ARN parts as one literal prefix `p0:p1:p2:p3:p4:` when none holds a wildcard: a
 * value then has those five parts exactly when it starts with the prefix (the parts hold no
 * colon), and its sixth part is the rest.
 */
function literalArnPrefix(parts: readonly (readonly GlobToken[])[]): string | undefined {
  let prefix = '';
  for (let i = 0; i < 5; i++) {
    const text = literalText(parts[i] as readonly GlobToken[]);
    if (text === undefined) return undefined;
    prefix += text + ':';
  }
  return prefix;
}

function buildArnMatcher(flat: readonly GlobToken[]): Matcher {
  if (allStars(flat)) return () => true;
  const parts = splitArnTokens(flat);
  while (parts.length < 6) parts.push([STAR]);
  const prefix = literalArnPrefix(parts);
  if (prefix !== undefined)
    return globMatcher([{ kind: 'text', text: prefix }, ...(parts[5] as GlobToken[])]);
  // The leading parts without wildcards (`arn:aws:ecr:` mostly) are one prefix test; the others
  // are matched in place, between the colons found after it.
  let literal = 0;
  let head = '';
  for (; literal < 5; literal++) {
    const text = literalText(parts[literal] as GlobToken[]);
    if (text === undefined) break;
    head += text + ':';
  }
  return arnParts(standalone(head), parts.slice(literal).map(partMatcher));
}

const arnParts =
  (head: string, rest: readonly (RangeMatcher | undefined)[]): Matcher =>
  (value) => {
    if (!value.startsWith(head)) return false;
    let start = head.length;
    const last = rest.length - 1;
    for (let i = 0; i < last; i++) {
      const colon = value.indexOf(':', start);
      if (colon === -1) return false;
      const g = rest[i];
      if (g !== undefined && !g(value, start, colon)) return false;
      start = colon + 1;
    }
    const g = rest[last];
    return g === undefined || g(value, start, value.length);
  };

function buildArnTest(flat: readonly GlobToken[]): (value: string) => ArnOutcome {
  if (allStars(flat)) return () => 'match';
  const parts = splitArnTokens(flat);
  if (parts.length < 5) return () => 'invalid';
  if (parts.length === 5) parts.push([]);
  const prefix = literalArnPrefix(parts);
  if (prefix !== undefined) return literalArnTest(prefix, parts[5] as GlobToken[]);
  const [g0, g1, g2, g3, g4, g5] = parts.map(partMatcher);
  return (value) => {
    const c0 = value.indexOf(':');
    if (c0 === -1) return 'invalid';
    const c1 = value.indexOf(':', c0 + 1);
    if (c1 === -1) return 'invalid';
    const c2 = value.indexOf(':', c1 + 1);
    if (c2 === -1) return 'invalid';
    const c3 = value.indexOf(':', c2 + 1);
    if (c3 === -1) return 'invalid';
    // With only five parts, the fifth runs to the end and the sixth is empty.
    let c4 = value.indexOf(':', c3 + 1);
    let start5 = c4 + 1;
    if (c4 === -1) start5 = c4 = value.length;
    return (g0 === undefined || g0(value, 0, c0)) &&
      (g1 === undefined || g1(value, c0 + 1, c1)) &&
      (g2 === undefined || g2(value, c1 + 1, c2)) &&
      (g3 === undefined || g3(value, c2 + 1, c3)) &&
      (g4 === undefined || g4(value, c3 + 1, c4)) &&
      (g5 === undefined || g5(value, start5, value.length))
      ? 'match'
      : 'nomatch';
  };
}

/**
 * {@link buildArnTest} for a pattern whose first five parts are the literal `prefix` (`p0:...:p4:`):
 * a value with six parts matches when it starts with the prefix and its rest matches the sixth
 * part; one with exactly five parts (an empty sixth) only when it is the prefix without its colon.
 */
function literalArnTest(prefix: string, last: readonly GlobToken[]): (value: string) => ArnOutcome {
  const rest = compileGlobRange(last);
  const fiveParts = standalone(prefix.slice(0, -1));
  const emptyMatches = rest('', 0, 0);
  return (value) => {
    if (value.startsWith(prefix)) return rest(value, prefix.length, value.length) ? 'match' : 'nomatch';
    if (!colonsAtLeast(value, 4)) return 'invalid';
    return emptyMatches && value === fiveParts ? 'match' : 'nomatch';
  };
}

function colonsAtLeast(value: string, n: number): boolean {
  let from = 0;
  for (let i = 0; i < n; i++) {
    const colon = value.indexOf(':', from);
    if (colon === -1) return false;
    from = colon + 1;
  }
  return true;
}
