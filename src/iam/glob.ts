/**
 * IAM wildcard matching: `*` matches any run of characters (including none) and `?` exactly one
 * UTF-16 code unit. Patterns are compiled once into fixed-length segments separated by stars; a
 * match anchors the first and last segments and places every middle segment at its leftmost
 * possible position. Because every segment has a fixed length, the leftmost placement is always
 * safe, so a match never backtracks: the cost is at most (value length × pattern length), never
 * exponential, and no regular expression is built or run.
 */

/** A compiled wildcard pattern (`*` any run incl. empty, `?` exactly one char); no regex at match time. */
export interface Glob {
  match(value: string): boolean;
}

/**
 * One piece of a pattern whose wildcards are already told apart from literal text, so a caller
 * that substitutes data into a pattern (policy variables) can keep that data literal.
 */
export type GlobToken =
  { readonly kind: 'text'; readonly text: string } | { readonly kind: 'star' } | { readonly kind: 'qmark' };

/** The `*` token, shared so callers need not allocate one per use. */
export const STAR: GlobToken = { kind: 'star' };
/** The `?` token, shared so callers need not allocate one per use. */
export const QMARK: GlobToken = { kind: 'qmark' };

/** Options shared by the compilers: IgnoreCase operators fold both sides to lower case. */
export interface GlobOptions {
  ignoreCase?: boolean;
}

/** Compiles a pattern written with `*` and `?`, once, for many matches. */
export function compileGlob(pattern: string, opts?: GlobOptions): Glob {
  return compileGlobTokens(tokenizeWildcards(pattern), opts);
}

/** Splits a pattern string into text runs and wildcard tokens (every `*` and `?` is a wildcard). */
export function tokenizeWildcards(pattern: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  let start = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === STAR_CODE || c === QMARK_CODE) {
      if (i > start) tokens.push({ kind: 'text', text: pattern.slice(start, i) });
      tokens.push(c === STAR_CODE ? STAR : QMARK);
      start = i + 1;
    }
  }
  if (start < pattern.length) tokens.push({ kind: 'text', text: pattern.slice(start) });
  return tokens;
}

/** Compiles already-separated tokens; text tokens never act as wildcards, whatever they contain. */
export function compileGlobTokens(tokens: readonly GlobToken[], opts?: GlobOptions): Glob {
  return { match: globMatcher(tokens, opts) };
}

/** {@link compileGlobTokens} as a bare function, for compiled policies that hold many of them. */
export function globMatcher(tokens: readonly GlobToken[], opts?: GlobOptions): (value: string) => boolean {
  if (opts?.ignoreCase === true) return folded(compileSegments(tokens, true));
  const { head, middle, tail, stars } = segmentsOf(tokens, false);
  if (stars === 0) return head.any === undefined ? equalTo(head.text) : fixedLength(head);
  if (middle.length === 0 && head.text.length === 0 && tail.text.length === 0) return anything;
  if (middle.length === 0 && tail.text.length === 0 && head.any === undefined) return startingWith(head.text);
  if (middle.length === 0 && head.text.length === 0 && tail.any === undefined) return endingWith(tail.text);
  return general(head, middle, tail);
}

// Each matcher is made by its own small function so that it keeps only what it reads: a closure
// holds every variable that any closure of the same scope captures.
const anything = (): boolean => true;
const equalTo = (text: string) => (v: string) => v === text;
const fixedLength = (seg: Segment) => (v: string) => v.length === seg.text.length && segmentAt(v, 0, seg);
const startingWith = (prefix: string) => (v: string) => v.startsWith(prefix);
const endingWith = (suffix: string) => (v: string) => v.endsWith(suffix);
const general = (head: Segment, middle: readonly Segment[], tail: Segment) => (v: string) =>
  matchGeneralRange(v, 0, v.length, head, middle, tail);
const folded = (m: RangeMatcher) => (v: string) => m(lowerKeepingLength(v), 0, v.length);

/**
 * A case-sensitive wildcard test of the part `value[start, end)` of a string, so that a caller
 * matching several parts of one value (the six parts of an ARN) need not cut it into substrings.
 */
export type RangeMatcher = (value: string, start: number, end: number) => boolean;

/** Compiles already-separated tokens into a {@link RangeMatcher} (case-sensitive, same rules as {@link compileGlobTokens}). */
export function compileGlobRange(tokens: readonly GlobToken[]): RangeMatcher {
  return compileSegments(tokens, false);
}

function compileSegments(tokens: readonly GlobToken[], ignoreCase: boolean): RangeMatcher {
  const { head, middle, tail, stars } = segmentsOf(tokens, ignoreCase);
  if (stars === 0) return head.any === undefined ? rangeEqualTo(head.text) : rangeFixedLength(head);
  if (middle.length === 0 && head.text.length === 0 && tail.text.length === 0) return anything;
  if (middle.length === 0 && tail.text.length === 0 && head.any === undefined)
    return rangeStartingWith(head.text);
  if (middle.length === 0 && head.text.length === 0 && tail.any === undefined)
    return rangeEndingWith(tail.text);
  return rangeGeneral(head, middle, tail);
}

