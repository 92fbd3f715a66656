/**
 * Dates for the Date* operators, on both the policy and the request side: W3C/ISO-8601 dates and
 * date-times, or integer epoch seconds. The accepted forms follow what IAM's own parser accepts
 * when a policy is saved (observed and recorded in getmoto/moto `tests/test_iam/test_iam_policies.py`):
 * a value with no `T` and no `-` is epoch seconds (0 to 2^63-1); anything else is
 * `[-]Y[-M[-D]][T[h[:m[:s[.fraction]]]][Z|±hh[:mm]]]`, e.g. `2020-01-01`, `2020-01-01T00:00:01Z`,
 * `2016-12-13T21:20:37.593194+00:00`, `01T` (year 1). A time without a zone is UTC.
 */

const MAX_EPOCH = '9223372036854775807';
const MIN_YEAR = -292275054;
const MAX_YEAR = 292278993;

/** Epoch milliseconds (fractions kept) for a date value, or undefined if IAM cannot read it. */
export function parseDate(text: string): number | undefined {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === 't' || ch === 'T' || ch === '-') return parseIso(text);
  }
  return parseEpoch(text);
}

function parseEpoch(text: string): number | undefined {
  const digits = text.startsWith('+') ? text.slice(1) : text;
  if (digits.length === 0 || !allDigits(digits)) return undefined;
  let zeros = 0;
  while (zeros < digits.length - 1 && digits[zeros] === '0') zeros++;
  const trimmed = digits.slice(zeros);
  if (trimmed.length > MAX_EPOCH.length || (trimmed.length === MAX_EPOCH.length && trimmed > MAX_EPOCH)) {
    return undefined;
  }
  return Number(trimmed) * 1000;
}

function parseIso(text: string): number | undefined {
  let t = text.indexOf('T');
  const lower = text.indexOf('t');
  if (t === -1 || (lower !== -1 && lower < t)) t = lower;
  const datePart = t === -1 ? text : text.slice(0, t);
  const timePart = t === -1 ? '' : text.slice(t + 1);

  const negativeYear = datePart.startsWith('-');
  const fields = (negativeYear ? datePart.slice(1) : datePart).split('-');
  if (fields.length > 3 || !fields.every((f) => f.length > 0 && allDigits(f))) return undefined;
  const year = (negativeYear ? -1 : 1) * Number(fields[0]);
  const month = fields[1] === undefined ? 1 : Number(fields[1]);
  const day = fields[2] === undefined ? 1 : Number(fields[2]);
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1 || day > 31) return undefined;

  const time = parseTime(timePart);
  if (time === undefined) return undefined;
  return daysFromCivil(year, month, day) * 86_400_000 + time;
}

/** Milliseconds since midnight UTC for `h[:m[:s[.f]]][zone]`, or undefined. */
function parseTime(text: string): number | undefined {
  if (text.length === 0) return 0;
  const s = new Scanner(text);
  const hour = s.number(1, 2);
  if (hour === undefined || hour > 23) return undefined;
  let minute = 0;
  let second = 0;
  let fraction = 0;
  if (s.eat(':')) {
    const m = s.number(1, 2);
    if (m === undefined || m > 59) return undefined;
    minute = m;
    if (s.eat(':')) {
      const sec = s.number(1, 2);
      if (sec === undefined || sec > 59) return undefined;
      second = sec;
      if (s.eat('.')) {
        const digits = s.digits(1, 9);
        if (digits === undefined) return undefined;
        fraction = Number(`0.${digits}`) * 1000;
      }
    }
  }
  let offset = 0;
  if (s.eat('Z') || s.eat('z')) {
    offset = 0;
  } else if (s.peek('+') || s.peek('-')) {
    const sign = s.next() === '-' ? -1 : 1;
    const oh = s.number(2, 2);
    if (oh === undefined || oh > 23) return undefined;
    let om = 0;
    if (s.eat(':')) {
      const m = s.number(2, 2);
      if (m === undefined || m > 59) return undefined;
      om = m;
    }
    offset = sign * (oh * 60 + om) * 60_000;
  }
  if (!s.done()) return undefined;
  return ((hour * 60 + minute) * 60 + second) * 1000 + fraction - offset;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (any year, negative included). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

class Scanner {
  private pos = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.pos === this.text.length;
  }

  peek(ch: string): boolean {
    return this.text[this.pos] === ch;
  }

  next(): string | undefined {
    return this.text[this.pos++];
  }

  eat(ch: string): boolean {
    if (!this.peek(ch)) return false;
    this.pos++;
    return true;
  }

  digits(min: number, max: number): string | undefined {
    const start = this.pos;
    while (this.pos - start < max && this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 48 || c > 57) break;
      this.pos++;
    }
    return this.pos - start >= min ? this.text.slice(start, this.pos) : undefined;
  }

  number(min: number, max: number): number | undefined {
    const d = this.digits(min, max);
    return d === undefined ? undefined : Number(d);
  }
}
