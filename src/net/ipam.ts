/**
 * host-local IPAM for one node's pod block, exactly as the host-local CNI plugin allocates
 * (containernetworking/plugins v1.1.1, plugins/ipam/host-local/backend/allocator/allocator.go):
 * the range runs from the block's first host (rangeStart) to its last host (rangeEnd), the gateway
 * (cbr0, the first host) is skipped, and each allocation starts after the last reserved address
 * (`last_reserved_ip.0` in /var/lib/cni/networks/<network>), wrapping to rangeStart and giving up
 * once back where it started. Addresses freed by a deleted pod therefore come back only after the
 * whole range has been handed out ("a crash-looping container will not see the same IP until the
 * entire range has been run through"). Deterministic for a given cursor and set of used addresses.
 */
import { Cidr, firstHost, formatIp, hostCount, isHostOf, lastHost, parseCidr, parseIp } from './ipv4';

export class HostLocalIpam {
  readonly block: Cidr;
  /** cbr0's address: the first host of the block (host-local's default gateway). */
  readonly gateway: string;
  private readonly used = new Set<number>();
  private readonly gw: number;
  private readonly first: number;
  private readonly last: number;
  private cursor: number | undefined;

  /**
   * `lastReserved`: host-local's round-robin cursor (the node's last_reserved_ip), if any.
   * `gateway`: the range's gateway (default the first host, cbr0's); one outside the block (the
   * vpc-native link-local 169.254.1.1) takes no pod address.
   */
  constructor(cidr: string, lastReserved?: string, gateway?: string) {
    const c = parseCidr(cidr);
    if (!c || c.prefix > 30) throw new Error(`host-local IPAM needs a network CIDR of /30 or larger, got ${cidr}`);
    this.block = c;
    const gw = gateway === undefined ? undefined : parseIp(gateway);
    this.gw = gw ?? firstHost(c);
    this.gateway = formatIp(this.gw);
    // host-local's rangeStart defaults to network+1 (the gateway, when in range, is skipped) and rangeEnd to the last host.
    this.first = firstHost(c);
    this.last = lastHost(c);
    const n = lastReserved === undefined ? undefined : parseIp(lastReserved);
    // Outside the range, host-local ignores the cursor and starts at rangeStart.
    this.cursor = n !== undefined && n >= this.first && n <= this.last ? n : undefined;
  }

  /** Addresses pods can get in this block (hosts minus the gateway's, when it is one of them). */
  get capacity(): number {
    return hostCount(this.block) - (this.gw >= this.first && this.gw <= this.last ? 1 : 0);
  }

  get allocated(): number {
    return this.used.size;
  }

  /** The round-robin cursor: the last address this pool handed out (host-local's last_reserved_ip), if any. */
  get lastReserved(): string | undefined {
    return this.cursor === undefined ? undefined : formatIp(this.cursor);
  }

  /** Marks an address as taken (a pod that already exists); false when it is not a pod address of the block or already taken. */
  reserve(ip: string): boolean {
    const n = parseIp(ip);
    if (
      n === undefined ||
      !isHostOf(this.block, n) ||
      n < this.first ||
      n > this.last ||
      n === this.gw ||
      this.used.has(n)
    )
      return false;
    this.used.add(n);
    return true;
  }

  /** The next free address after the cursor (wrapping), as host-local's RangeIter; undefined when the block is exhausted. */
  allocate(): string | undefined {
    const size = this.last - this.first + 1;
    // Without a cursor the iteration starts at rangeStart itself; with one, just after it.
    const start = this.cursor === undefined ? this.first : this.cursor + 1;
    for (let i = 0; i < size; i++) {
      let n = start + i;
      if (n > this.last) n -= size;
      if (n === this.gw || this.used.has(n)) continue;
      this.used.add(n);
      this.cursor = n;
      return formatIp(n);
    }
    return undefined;
  }

  release(ip: string): void {
    const n = parseIp(ip);
    if (n !== undefined) this.used.delete(n);
  }
}
