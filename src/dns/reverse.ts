/**
 * Reverse (in-addr.arpa) zones: PTR for every Service VIP in the service CIDR's zone and for every
 * ready headless endpoint in the pod CIDR's zone (spec 2.3.3 and 2.4.3).
 */
import type { LabModel } from '../model/types';
import type { EndpointSlice } from '../proxy/endpoints';
import { DEFAULT_TTL, RR, clusterRecords, inZone, reverseZoneFor } from './records';
import { ZoneOptions, defaultNsName, renderZoneText, zoneHeader } from './zone';

export interface RenderedZone {
  /** Absolute origin, e.g. `96.10.in-addr.arpa.`. */
  origin: string;
  text: string;
}

/**
 * Reverse zone origins for the service and pod CIDRs, most specific first. Equal origins are
 * merged; nested ones (10.in-addr.arpa and 244.10.in-addr.arpa) are both kept, and each PTR goes
 * to the most specific, which is the zone a server answers from.
 */
export function reverseZoneOrigins(model: LabModel): string[] {
  const origins = [...new Set([reverseZoneFor(model.cluster.serviceCIDR), reverseZoneFor(model.cluster.podCIDR)])];
  return origins.sort((a, b) => b.split('.').length - a.split('.').length || (a < b ? -1 : 1));
}

/** The PTR records of each reverse zone, header included. Records outside every zone are dropped. */
export function reverseZoneRecords(
  model: LabModel,
  endpoints: EndpointSlice[],
  opts: ZoneOptions,
): { origin: string; records: RR[] }[] {
  const ttl = opts.ttl ?? DEFAULT_TTL;
  const nsName = opts.nsName ?? defaultNsName(model.cluster.domain);
  const origins = reverseZoneOrigins(model);
  const byZone = new Map(origins.map((o) => [o, zoneHeader(o, nsName, model.cluster.domain, opts.serial, ttl)]));
  for (const r of clusterRecords(model, endpoints, { ttl, builtins: opts.builtins }).ptr) {
    const zone = origins.find((o) => inZone(r.name, o));
    if (zone) byZone.get(zone)!.push(r);
  }
  // Display order: by zone name; records keep their service order.
  return origins
    .slice()
    .sort()
    .map((origin) => ({ origin, records: byZone.get(origin)! }));
}

export function renderReverseZones(model: LabModel, endpoints: EndpointSlice[], opts: ZoneOptions): RenderedZone[] {
  return reverseZoneRecords(model, endpoints, opts).map(({ origin, records }) => ({
    origin,
    text: renderZoneText(origin, records, `reverse zone ${origin}: PTR for Service VIPs and ready headless endpoints`),
  }));
}
