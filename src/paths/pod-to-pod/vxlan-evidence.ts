/**
 * Evidence of VXLAN encapsulation for a cross-node pod packet: a short capture on the sending
 * node's eth0 while one pod pings another, decoded with the lab's pcap reader. The outer header
 * must carry the two node addresses and UDP 8472, the inner one the two pod addresses.
 */
import { q, waitUntil } from '../../plan/shell';
import { FLANNEL_PORT } from '../../plan/cni';
import { tcpdumpCommand } from '../../trace/capture-plan';
import { parsePcap, PcapFormatError } from '../../trace/pcap';

export interface VxlanCaptureSpec {
  /** Namespace of the sending pod (ping runs there). */
  netns: string;
  srcNodeIp: string;
  dstNodeIp: string;
  dstPodIp: string;
  pings?: number;
}

/** Node-side script: capture outer UDP 8472 node->node on eth0 during a ping, then print the pcap as base64. */
export function renderVxlanCapture(s: VxlanCaptureSpec): string {
  const tcpdump = tcpdumpCommand({
    iface: 'eth0',
    file: '"$d/c.pcap"',
    snaplen: 256,
    user: 'root',
    filter: `udp port ${FLANNEL_PORT} and src host ${s.srcNodeIp} and dst host ${s.dstNodeIp}`,
  }).replace(`'"$d/c.pcap"'`, '"$d/c.pcap"');
  return [
    'd=$(mktemp -d)',
    `${tcpdump} 2>"$d/err" &`,
    't=$!',
    // Start the traffic only once tcpdump listens, or the first packets are missed.
    waitUntil('grep -q listening "$d/err" 2>/dev/null', { what: 'tcpdump listening', timeoutSec: 5, then: 'continue' }),
    `ip netns exec ${q(s.netns)} ping -c ${s.pings ?? 2} -i 0.2 -W 2 ${s.dstPodIp} >/dev/null 2>&1 || true`,
    'sleep 0.3',
    'kill $t 2>/dev/null; wait $t 2>/dev/null || true',
    'base64 "$d/c.pcap" 2>/dev/null | tr -d "\\n"',
    'rm -rf "$d"',
  ].join('\n');
}

export interface VxlanEvidence {
  /** Encapsulated frames whose inner packet is the probe's (innerSrc -> innerDst). */
  frames: number;
  /** `10.0.1.10 -> 10.0.1.11` of the first such frame. */
  outer?: string;
  udpPort?: number;
  vni?: number;
  inner?: string;
  innerProto?: string;
  error?: string;
}

export interface VxlanExpect {
  outerSrc: string;
  outerDst: string;
  innerSrc: string;
  innerDst: string;
}

/** Decodes the base64 pcap and keeps the frames that encapsulate innerSrc -> innerDst. */
export function parseVxlanCapture(base64: string, e: VxlanExpect): VxlanEvidence {
  const text = base64.trim();
  if (!text) return { frames: 0, error: 'no capture (tcpdump wrote nothing)' };
  let frames;
  try {
    frames = parsePcap(Buffer.from(text, 'base64'));
  } catch (err) {
    return { frames: 0, error: err instanceof PcapFormatError ? err.message : String(err) };
  }
  const mine = frames.filter((f) => f.inner?.ip?.src === e.innerSrc && f.inner.ip.dst === e.innerDst);
  const f = mine[0];
  if (!f)
    return {
      frames: 0,
      error: `${frames.length} frames on UDP ${FLANNEL_PORT}, none encapsulating ${e.innerSrc} -> ${e.innerDst}`,
    };
  return {
    frames: mine.length,
    outer: f.ip ? `${f.ip.src} -> ${f.ip.dst}` : undefined,
    udpPort: f.l4?.dport,
    vni: f.inner?.vni,
    inner: `${f.inner!.ip!.src} -> ${f.inner!.ip!.dst}`,
    innerProto: f.inner?.l4?.kind,
  };
}

/** Why the evidence does not show the expected encapsulation, or undefined when it does. */
export function judgeVxlan(v: VxlanEvidence, e: VxlanExpect): string | undefined {
  if (v.frames === 0) return `no VXLAN frames seen on eth0: ${v.error ?? 'none captured'}`;
  if (v.outer !== `${e.outerSrc} -> ${e.outerDst}`)
    return `outer header ${v.outer}, expected the node addresses ${e.outerSrc} -> ${e.outerDst}`;
  if (v.udpPort !== FLANNEL_PORT) return `outer UDP port ${v.udpPort}, expected ${FLANNEL_PORT}`;
  if (v.vni !== 1) return `VNI ${v.vni}, expected 1`;
  return undefined;
}
