/**
 * host-local IPAM for one node's pod block, as the bridge CNI plugin does it: the bridge (cbr0)
 * holds the first host address and is the pods' gateway; pods get the next free addresses in
 * creation order. Deterministic: the same sequence of allocations always yields the same IPs.
 */
import { Cidr, firstHost, formatIp, hostCount, isHostOf, lastHost, parseCidr, parseIp } from './ipv4';

export class HostLocalIpam {
  readonly block: Cidr;
  /** cbr0's address: the first host of the block. */
  readonly gateway: string;
  private readonly used = new Set<number>();
  private readonly first: number;
  private readonly last: number;

  constructor(cidr: string) {
    const c = parseCidr(cidr);
    if (!c || c.prefix > 30) throw new Error(`host-local IPAM needs a network CIDR of /30 or larger, got ${cidr}`);
    this.block = c;
    const gw = firstHost(c);
    this.gateway = formatIp(gw);
    this.first = gw + 1;
    this.last = lastHost(c);
  }

  /** Addresses pods can get in this block (hosts minus cbr0's). */
  get capacity(): number {
    return hostCount(this.block) - 1;
  }

  get allocated(): number {
    return this.used.size;
  }

  /** Marks an address as taken (a pod that already exists); false when it is not a pod address of the block or already taken. */
  reserve(ip: string): boolean {
    const n = parseIp(ip);
    if (n === undefined || !isHostOf(this.block, n) || n < this.first || this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }

  /** The lowest free pod address, or undefined when the block is exhausted. */
  allocate(): string | undefined {
    for (let n = this.first; n <= this.last; n++) {
      if (!this.used.has(n)) {
        this.used.add(n);
        return formatIp(n);
      }
    }
    return undefined;
  }

  release(ip: string): void {
    const n = parseIp(ip);
    if (n !== undefined) this.used.delete(n);
  }
}
