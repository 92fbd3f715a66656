/**
 * Policy values that may hold `${...}` policy variables, compiled once and matched per request.
 *
 * A value is parsed into tokens: literal text, the wildcards `*` and `?` (in the modes that have
 * wildcards) and variables. Substitution happens on tokens, never on strings, so that the escapes
 * `${*}`, `${?}`, `${$}` and any text a variable brings in (a tag value holding `*`, say) stay
 * literal: data the request carried can never widen what the policy author wrote.
 */
import type { KeyLookup } from './context.js';
import { compileGlobTokens, QMARK, STAR, type GlobToken } from './glob.js';

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

interface Compiled extends ArnConditionPattern {
  readonly mode: MatchMode;
}

function compileTemplate(source: string, variables: boolean, mode: MatchMode): Compiled {
  const wildcards = mode === 'glob' || mode === 'globIgnoreCase' || mode === 'arn';
  const pieces = parsePieces(source, variables, wildcards);
  const hasVariables = pieces.some((p) => p.kind === 'var');

  if (!hasVariables) {
    const flat = pieces as GlobToken[];
    const matcher = buildMatcher(flat, mode);
    const arnTest = mode === 'arn' ? buildArnTest(flat) : undefined;
    const resolved = wildcards ? source : joinText(flat);
    return {
      source,
      hasVariables,
      mode,
      matches: (value) => matcher(value),
      resolve: () => resolved,
      test: (value) => (arnTest ? arnTest(value) : matcher(value) ? 'match' : 'nomatch'),
    };
  }

  return {
    source,
    hasVariables,
    mode,
    matches: (value, ctx) => {
      const flat = substitute(pieces, ctx);
      return flat !== undefined && buildMatcher(flat, mode)(value);
    },
    resolve: (ctx) => {
      const flat = substitute(pieces, ctx);
      if (flat === undefined) return undefined;
      return wildcards ? renderPattern(flat) : joinText(flat);
    },
    test: (value, ctx) => {
      const flat = substitute(pieces, ctx);
      if (flat === undefined) return 'nomatch';
      if (mode === 'arn') return buildArnTest(flat)(value);
      return buildMatcher(flat, mode)(value) ? 'match' : 'nomatch';
    },
  };
}

/**
 * Reads a policy value into tokens. With `variables`, `${key}` and `${key, 'default'}` are
 * variables (key compared lower-cased, default taken verbatim between the single quotes) and
 * `${*}`, `${?}`, `${$}` are the literal characters; a `${` with no closing `}` is literal text.
 */
function parsePieces(text: string, variables: boolean, wildcards: boolean): Piece[] {
  const pieces: Piece[] = [];
  let literal = '';
  const flush = () => {
    if (literal.length > 0) pieces.push({ kind: 'text', text: literal });
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
          literal += inner;
        } else {
          flush();
          pieces.push(parseVariable(inner));
        }
        i = close + 1;
        continue;
      }
    }
    if (wildcards && (ch === '*' || ch === '?')) {
      flush();
      pieces.push(ch === '*' ? STAR : QMARK);
    } else {
      literal += ch;
    }
    i++;
  }
  flush();
  return pieces;
}

function parseVariable(inner: string): Piece {
  const comma = inner.indexOf(',');
  if (comma === -1) return { kind: 'var', key: inner.trim().toLowerCase(), fallback: undefined };
  const key = inner.slice(0, comma).trim().toLowerCase();
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
      const value = ctx.get(piece.key);
      if (typeof value === 'string') text = value;
      else if (piece.fallback !== undefined) text = piece.fallback;
      else return undefined;
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
      const text = joinText(flat);
      return (v) => v === text;
    }
    case 'exactIgnoreCase': {
      const text = joinText(flat).toLowerCase();
      return (v) => v.toLowerCase() === text;
    }
    case 'glob':
      return compileGlobTokens(flat).match;
    case 'globIgnoreCase':
      return compileGlobTokens(flat, { ignoreCase: true }).match;
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

/** Splits a value into ARN parts at its first five colons. */
function splitArnValue(value: string): string[] {
  const parts: string[] = [];
  let start = 0;
  while (parts.length < 5) {
    const colon = value.indexOf(':', start);
    if (colon === -1) break;
    parts.push(value.slice(start, colon));
    start = colon + 1;
  }
  parts.push(value.slice(start));
  return parts;
}

function buildArnMatcher(flat: readonly GlobToken[]): Matcher {
  if (allStars(flat)) return () => true;
  const parts = splitArnTokens(flat);
  while (parts.length < 6) parts.push([STAR]);
  const globs = parts.map((p) => compileGlobTokens(p).match);
  return (value) => {
    const vp = splitArnValue(value);
    if (vp.length < 6) return false;
    for (let i = 0; i < 6; i++) if (!(globs[i] as Matcher)(vp[i] as string)) return false;
    return true;
  };
}

function buildArnTest(flat: readonly GlobToken[]): (value: string) => ArnOutcome {
  if (allStars(flat)) return () => 'match';
  const parts = splitArnTokens(flat);
  if (parts.length < 5) return () => 'invalid';
  if (parts.length === 5) parts.push([]);
  const globs = parts.map((p) => compileGlobTokens(p).match);
  return (value) => {
    const vp = splitArnValue(value);
    if (vp.length < 5) return 'invalid';
    if (vp.length === 5) vp.push('');
    for (let i = 0; i < 6; i++) if (!(globs[i] as Matcher)(vp[i] as string)) return 'nomatch';
    return 'match';
  };
}
