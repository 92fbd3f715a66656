/**
 * Exact decimal numbers for the Numeric* operators. Values are compared digit by digit rather than
 * as doubles, so that `9007199254740993` and `9007199254740992` stay different, as they are in
 * the policy text.
 */

/** A parsed decimal: sign, integer digits without leading zeros, fraction digits without trailing zeros. */
export interface Decimal {
  readonly negative: boolean;
  readonly int: string;
  readonly frac: string;
}

/**
 * Reads an integer or a decimal (`42`, `-7`, `+3.25`, `.5`, `5.`); no exponent, no spaces, no
 * hex. Anything else is undefined: the condition cannot compare it.
 */
export function parseDecimal(text: string): Decimal | undefined {
  let i = 0;
  let negative = false;
  if (text[0] === '+' || text[0] === '-') {
    negative = text[0] === '-';
    i = 1;
  }
  const intStart = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  let int = text.slice(intStart, i);
  let frac = '';
  if (text[i] === '.') {
    i++;
    const fracStart = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    frac = text.slice(fracStart, i);
  }
  if (i !== text.length || (int.length === 0 && frac.length === 0)) return undefined;
  int = stripLeading(int);
  frac = stripTrailing(frac);
  if (int.length === 0 && frac.length === 0) negative = false;
  return { negative, int, frac };
}

/** Orders two decimals: negative when `a < b`, zero when equal, positive when `a > b`. */
export function compareDecimal(a: Decimal, b: Decimal): number {
  if (a.negative !== b.negative) return a.negative ? -1 : 1;
  const magnitude = compareMagnitude(a, b);
  return a.negative ? -magnitude : magnitude;
}

function compareMagnitude(a: Decimal, b: Decimal): number {
  if (a.int.length !== b.int.length) return a.int.length < b.int.length ? -1 : 1;
  if (a.int !== b.int) return a.int < b.int ? -1 : 1;
  const n = Math.max(a.frac.length, b.frac.length);
  const fa = a.frac.padEnd(n, '0');
  const fb = b.frac.padEnd(n, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function stripLeading(s: string): string {
  let i = 0;
  while (i < s.length && s[i] === '0') i++;
  return s.slice(i);
}

function stripTrailing(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === '0') end--;
  return s.slice(0, end);
}
