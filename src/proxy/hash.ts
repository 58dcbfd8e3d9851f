/**
 * kube-proxy's chain naming. iptables chain names are capped at 28 characters, so kube-proxy
 * names per-service chains by a hash: sha256, RFC 4648 base32 (Go's base32.StdEncoding), first 16
 * characters. The nftables proxier can use readable names and only prefixes 8 hash characters.
 * Reproducing the hashes exactly lets users compare the lab's rules with a real cluster's.
 */

import { createHash } from 'crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 with '=' padding, like Go's base32.StdEncoding.EncodeToString. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * The first `chars` base32 characters of sha256(s). Only the 5-byte groups those characters need
 * are encoded, and results are remembered: a 10,000-service sync names ~60,000 chains, the same
 * ones every sync. The memo is dropped when it gets large (names of long-gone services).
 */
const memo = new Map<string, string>();
const MEMO_MAX = 500_000;

function sha256Base32(s: string, chars: number): string {
  const key = `${chars}\0${s}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const digest = createHash('sha256').update(s, 'utf8').digest();
  const out = base32(digest.subarray(0, Math.ceil(chars / 8) * 5)).slice(0, chars);
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(key, out);
  return out;
}

/** portProtoHash: 16 characters of base32(sha256(servicePortName + protocol)). */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return sha256Base32(servicePortName + protocol.toLowerCase(), 16);
}

export const KUBE_SVC = 'KUBE-SVC-';
export const KUBE_SVL = 'KUBE-SVL-';
export const KUBE_EXT = 'KUBE-EXT-';
export const KUBE_FW = 'KUBE-FW-';
export const KUBE_SEP = 'KUBE-SEP-';
/** Prefixes of chains kube-proxy creates per service port / endpoint (and deletes when stale). */
export const SERVICE_CHAIN_PREFIXES = [KUBE_SVC, KUBE_SVL, KUBE_EXT, KUBE_FW, KUBE_SEP];

/** e.g. servicePortChainName('KUBE-SVC-', 'ns1/svc1:p80', 'TCP') = KUBE-SVC-XPGD46QRK7WJZT7O. */
export function servicePortChainName(prefix: string, servicePortName: string, protocol: string): string {
  return prefix + portProtoHash(servicePortName, protocol);
}

/** KUBE-SEP-<16 of base32(sha256(servicePortName + protocol + "ip:port"))>. */
export function servicePortEndpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return KUBE_SEP + sha256Base32(servicePortName + protocol.toLowerCase() + endpoint, 16);
}

/** nftables: 128-character chain names minus a 16-character prefix budget. */
const NFT_CHAIN_NAME_BASE_MAX = 128 - 16;

/** hashAndTruncate: "<8 base32 chars of sha256(name)>-<name>", truncated with "...". */
export function nftHashAndTruncate(name: string): string {
  let out = sha256Base32(name, 8) + '-' + name;
  if (out.length > NFT_CHAIN_NAME_BASE_MAX) out = out.slice(0, NFT_CHAIN_NAME_BASE_MAX - 3) + '...';
  return out;
}

/** e.g. "ULMVA6XW-ns1/svc1/tcp/p80" (an unnamed port leaves the last part empty). */
export function nftServiceChainBase(namespace: string, service: string, protocol: string, portName: string): string {
  return nftHashAndTruncate(`${namespace}/${service}/${protocol.toLowerCase()}/${portName}`);
}

/** e.g. "5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80". */
export function nftEndpointChainBase(
  namespace: string,
  service: string,
  protocol: string,
  portName: string,
  ip: string,
  port: number,
): string {
  const safeIp = ip.includes(':') ? ip.replace(/:/g, '.') : ip;
  return nftHashAndTruncate(`${namespace}/${service}/${protocol.toLowerCase()}/${portName}__${safeIp}/${port}`);
}
