/**
 * The kernel's ARP table is one table for the whole host, shared by every network namespace (arp_tbl
 * in net/ipv4/arp.c; neigh_alloc in net/core/neighbour.c counts gc_entries across namespaces and,
 * past net.ipv4.neigh.default.gc_thresh3 (default 1024, settable only in the host's namespace),
 * refuses new entries: "neighbor table overflow!" in dmesg, table_fulls in /proc/net/stat/arp_cache;
 * Linux 6.18 here). A lab's pods and nodes are namespaces of this one kernel, so a large lab needs
 * entries a real cluster spreads over many kernels. Measured at 1,002 pods (20 nodes): ~1,010
 * entries held after verify, 2,022 table_fulls, and verify's probes saw time-outs and "failed to
 * connect" (curl exit 28 and 7) on paths that answered fine a minute later.
 *
 * The lab never changes host sysctls (they stay byte-identical across up and down): it programs
 * each pod's link (pod -> gateway, node -> pod) as permanent entries, which the table does not count
 * (src/plan/static-neigh.ts), and warns, with the command, when the rest will not fit. The measured
 * figures above were taken before the permanent entries.
 */
import * as fs from 'fs';
import { LabModel } from '../model/types';

/**
 * Entries the lab's own traffic takes from the table (the gc-counted ones), about: each node and the
 * VPC router resolving the other nodes, N(N+1), and a pod resolving another pod on its bridge, a
 * few per node. Each pod's link to its node (2 entries per pod) is programmed permanent by the
 * kubelet side (src/plan/static-neigh.ts) and is exempt from gc_thresh3.
 */
export function neighbourEntriesNeeded(model: LabModel): number {
  const n = model.nodes.length;
  return n * (n + 1) + 2 * n;
}

export interface NeighbourTable {
  /** net.ipv4.neigh.default.gc_thresh3: no new entry past it. */
  gcThresh3: number;
  /** Entries held now (all namespaces: other labs too; permanent ones included, which the limit exempts, so this errs on the safe side). */
  entries: number;
  /** New entries refused since boot (table_fulls, summed over CPUs). */
  tableFulls: number;
}

/** The warning `lab up` prints, or undefined when the lab fits beside what the table holds now. */
export function neighbourTableWarning(model: LabModel, t: NeighbourTable): string | undefined {
  const needed = neighbourEntriesNeeded(model);
  if (needed + t.entries <= t.gcThresh3) return undefined;
  const suggest = Math.max(4096, 2 ** Math.ceil(Math.log2(2 * (needed + t.entries))));
  return (
    `warning: ${model.pods.length} pods on ${model.nodes.length} nodes need about ${needed} ARP entries, ` +
    `${t.entries} are held already, and this host's kernel refuses new ones past net.ipv4.neigh.default.gc_thresh3 = ${t.gcThresh3} ` +
    `(one table for every namespace on the host): probes will time out or fail to connect ("neighbor table overflow!" in dmesg). ` +
    `The lab does not change host sysctls; to run it, raise them on the host first: ` +
    `sysctl -w net.ipv4.neigh.default.gc_thresh1=${suggest / 4} net.ipv4.neigh.default.gc_thresh2=${suggest / 2} net.ipv4.neigh.default.gc_thresh3=${suggest}`
  );
}

/** /proc/net/stat/arp_cache: a header line, then one line per CPU whose first field (hex) is the table's entry count. */
export function parseArpCacheEntries(stat: string): number | undefined {
  const line = stat.split('\n')[1];
  const v = line ? parseInt(line.trim().split(/\s+/)[0], 16) : NaN;
  return Number.isFinite(v) ? v : undefined;
}

/** The table_fulls column of /proc/net/stat/arp_cache, summed over its per-CPU lines. */
export function parseArpTableFulls(stat: string): number | undefined {
  const [head, ...rows] = stat.split('\n').filter((l) => l.trim());
  const col = head?.trim().split(/\s+/).indexOf('table_fulls') ?? -1;
  if (col < 0) return undefined;
  return rows.reduce((n, r) => n + (parseInt(r.trim().split(/\s+/)[col], 16) || 0), 0);
}

/**
 * What verify says when the host refused ARP entries while it ran: probes that then timed out or
 * failed to connect may have met a full table, not a broken path (their verdicts stand).
 */
export function neighbourOverflowNote(before?: NeighbourTable, after?: NeighbourTable): string | undefined {
  if (!before || !after || after.tableFulls <= before.tableFulls) return undefined;
  return (
    `note: the host's ARP table refused ${after.tableFulls - before.tableFulls} new entries while verify ran ` +
    `(net.ipv4.neigh.default.gc_thresh3 = ${after.gcThresh3}, one table for every namespace on the host): ` +
    `probes that timed out or failed to connect (curl exit 28 or 7) may have met a full table; raise gc_thresh1/2/3 on the host (lab up prints the command)`
  );
}

/** The host's table as this process sees it (the CLI runs on the host); undefined when /proc does not say. */
export function readNeighbourTable(): NeighbourTable | undefined {
  try {
    const gcThresh3 = Number(fs.readFileSync('/proc/sys/net/ipv4/neigh/default/gc_thresh3', 'utf8').trim());
    const stat = fs.readFileSync('/proc/net/stat/arp_cache', 'utf8');
    const entries = parseArpCacheEntries(stat);
    const tableFulls = parseArpTableFulls(stat);
    if (!Number.isFinite(gcThresh3) || entries === undefined || tableFulls === undefined) return undefined;
    return { gcThresh3, entries, tableFulls };
  } catch {
    return undefined;
  }
}
