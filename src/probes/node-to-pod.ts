/**
 * node-to-pod: every node's root namespace (where kubelet and host-network pods live) reaches
 * every pod, and the pod sees the node's own address: no NAT.
 */
import { LabModel } from '../model/types';
import { podTarget } from '../lab/targets';
import { q } from '../plan/shell';
import { publicHttpPort, servingPods } from './select';
import { PathDef, Probe } from './types';

/** One line per pod: `<pod-ip> <http-code> <client-ip:port seen by the pod> <source the node chose>`. */
export function renderNodeToPodScript(targets: Array<{ ip: string; port: number }>): string {
  return targets
    .map(
      (t) =>
        `s=$(ip route get ${t.ip} | sed -n 's/.* src \\([0-9.]*\\).*/\\1/p'); ` +
        `r=$(curl -s -m 3 -w ' %{http_code}' http://${t.ip}:${t.port}/clientip || true); ` +
        `echo ${q(t.ip)} "$r" "$s"`,
    )
    .join('\n');
}

export interface NodeToPodLine {
  podIp: string;
  code: number;
  seen?: string;
  src?: string;
}

export function parseNodeToPod(out: string): NodeToPodLine[] {
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.trim().split(/\s+/);
      // "<ip> <client:port> <code> <src>" when the server answered, "<ip> <code> <src>" otherwise.
      if (f.length >= 4) return { podIp: f[0], seen: f[1].replace(/:\d+$/, ''), code: Number(f[2]), src: f[3] };
      return { podIp: f[0], code: Number(f[1]), src: f[2] };
    });
}

function nodeProbe(model: LabModel, nodeName: string): Probe {
  const node = model.nodes.find((n) => n.name === nodeName)!;
  const pods = servingPods(model);
  return {
    path: 'node-to-pod',
    name: `${node.name} -> ${pods.length} pods`,
    from: node.name,
    to: 'all pods',
    async run(r) {
      const res = await r.sh(
        { id: node.name, container: node.container },
        renderNodeToPodScript(pods.map((p) => ({ ip: p.ip, port: publicHttpPort(p)! }))),
      );
      const lines = parseNodeToPod(res.stdout);
      const failures: string[] = [];
      const seen: Record<string, string> = {};
      for (const p of pods) {
        const l = lines.find((x) => x.podIp === p.ip);
        const t = podTarget(model, p).id;
        if (!l || l.code !== 200) failures.push(`${t}: no answer (HTTP ${l?.code ?? '-'})`);
        else if (l.seen !== l.src) failures.push(`${t}: pod saw ${l.seen}, node sent from ${l.src} (NAT?)`);
        else seen[t] = l.seen!;
      }
      return {
        path: this.path,
        name: this.name,
        from: this.from,
        to: this.to,
        ok: failures.length === 0 && pods.length > 0,
        reason: failures.length ? failures.slice(0, 5).join('; ') + (failures.length > 5 ? ` (+${failures.length - 5} more)` : '') : pods.length ? undefined : 'no pods to reach',
        evidence: { reached: Object.keys(seen).length, of: pods.length, podsSawSource: [...new Set(Object.values(seen))] },
      };
    },
  };
}

export const nodeToPod: PathDef = {
  id: 'node-to-pod',
  title: "every node's root namespace reaches every pod without NAT",
  probes: (model) => model.nodes.map((n) => nodeProbe(model, n.name)),
};
