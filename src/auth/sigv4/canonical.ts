/**
 * Step 1 of SigV4: the canonical request, rebuilt from the request exactly as it arrived on the
 * wire (raw path, raw query, received header values). Everything here is pure string work and is
 * written to avoid allocations on the common path (`/`, empty query, already-clean headers),
 * because it runs on every authenticated request.
 *
 * Rules (AWS SigV4 reference, non-S3 services):
 * - path: drop empty and `.` segments, resolve `..`, keep the leading and trailing `/`, then
 *   percent-encode every segment again (the wire path is already encoded once, so `%20` becomes
 *   `%2520`; this is the "double encoding" every service but S3 uses);
 * - query: split on `&` and the first `=`, percent-decode, re-encode with RFC 3986 (space is
 *   `%20`, `+` stays a literal plus), sort by encoded key then encoded value;
 * - headers: lowercase names, values trimmed, inner runs of whitespace collapsed to one space,
 *   repeated headers joined with `,` in the order received.
 */

/** Headers as node gives them: lowercased names, repeated headers as arrays. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

const HEX = '0123456789ABCDEF';

/** 1 for the RFC 3986 unreserved characters `A-Z a-z 0-9 - _ . ~`, which are never escaped. */
const UNRESERVED = (() => {
  const table = new Uint8Array(128);
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~';
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
})();

function isUnreservedCode(c: number): boolean {
  return c < 128 && UNRESERVED[c] === 1;
}

function escapeByte(b: number): string {
  return '%' + HEX.charAt(b >> 4) + HEX.charAt(b & 15);
}

/** Percent-escapes one code point as its UTF-8 bytes. */
function escapeCodePoint(cp: number): string {
  if (cp < 0x80) return escapeByte(cp);
  if (cp < 0x800) return escapeByte(0xc0 | (cp >> 6)) + escapeByte(0x80 | (cp & 63));
  if (cp < 0x10000) {
    return escapeByte(0xe0 | (cp >> 12)) + escapeByte(0x80 | ((cp >> 6) & 63)) + escapeByte(0x80 | (cp & 63));
  }
  return (
    escapeByte(0xf0 | (cp >> 18)) +
    escapeByte(0x80 | ((cp >> 12) & 63)) +
    escapeByte(0x80 | ((cp >> 6) & 63)) +
    escapeByte(0x80 | (cp & 63))
  );
}

/**
 * RFC 3986 encoding as SigV4 wants it: every byte of the UTF-8 form except the unreserved set
 * becomes `%XX` (uppercase), `%` included, so an already-encoded input is encoded again. A lone
 * surrogate is encoded as U+FFFD, as node's UTF-8 encoder does, instead of throwing like
 * `encodeURIComponent`.
 */
