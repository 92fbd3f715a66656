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
  const ignoreCase = opts?.ignoreCase === true;
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
  const fold = ignoreCase ? lowerKeepingLength : (v: string) => v;

  const head = segments[0] as Segment;
  if (stars === 0) {
    if (head.any === undefined) {
      const text = head.text;
      return { match: (v) => fold(v) === text };
    }
    return { match: (v) => matchFixed(fold(v), head) };
  }

  const tail = segments[segments.length - 1] as Segment;
  const middle = segments.slice(1, -1).filter((s) => s.text.length > 0);
  if (middle.length === 0 && head.text.length === 0 && tail.text.length === 0) {
    return { match: () => true };
  }
  if (middle.length === 0 && tail.text.length === 0 && head.any === undefined) {
    const prefix = head.text;
    return { match: (v) => fold(v).startsWith(prefix) };
  }
  if (middle.length === 0 && head.text.length === 0 && tail.any === undefined) {
    const suffix = tail.text;
    return { match: (v) => fold(v).endsWith(suffix) };
  }
  return { match: (v) => matchGeneral(fold(v), head, middle, tail) };
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
    return { text: ignoreCase ? lowerKeepingLength(this.text) : this.text, any: this.any };
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

function matchFixed(v: string, seg: Segment): boolean {
  return v.length === seg.text.length && segmentAt(v, 0, seg);
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

function matchGeneral(v: string, head: Segment, middle: readonly Segment[], tail: Segment): boolean {
  const n = v.length;
  const end = n - tail.text.length;
  if (head.text.length > end) return false;
  if (!segmentAt(v, 0, head) || !segmentAt(v, end, tail)) return false;
  let pos = head.text.length;
  for (const seg of middle) {
    const at = find(v, seg, pos, end - seg.text.length);
    if (at === -1) return false;
    pos = at + seg.text.length;
  }
  return true;
}
