/**
 * service-to-pod: the way back. The backend answers from its own IP; conntrack on the client's
 * node rewrites the source back to the VIP, so the client only ever talks to the VIP.
 */
import { LabModel, PodModel } from '../model/types';
import { podTarget } from '../lab/targets';
import { parseCurl } from './parse';
import { clientsPerNode, httpServicePorts, ServicePortRef, svcLabel } from './service-select';
import { PathDef, Probe } from './types';

export interface ConntrackEntry {
  proto: string;
  orig: { src: string; dst: string; sport: number; dport: number };
  reply: { src: string; dst: string; sport: number; dport: number };
}

/** Parses `conntrack -L` lines (tcp/udp): the original tuple comes first, the reply tuple second. */
export function parseConntrack(out: string): ConntrackEntry[] {
  const entries: ConntrackEntry[] = [];
  for (const line of out.split('\n')) {
    const proto = /^(tcp|udp)\b/.exec(line.trim())?.[1];
    const src = [...line.matchAll(/src=([0-9.]+)/g)].map((m) => m[1]);
    const dst = [...line.matchAll(/dst=([0-9.]+)/g)].map((m) => m[1]);
    const sport = [...line.matchAll(/sport=(\d+)/g)].map((m) => Number(m[1]));
    const dport = [...line.matchAll(/dport=(\d+)/g)].map((m) => Number(m[1]));
    if (!proto || src.length < 2 || dst.length < 2 || sport.length < 2 || dport.length < 2) continue;
    entries.push({
      proto,
      orig: { src: src[0], dst: dst[0], sport: sport[0], dport: dport[0] },
      reply: { src: src[1], dst: dst[1], sport: sport[1], dport: dport[1] },
    });
  }
  return entries;
}

/** Parses tcpdump -n lines `IP a.b.c.d.P > e.f.g.h.Q: Flags [S.]` into (src, dst) of the SYN-ACK. */
export function parseSynAck(out: string, dport?: number): { src: string; dst: string } | undefined {
  // Other probes of the same pod may be talking to other VIPs at once: keep the SYN-ACK to our port.
  for (const m of out.matchAll(/IP ([0-9.]+)\.(\d+) > ([0-9.]+)\.(\d+): Flags \[S\.\]/g)) {
    if (dport === undefined || !Number.isFinite(dport) || Number(m[4]) === dport) return { src: `${m[1]}:${m[2]}`, dst: `${m[3]}:${m[4]}` };
  }
  return undefined;
}

function returnProbe(model: LabModel, ref: ServicePortRef, client: PodModel): Probe {
  const t = podTarget(model, client);
  const vip = `${ref.svc.clusterIP}:${ref.port.port}`;
  return {
    path: 'service-to-pod',
    name: `reply from ${svcLabel(ref)} to ${client.name}@${client.node} comes from the VIP`,
    from: t.id,
    to: vip,
    async run(r) {
      // Capture the SYN-ACK as it enters the client pod while one request is made.
      const script = [
        // Every SYN-ACK during the request (the one to curl's port is picked after); timeout bounds a broken path.
        `timeout 6 tcpdump -l -n -i eth0 'tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack) and src port ${ref.port.port}' > /tmp/synack.$$ 2>/dev/null &`,
        'p=$!; i=0; while [ $i -lt 30 ] && ! grep -q . /proc/$p/net/packet 2>/dev/null; do i=$((i+1)); sleep 0.05; done; sleep 0.2',
        `curl -s -m 3 -w '\\n__CURL__ %{http_code} %{remote_ip}:%{remote_port} %{local_ip}:%{local_port}' http://${vip}/hostname`,
        'echo; sleep 0.2; kill $p 2>/dev/null; wait $p 2>/dev/null; echo "__SYNACK__ $(cat /tmp/synack.$$)"; rm -f /tmp/synack.$$',
      ].join('\n');
      const res = await r.sh(t, script);
      const [curlPart, synPart = ''] = res.stdout.split('__SYNACK__');
      const o = parseCurl(curlPart.replace(/\n$/, ''), 0);
      const localPort = Number(o.local?.split(':')[1]);
      const synAck = parseSynAck(synPart, localPort);
      // conntrack on the client's node: original destination the VIP, reply source the pod.
      const node = { id: client.node, container: t.container };
      const ct = parseConntrack((await r.run(node, ['conntrack', '-L', '-p', 'tcp', '--orig-port-src', String(localPort)])).stdout).find(
        (e) => e.orig.src === client.ip && e.orig.sport === localPort,
      );
      const backend = model.pods.find((p) => p.name === o.body);
      let reason: string | undefined;
      if (o.status !== 200) reason = `request through ${vip} failed (HTTP ${o.status})`;
      else if (!synAck) reason = 'no SYN-ACK captured on the client pod\'s eth0';
      else if (synAck.src !== vip) reason = `the reply entered the pod from ${synAck.src}, not from the VIP ${vip}`;
      else if (!ct) reason = `no conntrack entry for ${client.ip}:${localPort} on ${client.node}`;
      else if (ct.orig.dst !== ref.svc.clusterIP || ct.reply.src !== backend?.ip) {
        reason = `conntrack holds dst ${ct.orig.dst} / reply src ${ct.reply.src}, expected ${ref.svc.clusterIP} / ${backend?.ip}`;
      }
      return {
        path: this.path, name: this.name, from: this.from, to: this.to, ok: !reason, reason,
        evidence: {
          answeredBy: o.body,
          replySeenInPod: synAck ? `${synAck.src} -> ${synAck.dst}` : '-',
          conntrack: ct ? `orig ${ct.orig.src}:${ct.orig.sport} -> ${ct.orig.dst}:${ct.orig.dport} | reply ${ct.reply.src}:${ct.reply.sport} -> ${ct.reply.dst}:${ct.reply.dport}` : '-',
        },
      };
    },
  };
}

export const serviceToPod: PathDef = {
  id: 'service-to-pod',
  title: 'replies from a backend reach the caller with the VIP as source (conntrack un-DNAT)',
  probes(model) {
    const ref = httpServicePorts(model).find((r) => r.endpoints.length && r.svc.internalTrafficPolicy === 'Cluster' && r.svc.sessionAffinity === 'None');
    if (!ref) return [];
    return clientsPerNode(model, ref).slice(0, 2).map((c) => returnProbe(model, ref, c));
  },
};