export function uriEncode(s: string): string {
  const n = s.length;
  let i = 0;
  while (i < n && isUnreservedCode(s.charCodeAt(i))) i++;
  if (i === n) return s;
  let out = s.slice(0, i);
  for (; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 128) {
      out += UNRESERVED[c] === 1 ? s.charAt(i) : escapeByte(c);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    out += escapeCodePoint(c);
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Canonical form of one query key or value: percent-decode (a `%` not followed by two hex digits
 * stays literal), then re-encode byte by byte. Working on bytes keeps invalid UTF-8 such as `%FF`
 * intact instead of silently turning it into U+FFFD.
 */
export function canonicalQueryComponent(raw: string): string {
  if (raw.indexOf('%') < 0) return uriEncode(raw);
  const bytes = Buffer.from(raw, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    let b = bytes[i] as number;
    if (b === 37 && i + 2 < bytes.length) {
      const hi = hexValue(bytes[i + 1] as number);
      const lo = hexValue(bytes[i + 2] as number);
      if (hi >= 0 && lo >= 0) {
        b = (hi << 4) | lo;
        i += 2;
      }
    }
    out += isUnreservedCode(b) ? String.fromCharCode(b) : escapeByte(b);
  }
  return out;
}

/** Percent-decodes a query component into a string (for reading `X-Amz-*` parameters). */
export function decodeQueryComponent(raw: string): string {
  if (raw.indexOf('%') < 0) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** One query parameter: the raw text as received and its canonical (re-encoded) form. */
export interface QueryParam {
  readonly rawKey: string;
  readonly rawValue: string;
  readonly key: string;
  readonly value: string;
}

/**
 * Splits a raw query string (without `?`) into parameters. Empty segments (`a=1&&b=2`) are
 * skipped; a segment without `=` is a key with an empty value.
 */
export function parseQuery(rawQuery: string): QueryParam[] {
  const params: QueryParam[] = [];
  if (rawQuery.length === 0) return params;
  let start = 0;
  while (start <= rawQuery.length) {
    let end = rawQuery.indexOf('&', start);
    if (end < 0) end = rawQuery.length;
    if (end > start) {
      const eq = rawQuery.indexOf('=', start);
      const hasEq = eq >= 0 && eq < end;
      const rawKey = rawQuery.slice(start, hasEq ? eq : end);
      const rawValue = hasEq ? rawQuery.slice(eq + 1, end) : '';
      params.push({
        rawKey,
        rawValue,
        key: canonicalQueryComponent(rawKey),
        value: canonicalQueryComponent(rawValue),
      });
    }
    start = end + 1;
  }
  return params;
}

function compareParams(a: QueryParam, b: QueryParam): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return 0;
}

/**
 * The canonical query string: `key=value` pairs sorted by encoded key then encoded value (code
 * unit order equals byte order here, since encoded strings are ASCII), joined with `&`.
 * `exclude` names a canonical key to leave out (`X-Amz-Signature` for presigned requests).
 */
export function canonicalQuery(params: readonly QueryParam[], exclude?: string): string {
  if (params.length === 0) return '';
  const kept = exclude === undefined ? params.slice() : params.filter((p) => p.key !== exclude);
  if (kept.length > 1) kept.sort(compareParams);
  let out = '';
  for (let i = 0; i < kept.length; i++) {
    const p = kept[i] as QueryParam;
    out += (i === 0 ? '' : '&') + p.key + '=' + p.value;
  }
  return out;
}

/**
 * The canonical URI of a raw (still percent-encoded) request path, for every service except S3:
 * normalized (`//`, `.`, `..` removed as the SDK's signer does) and encoded once more.
 */
export function canonicalUri(rawPath: string): string {
  if (rawPath === '/' || rawPath.length === 0) return '/';
  const segments: string[] = [];
  let start = 0;
  const n = rawPath.length;
  while (start <= n) {
    let end = rawPath.indexOf('/', start);
    if (end < 0) end = n;
    if (end > start) {
      const seg = rawPath.slice(start, end);
      if (seg === '..') segments.pop();
      else if (seg !== '.') segments.push(uriEncode(seg));
    }
    start = end + 1;
  }
  const lead = rawPath.charCodeAt(0) === 47 ? '/' : '';
  const trail = segments.length > 0 && rawPath.charCodeAt(n - 1) === 47 ? '/' : '';
  return lead + segments.join('/') + trail;
}

function isSpaceLike(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * One header value in canonical form: CR/LF/tab count as spaces, runs of them collapse to a
 * single space, and leading/trailing spaces go.
 */
export function canonicalHeaderValue(value: string): string {
  const n = value.length;
  let clean = n === 0 || (!isSpaceLike(value.charCodeAt(0)) && !isSpaceLike(value.charCodeAt(n - 1)));
  for (let i = 0; clean && i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13 || (c === 32 && value.charCodeAt(i + 1) === 32)) clean = false;
  }
  if (clean) return value;
  let out = '';
  let pendingSpace = false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (isSpaceLike(c)) {
      pendingSpace = out.length > 0;
      continue;
    }
    if (pendingSpace) out += ' ';
    pendingSpace = false;
    out += value.charAt(i);
  }
  return out;
}

/**
 * The canonical headers block for the signed header names, each line `name:value\n`. A signed
 * header that is absent contributes an empty value (so the signature cannot match unless the
 * signer really signed an empty header).
 */
export function canonicalHeaders(headers: HeaderMap, signedHeaders: readonly string[]): string {
  let out = '';
  for (const name of signedHeaders) {
    const v = headers[name];
    let value: string;
    if (v === undefined) value = '';
    else if (typeof v === 'string') value = canonicalHeaderValue(v);
    else value = v.map(canonicalHeaderValue).join(',');
    out += name + ':' + value + '\n';
  }
  return out;
}

/** The parts of a canonical request, each already in canonical form except the method. */
export interface CanonicalRequestParts {
  readonly method: string;
  readonly canonicalUri: string;
  readonly canonicalQuery: string;
  readonly canonicalHeaders: string;
  readonly signedHeaders: string;
  readonly payloadHash: string;
}

/** Joins the parts into the canonical request text (note the blank line after the headers). */
export function canonicalRequest(p: CanonicalRequestParts): string {
  return (
    p.method +
    '\n' +
    p.canonicalUri +
    '\n' +
    p.canonicalQuery +
    '\n' +
    p.canonicalHeaders +
    '\n' +
    p.signedHeaders +
    '\n' +
    p.payloadHash
  );
}
