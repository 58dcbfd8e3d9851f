/**
 * Deterministic stand-in for the apiserver's ClusterIP and NodePort allocators.
 *
 * Kubernetes splits each range into a static lower band (for user-chosen values) and an upper
 * band it fills at random first (KEP-3070 for ClusterIPs, KEP-3668 for NodePorts). We keep the
 * bands but replace "random" with a hash of the object's key plus linear probing, so a service
 * keeps its VIP/port when other services are added to the topology, and runs are reproducible.
 */
import { createHash } from 'crypto';

export type FixedResult = 'ok' | 'out-of-range' | 'allocated';

export interface BandOptions {
  /** min/max clamp and divisor of the static band, as in Kubernetes' calculateRangeOffset. */
  min: number;
  max: number;
  step: number;
}

/** ClusterIP static band: min(max(16, size/16), 256) (KEP-3070). */
export const SERVICE_IP_BAND: BandOptions = { min: 16, max: 256, step: 16 };
/** NodePort static band: min(max(16, size/32), 128) (KEP-3668). */
export const NODE_PORT_BAND: BandOptions = { min: 16, max: 128, step: 32 };

/** Size of the static (lower) band of a range of `size` values. */
export function staticBandSize(size: number, band: BandOptions): number {
  if (size < band.min) return 0;
  return Math.max(band.min, Math.min(band.max, Math.floor(size / band.step)));
}

function hash32(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0);
}

export class RangeAllocator {
  private readonly used = new Set<number>();
  private readonly bandEnd: number;

  /** Allocates integers in [first, last]; the static band is the lowest staticBandSize() values. */
  constructor(
    readonly first: number,
    readonly last: number,
    band: BandOptions,
  ) {
    this.bandEnd = first + staticBandSize(last - first + 1, band);
  }

  get size(): number {
    return this.last - this.first + 1;
  }

  has(n: number): boolean {
    return this.used.has(n);
  }

  /** Takes a value chosen by the user (or reserved by the system). */
  allocateFixed(n: number): FixedResult {
    if (!Number.isInteger(n) || n < this.first || n > this.last) return 'out-of-range';
    if (this.used.has(n)) return 'allocated';
    this.used.add(n);
    return 'ok';
  }

  /** Picks a free value for `key`: upper band first (hash start, probing up), then the static band. */
  allocateNext(key: string): number | undefined {
    const h = hash32(key);
    const pick = (lo: number, hi: number): number | undefined => {
      const span = hi - lo + 1;
      if (span <= 0) return undefined;
      const start = h % span;
      for (let i = 0; i < span; i++) {
        const n = lo + ((start + i) % span);
        if (!this.used.has(n)) return n;
      }
      return undefined;
    };
    const n = pick(this.bandEnd, this.last) ?? pick(this.first, this.bandEnd - 1);
    if (n !== undefined) this.used.add(n);
    return n;
  }
}
