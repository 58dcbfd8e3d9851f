/**
 * Pure IPv4 and CIDR helpers. Addresses are handled as unsigned 32-bit numbers so arithmetic
 * (nth host, blocks, overlap) is exact; strings are parsed strictly (no leading zeros, which
 * some tools read as octal).
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit number (host bits cleared). */
  network: number;
  prefix: number;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Parses a dotted-quad IPv4 address; undefined when it is not one. */
export function parseIp(s: string): number | undefined {
  if (typeof s !== 'string') return undefined;
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function isIp(s: string): boolean {
  return parseIp(s) !== undefined;
}

export function formatIp(n: number): string {
  const u = n >>> 0;
  return [u >>> 24, (u >>> 16) & 255, (u >>> 8) & 255, u & 255].join('.');
}

/** Netmask of a prefix length as a number (/0 -> 0). */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Number of addresses in a prefix (/24 -> 256). */
export function sizeOf(prefix: number): number {
  return 2 ** (32 - prefix);
}

export interface ParsedCidr {
  address: number;
  prefix: number;
}

/** Parses `a.b.c.d/n` keeping the address as written (host bits may be set). */
export function parseCidrLoose(s: string): ParsedCidr | undefined {
  if (typeof s !== 'string') return undefined;
  const m = /^([0-9.]+)\/(0|[1-9][0-9]?)$/.exec(s);
  if (!m) return undefined;
  const address = parseIp(m[1]);
  const prefix = Number(m[2]);
  if (address === undefined || prefix > 32) return undefined;
  return { address, prefix };
}

/**
 * Parses a CIDR that must name a network (no host bits set). Returns undefined when it is not
 * a CIDR at all; throws nothing — use cidrProblem() for a message.
 */
export function parseCidr(s: string): Cidr | undefined {
  const p = parseCidrLoose(s);
  if (!p) return undefined;
  if ((p.address & maskOf(p.prefix)) >>> 0 !== p.address) return undefined;
  return { network: p.address, prefix: p.prefix };
}

/**
 * Why a string is not a network CIDR, with the corrected value when only host bits are wrong;
 * undefined when it is fine.
 */
export function cidrProblem(s: string): { message: string; fix?: string } | undefined {
  const p = parseCidrLoose(s);
  if (!p) return { message: `"${s}" is not an IPv4 CIDR (expected a.b.c.d/n with n in 0..32)` };
  const net = (p.address & maskOf(p.prefix)) >>> 0;
  if (net !== p.address) {
    const fixed = `${formatIp(net)}/${p.prefix}`;
    return { message: `"${s}" has host bits set (the network address of that range is ${fixed})`, fix: fixed };
  }
  return undefined;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.network)}/${c.prefix}`;
}

/** Normalises `10.0.1.7/24` to `10.0.1.0/24`; undefined for non-CIDRs. */
export function canonicalCidr(s: string): string | undefined {
  const p = parseCidrLoose(s);
  if (!p) return undefined;
  return formatCidr({ network: (p.address & maskOf(p.prefix)) >>> 0, prefix: p.prefix });
}

export function broadcast(c: Cidr): number {
  return (c.network + sizeOf(c.prefix) - 1) >>> 0;
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.network && ip <= broadcast(c);
}

/** True when `inner` lies entirely within `outer`. */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && contains(outer, inner.network);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= broadcast(b) && b.network <= broadcast(a);
}

/**
 * The n-th address of a block counted from the network address (n=1 is the first host).
 * Undefined when it falls outside the block.
 */
export function nthAddress(c: Cidr, n: number): number | undefined {
  if (n < 0 || n >= sizeOf(c.prefix)) return undefined;
  return (c.network + n) >>> 0;
}

/** First usable host (.1 of a /24); for /31 and /32 the network address itself is usable. */
export function firstHost(c: Cidr): number {
  return c.prefix >= 31 ? c.network : (c.network + 1) >>> 0;
}

/** Last usable host (.254 of a /24). */
export function lastHost(c: Cidr): number {
  return c.prefix >= 31 ? broadcast(c) : (broadcast(c) - 1) >>> 0;
}

/** Usable host addresses in a block (network and broadcast excluded below /31). */
export function hostCount(c: Cidr): number {
  if (c.prefix === 32) return 1;
  if (c.prefix === 31) return 2;
  return sizeOf(c.prefix) - 2;
}

/** True for an address of the block that a host may hold (not network, not broadcast). */
export function isHostOf(c: Cidr, ip: number): boolean {
  return contains(c, ip) && ip >= firstHost(c) && ip <= lastHost(c);
}

/** How many blocks of `prefix` fit in `c` (0 when prefix is shorter than c's). */
export function blockCount(c: Cidr, prefix: number): number {
  if (prefix < c.prefix || prefix > 32) return 0;
  return 2 ** (prefix - c.prefix);
}

/** The i-th block of length `prefix` inside `c` (kind-style: 10.244.0.0/24, 10.244.1.0/24, ...). */
export function nthBlock(c: Cidr, prefix: number, i: number): Cidr | undefined {
  if (i < 0 || i >= blockCount(c, prefix)) return undefined;
  return { network: (c.network + i * sizeOf(prefix)) >>> 0, prefix };
}

/** Splits `c` into `count` consecutive blocks of `prefix` (fewer when they do not fit). */
export function splitBlocks(c: Cidr, prefix: number, count?: number): Cidr[] {
  const n = Math.min(count ?? blockCount(c, prefix), blockCount(c, prefix));
  const out: Cidr[] = [];
  for (let i = 0; i < n; i++) out.push(nthBlock(c, prefix, i)!);
  return out;
}

/** Convenience: string in, string out; undefined when either side does not parse. */
export function cidrContainsIp(cidr: string, ip: string): boolean {
  const c = parseCidrLoose(cidr);
  const a = parseIp(ip);
  if (!c || a === undefined) return false;
  return contains({ network: (c.address & maskOf(c.prefix)) >>> 0, prefix: c.prefix }, a);
}