const rangeEqualTo = (text: string) => (v: string, start: number, end: number) =>
  end - start === text.length && v.startsWith(text, start);
const rangeFixedLength = (seg: Segment) => (v: string, start: number, end: number) =>
  end - start === seg.text.length && segmentAt(v, start, seg);
const rangeStartingWith = (prefix: string) => (v: string, start: number, end: number) =>
  end - start >= prefix.length && v.startsWith(prefix, start);
const rangeEndingWith = (suffix: string) => (v: string, start: number, end: number) =>
  end - start >= suffix.length && v.startsWith(suffix, end - suffix.length);
const rangeGeneral =
  (head: Segment, middle: readonly Segment[], tail: Segment) => (v: string, start: number, end: number) =>
    matchGeneralRange(v, start, end, head, middle, tail);

/**
 * A pattern cut at its stars: the anchored first and last segments, the non-empty ones between
 * (empty ones, from consecutive stars, change nothing), and the number of stars.
 */
function segmentsOf(
  tokens: readonly GlobToken[],
  ignoreCase: boolean,
): { head: Segment; middle: Segment[]; tail: Segment; stars: number } {
  const segments: Segment[] = [];
  let current = new SegmentBuilder();
  let stars = 0;
  for (const token of tokens) {
    if (token.kind === 'star') {
      segments.push(current.build(ignoreCase));
      current = new SegmentBuilder();
      stars++;
    } else if (token.kind === 'qmark') {
      current.addAny();
    } else {
      current.addText(token.text);
    }
  }
  segments.push(current.build(ignoreCase));
  return {
    head: segments[0] as Segment,
    middle: segments.slice(1, -1).filter((seg) => seg.text.length > 0),
    tail: segments[segments.length - 1] as Segment,
    stars,
  };
}

/**
 * A flat copy of `s` that refers to no other string. Text built by concatenation or cut from a
 * longer string (the policy document) is stored by the engine as a chain or a window onto another
 * string, which every comparison would have to follow; compiled patterns keep copies instead.
 */
export function standalone(s: string): string {
  // V8 makes chains and windows only for strings of 13 characters or more.
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

const STAR_CODE = 42; // '*'
const QMARK_CODE = 63; // '?'

/** A fixed-length run between stars: literal text, with `any[i]` set where `?` stands. */
interface Segment {
  readonly text: string;
  readonly any: readonly boolean[] | undefined;
}

class SegmentBuilder {
  private text = '';
  private any: boolean[] | undefined;

  addText(s: string): void {
    if (this.any) for (let i = 0; i < s.length; i++) this.any.push(false);
    this.text += s;
  }

  addAny(): void {
    if (!this.any) this.any = new Array<boolean>(this.text.length).fill(false);
    this.any.push(true);
    this.text += '?';
  }

  build(ignoreCase: boolean): Segment {
    return { text: standalone(ignoreCase ? lowerKeepingLength(this.text) : this.text), any: this.any };
  }
}

/**
 * Lower-cases text, leaving alone the rare characters whose lower case has another length, so
 * that pattern and value fold the same way and `?` positions stay aligned.
 */
function lowerKeepingLength(s: string): string {
  const lower = s.toLowerCase();
  if (lower.length === s.length) return lower;
  let out = '';
  for (const ch of s) {
    const l = ch.toLowerCase();
    out += l.length === ch.length ? l : ch;
  }
  return out;
}

function segmentAt(v: string, pos: number, seg: Segment): boolean {
  const text = seg.text;
  const any = seg.any;
  if (any === undefined) return v.startsWith(text, pos);
  for (let i = 0; i < text.length; i++) {
    if (!any[i] && v.charCodeAt(pos + i) !== text.charCodeAt(i)) return false;
  }
  return true;
}

/** Leftmost index in [from, last] where `seg` matches, or -1. */
function find(v: string, seg: Segment, from: number, last: number): number {
  if (seg.any === undefined) {
    const i = v.indexOf(seg.text, from);
    return i !== -1 && i <= last ? i : -1;
  }
  for (let i = from; i <= last; i++) if (segmentAt(v, i, seg)) return i;
  return -1;
}

/**
 * Whether `v[start, end)` matches: head anchored at `start`, tail at `end`, each middle segment at
 * its leftmost place after the previous one.
 */
function matchGeneralRange(
  v: string,
  start: number,
  end: number,
  head: Segment,
  middle: readonly Segment[],
  tail: Segment,
): boolean {
  const tailAt = end - tail.text.length;
  if (start + head.text.length > tailAt) return false;
  if (!segmentAt(v, start, head) || !segmentAt(v, tailAt, tail)) return false;
  let pos = start + head.text.length;
  for (const seg of middle) {
    const at = find(v, seg, pos, tailAt - seg.text.length);
    if (at === -1) return false;
    pos = at + seg.text.length;
  }
  return true;
}
