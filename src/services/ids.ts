import type { Random } from './runtime.js';

/** The alphabet AWS uses in unique ids and access key ids (base32: A–Z, 2–7). */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(random: Random, n: number): string {
  const bytes = random.bytes(n);
  let out = '';
  for (let i = 0; i < n; i++) out += BASE32[bytes[i]! & 31];
  return out;
}

/** Prefixes of IAM unique ids and access keys, as AWS issues them. */
export type IdPrefix = 'AIDA' | 'AROA' | 'AGPA' | 'ANPA' | 'AIPA' | 'AKIA' | 'ASIA';

/** Makes the identifiers IAM, STS and Organizations hand out. */
export class IdFactory {
  constructor(private readonly random: Random) {}

  /** A 20-character IAM id: `AIDA…` (user), `AROA…` (role), `AGPA…` (group), `ANPA…` (policy), `AKIA…`/`ASIA…` (keys). */
  iam(prefix: IdPrefix): string {
    return prefix + base32(this.random, 16);
  }

  /** A 40-character secret access key. */
  secretAccessKey(): string {
    return this.random.bytes(30).toString('base64').replace(/\+/g, 'x').replace(/\//g, 'y');
  }

  /** An opaque session token (long, as AWS's are). */
  sessionToken(): string {
    return 'IQoJb3JpZ2luX2Vj' + this.random.bytes(192).toString('base64');
  }

  /** A 12-digit account id that does not start with 0. */
  accountId(): string {
    const b = this.random.bytes(12);
    let s = String(1 + (b[0]! % 9));
    for (let i = 1; i < 12; i++) s += String(b[i]! % 10);
    return s;
  }

  /** Organizations ids: `o-` + 10, `r-` + 4, `car-` + 32 lowercase alphanumerics. */
  org(prefix: 'o-' | 'r-' | 'car-' | 'ou-' | 'p-', length: number): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const b = this.random.bytes(length);
    let s = prefix;
    for (let i = 0; i < length; i++) s += alphabet[b[i]! % 36];
    return s;
  }

  /** A request id in AWS's UUID form. */
  requestId(): string {
    if (this.random.uuid !== undefined) return this.random.uuid();
    const h = this.random.bytes(16).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}
