/**
 * service-to-pod: the way back. The backend answers from its own IP; conntrack on the client's
 * node rewrites the source back to the VIP, so the client only ever talks to the VIP.
 */
import { LabModel, PodModel } from '../../model/types';
import { podTarget } from '../../plan/targets';
import { answered, curlShell, describeCurlFailure, parseCurl, portOf } from '../../observe/curl';
import { describeEntry, parseConntrack } from '../../observe/conntrack';
import { need, probe } from '../../observe/probe';
import { waitUntil } from '../../plan/shell';
import { clientsPerNode, httpServicePorts, ServicePortRef, svcLabel } from '../common/service-select';
import { PathDef, Probe } from '../common/types';

export { parseConntrack };

/** Parses tcpdump -n lines `IP a.b.c.d.P > e.f.g.h.Q: Flags [S.]` into (src, dst) of the SYN-ACK. */
export function parseSynAck(out: string, dport?: number): { src: string; dst: string } | undefined {
  // Other probes of the same pod may be talking to other VIPs at once: keep the SYN-ACK to our port.
  for (const m of out.matchAll(/IP ([0-9.]+)\.(\d+) > ([0-9.]+)\.(\d+): Flags \[S\.\]/g)) {
    if (dport === undefined || !Number.isFinite(dport) || Number(m[4]) === dport)
      return { src: `${m[1]}:${m[2]}`, dst: `${m[3]}:${m[4]}` };
  }
  return undefined;
}

function returnProbe(model: LabModel, ref: ServicePortRef, client: PodModel): Probe {
  const t = podTarget(model, client);
  const vip = `${ref.svc.clusterIP}:${ref.port.port}`;
  const backends = ref.endpoints.map((e) => e.podName);
  return probe(
    {
      path: 'service-to-pod',
      name: `reply from ${svcLabel(ref)} to ${client.name}@${client.node} comes from the VIP`,
      from: t.id,
      to: vip,
    },
    async (r) => {
      // Capture the SYN-ACK as it enters the client pod while one request is made.
      const script = [
        // Every SYN-ACK during the request (the one to curl's port is picked after); timeout bounds a broken path.
        `timeout 8 tcpdump -l -n -i eth0 'tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack) and src port ${ref.port.port}' > /tmp/synack.$$ 2>/tmp/synack-err.$$ &`,
        // Send only once tcpdump says it listens (filter set): before that the SYN-ACK may pass unseen.
        'p=$!; ' +
          waitUntil('grep -q listening /tmp/synack-err.$$ 2>/dev/null', {
            what: 'tcpdump listening',
            timeoutSec: 5,
            then: 'continue',
          }),
        `o=$(${curlShell(`http://${vip}/hostname`)}); x=$?; printf '%s' "$o"`,
        // tcpdump prints the SYN-ACK to curl's port (the -w output ends with it) as it reads it: wait
        // for that line (at most 2 s) rather than a fixed time.
        'echo; echo "__EXIT__ $x"; lp=${o##*:}; i=0; while [ $i -lt 40 ] && ! grep -q "\\.$lp: Flags \\[S\\.\\]" /tmp/synack.$$; do i=$((i+1)); sleep 0.05; done',
        'kill $p 2>/dev/null; wait $p 2>/dev/null; echo "__SYNACK__ $(cat /tmp/synack.$$)"; rm -f /tmp/synack.$$ /tmp/synack-err.$$',
      ].join('\n');
      const res = await r.sh(t, script);
      const [curlPart, synPart = ''] = res.stdout.split('__SYNACK__');
      const exit = Number(/__EXIT__ (\d+)/.exec(curlPart)?.[1] ?? 1);
      const http = parseCurl(curlPart.replace(/\n?__EXIT__[\s\S]*$/, ''), exit);
      const localPort = portOf(http.local);
      const synAck = parseSynAck(synPart, localPort);
      // conntrack on the client's node: original destination the VIP, reply source the pod.
      const node = { id: client.node, container: t.container };
      const ct = localPort
        ? parseConntrack(
            (await r.run(node, ['conntrack', '-L', '-p', 'tcp', '--orig-port-src', String(localPort)])).stdout,
          ).find((e) => e.orig.src === client.ip && e.orig.sport === localPort)
        : undefined;
      return { http, synAck, ct };
    },
    ({ http, synAck, ct }, ev) => {
      const backend = model.pods.find((p) => p.name === http.body);
      ev.expected.replySource = vip;
      ev.expected.conntrack = `orig dst ${ref.svc.clusterIP}, reply src a backend (${backends.join(', ')})`;
      ev.observed.answeredBy = answered(http) ? http.body : describeCurlFailure(http);
      ev.observed.replySeenInPod = synAck ? `${synAck.src} -> ${synAck.dst}` : undefined;
      ev.observed.conntrack = ct ? describeEntry(ct) : undefined;
      if (!answered(http)) return `request through ${vip} failed (${describeCurlFailure(http)})`;
      if (!backend || !backends.includes(backend.name))
        return `answered by "${http.body}", not a backend of ${svcLabel(ref)}`;
      const s = need(synAck, "a SYN-ACK on the client pod's eth0");
      if (s.src !== vip) return `the reply entered the pod from ${s.src}, not from the VIP ${vip}`;
      const c = need(ct, `a conntrack entry for ${client.ip}:${portOf(http.local) ?? '?'} on ${client.node}`);
      if (c.orig.dst !== ref.svc.clusterIP || c.reply.src !== backend.ip)
        return `conntrack holds dst ${c.orig.dst} / reply src ${c.reply.src}, expected ${ref.svc.clusterIP} / ${backend.ip}`;
      return undefined;
    },
  );
}

export const serviceToPod: PathDef = {
  id: 'service-to-pod',
  title: 'replies from a backend reach the caller with the VIP as source (conntrack un-DNAT)',
  probes(model) {
    const ref = httpServicePorts(model).find(
      (r) => r.endpoints.length && r.svc.internalTrafficPolicy === 'Cluster' && r.svc.sessionAffinity === 'None',
    );
    if (!ref) return [];
    return clientsPerNode(model, ref)
      .slice(0, 2)
      .map((c) => returnProbe(model, ref, c));
  },
  uncovered: () => 'no ClusterIP Service (policy Cluster, no affinity) with endpoints serving HTTP',
};
