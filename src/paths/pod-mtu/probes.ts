/**
 * pod-mtu: a pod's eth0 carries the pod MTU of the mode (cluster.mtu, or 50 less under VXLAN),
 * a do-not-fragment ping that fills it exactly crosses to a pod on another node, and one byte
 * more is refused by the sender's own kernel ("message too long"), not silently lost on the way.
 */
import { LabModel, PodModel } from '../../model/types';
import { podTarget } from '../../plan/targets';
import { podMtu } from '../../plan/cni';
import { describePing, parsePing } from '../../observe/ping';
import { need, probe } from '../../observe/probe';
import { servingPods } from '../common/select';
import { PathDef, Probe } from '../common/types';

/** IPv4 header 20 + ICMP header 8: ping -s N sends an IP packet of N + 28 bytes. */
export const PING_OVERHEAD = 28;

/** One pod per node, each to the first pod of the next node (a ring): every node sends and receives once. */
export function mtuPairs(model: LabModel): Array<[PodModel, PodModel]> {
  const first = model.nodes
    .map((n) => servingPods(model).find((p) => p.node === n.name))
    .filter((p): p is PodModel => !!p);
  if (first.length < 2) return [];
  if (first.length === 2)
    return [
      [first[0], first[1]],
      [first[1], first[0]],
    ];
  return first.map((a, i) => [a, first[(i + 1) % first.length]] as [PodModel, PodModel]);
}

export interface OversizeObservation {
  refusedLocally: boolean;
  /** The MTU the kernel named in its refusal (ping's `mtu=N`). */
  mtu?: number;
  received: number;
  text: string;
}

/** What `ping -M do -s (MTU-27)` printed: refused with "message too long" (and the MTU), or not. */
export function parseOversize(out: string, exitCode: number): OversizeObservation {
  const p = parsePing(out);
  const mtu = /mtu[= ](\d+)/i.exec(out)?.[1];
  const line =
    out
      .split('\n')
      .find((l) => /message too long/i.test(l))
      ?.trim() ??
    out.trim().split('\n').slice(-1)[0] ??
    '';
  return {
    refusedLocally: /message too long/i.test(out) && exitCode !== 0 && p.received === 0,
    mtu: mtu ? Number(mtu) : undefined,
    received: p.received,
    text: line,
  };
}

function mtuProbe(model: LabModel, a: PodModel, b: PodModel): Probe {
  const ta = podTarget(model, a);
  const tb = podTarget(model, b);
  const mtu = podMtu(model);
  const fit = mtu - PING_OVERHEAD;
  return probe(
    {
      path: 'pod-mtu',
      name: `${a.name}@${a.node} -> ${b.name}@${b.node}: ${mtu}-byte packets pass, ${mtu + 1} are refused`,
      from: ta.id,
      to: tb.id,
    },
    async (r) => {
      const [dev, full, over] = await Promise.all([
        r.run(ta, ['cat', '/sys/class/net/eth0/mtu']),
        r.run(ta, ['ping', '-M', 'do', '-c', '2', '-i', '0.2', '-W', '2', '-s', String(fit), b.ip]),
        r.run(ta, ['ping', '-M', 'do', '-c', '1', '-W', '2', '-s', String(fit + 1), b.ip]),
      ]);
      return {
        eth0Mtu: Number(dev.stdout.trim()) || undefined,
        fits: parsePing(full.stdout + full.stderr),
        big: parseOversize(over.stdout + over.stderr, over.exitCode),
      };
    },
    ({ eth0Mtu, fits, big }, ev) => {
      ev.expected.podMtu = mtu;
      ev.observed.eth0Mtu = eth0Mtu;
      ev.observed.fullSize = `ping -M do -s ${fit}: ${describePing(fits)}`;
      ev.observed.oneByteMore = `ping -M do -s ${fit + 1}: ${big.text}`;
      ev.observed.refusedMtu = big.mtu;
      need(eth0Mtu, `the MTU of ${a.name}'s eth0`);
      if (eth0Mtu !== mtu) return `pod eth0 has MTU ${eth0Mtu}, expected ${mtu} for cni ${model.cluster.cni}`;
      if (fits.transmitted === 0 || fits.received < fits.transmitted)
        return `ping -M do -s ${fit} (${mtu}-byte packets): ${describePing(fits)}: the full pod MTU does not cross nodes`;
      if (!big.refusedLocally)
        return big.received > 0
          ? `ping -M do -s ${fit + 1} got replies: packets above the pod MTU ${mtu} went through`
          : `ping -M do -s ${fit + 1} was not refused with "message too long" (${big.text || 'no output'}): lost silently`;
      if (big.mtu !== undefined && big.mtu !== mtu) return `the refusal names mtu=${big.mtu}, expected ${mtu}`;
      return undefined;
    },
  );
}

export const podMtuPath: PathDef = {
  id: 'pod-mtu',
  title: 'a do-not-fragment packet of the full pod MTU crosses nodes; one byte more is refused with "message too long"',
  probes: (model) => mtuPairs(model).map(([a, b]) => mtuProbe(model, a, b)),
  uncovered: () => 'fewer than two nodes hold a pod that serves HTTP',
};
