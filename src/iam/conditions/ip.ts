/**
 * IPv4 and IPv6 addresses and CIDR blocks for IpAddress/NotIpAddress, parsed by hand (no
 * dependency, no regex). An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is read as the IPv4
 * address it carries, on both sides, so a client reaching a dual-stack listener over IPv4 still
 * matches an IPv4 block. Otherwise the families never match each other.
 */

/** An address with its family; `bits` holds 32 bits (IPv4) or 128 bits (IPv6). */
export interface IpAddressValue {
  readonly v6: boolean;
  readonly bits: bigint;
}

/** A CIDR block; `network` has its host bits already cleared. */
export interface IpRange {
  readonly v6: boolean;
  readonly network: bigint;
  readonly mask: bigint;
}

const V4_ALL = (1n << 32n) - 1n;
const V6_ALL = (1n << 128n) - 1n;
const MAPPED_PREFIX = 0xffffn;

/** Reads a single address (no prefix); undefined when it is not a valid IPv4 or IPv6 address. */
export function parseIp(text: string): IpAddressValue | undefined {
  const v4 = parseV4(text);
  if (v4 !== undefined) return { v6: false, bits: v4 };
  const v6 = parseV6(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === MAPPED_PREFIX) return { v6: false, bits: v6 & V4_ALL };
  return { v6: true, bits: v6 };
}

/**
 * Reads `address/prefix` or a bare address (a single host: /32 or /128). Host bits set in the
 * address are ignored, as in `10.1.2.3/8`.
 */
export function parseCidr(text: string): IpRange | undefined {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const v4 = parseV4(addressText);
  let v6 = false;
  let bits: bigint;
  let width: number;
  if (v4 !== undefined) {
    bits = v4;
    width = 32;
  } else {
    const parsed = parseV6(addressText);
    if (parsed === undefined) return undefined;
    bits = parsed;
    width = 128;
    v6 = true;
  }
  let prefix = width;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (p.length === 0 || p.length > 3 || !allDigits(p)) return undefined;
    prefix = Number(p);
    if (prefix > width) return undefined;
  }
  if (v6 && prefix >= 96 && bits >> 32n === MAPPED_PREFIX) {
    v6 = false;
    bits &= V4_ALL;
    prefix -= 96;
    width = 32;
  }
  const all = v6 ? V6_ALL : V4_ALL;
  const mask = all ^ ((1n << BigInt(width - prefix)) - 1n);
  return { v6, network: bits & mask, mask };
}

/** True when the address lies in the block (same family, same network bits). */
export function inRange(address: IpAddressValue, range: IpRange): boolean {
  return address.v6 === range.v6 && (address.bits & range.mask) === range.network;
}

function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Dotted quad, each octet 0-255 in decimal without leading zeros (`010` is refused as ambiguous). */
function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3 || !allDigits(part)) return undefined;
    if (part.length > 1 && part[0] === '0') return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseHexGroup(group: string): bigint | undefined {
  if (group.length === 0 || group.length > 4) return undefined;
  for (let i = 0; i < group.length; i++) {
    const c = group.charCodeAt(i);
    const hex = (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
    if (!hex) return undefined;
  }
  return BigInt(`0x${group}`);
}

/** Eight 16-bit groups, at most one `::`, optionally ending in a dotted IPv4 address; no zone. */
function parseV6(text: string): bigint | undefined {
  const gap = text.indexOf('::');
  if (gap !== -1 && text.indexOf('::', gap + 1) !== -1) return undefined;
  const head = readGroups(gap === -1 ? text : text.slice(0, gap), gap === -1);
  const tail = readGroups(gap === -1 ? '' : text.slice(gap + 2), true);
  if (head === undefined || tail === undefined) return undefined;
  const count = head.length + tail.length;
  if (gap === -1 ? count !== 8 : count > 7) return undefined;
  const groups = [...head, ...new Array<bigint>(8 - count).fill(0n), ...tail];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | g;
  return value;
}

/** Colon-separated hex groups; the last may be a dotted IPv4 address standing for two groups. */
function readGroups(text: string, mayEndWithV4: boolean): bigint[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: bigint[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (mayEndWithV4 && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseV4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else {
      const g = parseHexGroup(part);
      if (g === undefined) return undefined;
      groups.push(g);
    }
  }
  return groups;
}
