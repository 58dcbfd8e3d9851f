/**
 * node-to-pod: every node's root namespace (where kubelet and host-network pods live) reaches
 * every pod, and the pod sees the node's own address: no NAT.
 */
import { LabModel } from '../../model/types';
import { podTarget } from '../../plan/targets';
import { curlShell, hostOf, parseCurl } from '../../observe/curl';
import { probe } from '../../observe/probe';
import { nodeToPodTargets, publicHttpPort, servingPods } from '../common/select';
import { isLargeLab } from '../common/service-select';
import { PathDef, Probe } from '../common/types';

/**
 * Per pod: `@@ <pod-ip> <source the node chose>` (`-` when it chose none), then curl's output of
 * /clientip (the pod's view of the caller) in the observe format, then `@@x <curl exit>`. A request
 * that timed out (curl exit 28; one exec runs up to a hundred of them on a loaded machine) is sent
 * once more and marked `@@r`; any other failure is final. The pods are asked side by side, at most
 * NODE_TO_POD_PARALLEL at once, each block into a file of its own, printed in order at the end.
 */
export function renderNodeToPodScript(targets: Array<{ ip: string; port: number }>): string {
  const block = (t: { ip: string; port: number }, i: number) =>
    `( s=$(ip route get ${t.ip} 2>/dev/null | sed -n 's/.* src \\([0-9.]*\\).*/\\1/p'); echo "@@ ${t.ip} \${s:--}"; ` +
    `o=$(${curlShell(`http://${t.ip}:${t.port}/clientip`)}); x=$?; ` +
    `if [ $x -eq 28 ]; then echo @@r; o=$(${curlShell(`http://${t.ip}:${t.port}/clientip`)}); x=$?; fi; ` +
    `printf '%s\n' "$o"; echo "@@x $x" ) > "$d/${String(i).padStart(5, '0')}" &`;
  const lines = ['d=$(mktemp -d)'];
  targets.forEach((t, i) => {
    lines.push(block(t, i));
    if ((i + 1) % NODE_TO_POD_PARALLEL === 0) lines.push('wait');
  });
  lines.push('wait', 'cat "$d"/* 2>/dev/null', 'rm -rf "$d"');
  return lines.join('\n');
}

/** Pods one node-to-pod probe asks at once. */
export const NODE_TO_POD_PARALLEL = 16;

export interface NodeToPodLine {
  podIp: string;
  code: number;
  /** The client address the pod saw (empty body: undefined). */
  seen?: string;
  /** The source address the node's routing chose. */
  src?: string;
  curlExit: number;
  /** The first request timed out and this is the second. */
  retried: boolean;
}

export function parseNodeToPod(out: string): NodeToPodLine[] {
  const res: NodeToPodLine[] = [];
  for (const block of out.split(/^@@ /m).slice(1)) {
    const [head, ...lines] = block.split('\n');
    const [podIp, src] = head.trim().split(/\s+/);
    const retried = lines[0]?.trim() === '@@r';
    const body = (retried ? lines.slice(1) : lines).join('\n');
    const x = /\n?@@x (\d+)\s*$/.exec(body);
    const o = parseCurl(body.replace(/\n?@@x \d+\s*$/, '').replace(/\n$/, ''), x ? Number(x[1]) : 1);
    res.push({
      podIp,
      code: o.status,
      seen: o.status === 200 ? hostOf(o.body) : undefined,
      src: src && src !== '-' ? src : undefined,
      curlExit: o.curlExit,
      retried,
    });
  }
  return res;
}

function nodeProbe(model: LabModel, nodeName: string): Probe {
  const node = model.nodes.find((n) => n.name === nodeName)!;
  const pods = nodeToPodTargets(model, node.name, isLargeLab(model));
  const to = pods.length === servingPods(model).length ? 'all pods' : 'its pods and the next node’s';
  return probe(
    { path: 'node-to-pod', name: `${node.name} -> ${pods.length} pods`, from: node.name, to },
    async (r) =>
      parseNodeToPod(
        (
          await r.sh(
            { id: node.name, container: node.container },
            renderNodeToPodScript(pods.map((p) => ({ ip: p.ip, port: publicHttpPort(p)! }))),
          )
        ).stdout,
      ),
    (lines, ev) => {
      const failures: string[] = [];
      const seen: Record<string, string> = {};
      for (const p of pods) {
        const l = lines.find((x) => x.podIp === p.ip);
        const t = podTarget(model, p).id;
        if (!l || l.code !== 200)
          failures.push(`${t}: no answer (HTTP ${l?.code || '-'}, curl exit ${l?.curlExit ?? '-'})`);
        else if (!l.seen) failures.push(`${t}: answered with an empty body: no client address observed`);
        else if (!l.src) failures.push(`${t}: the node's route to ${p.ip} names no source address`);
        else if (l.seen !== l.src) failures.push(`${t}: pod saw ${l.seen}, node sent from ${l.src} (NAT?)`);
        else seen[t] = l.seen;
      }
      ev.expected.pods = pods.length;
      ev.expected.podsSeeTheNodeSource = 'the source the node route chose (no NAT)';
      ev.observed.reached = Object.keys(seen).length;
      const retried = lines.filter((l) => l.retried).map((l) => l.podIp);
      if (retried.length) ev.observed.retriedAfterTimeout = retried;
      ev.observed.podsSawSource = [...new Set(Object.values(seen))];
      if (pods.length === 0) return { notApplicable: 'no pod serves HTTP' };
      if (failures.length)
        return failures.slice(0, 5).join('; ') + (failures.length > 5 ? ` (+${failures.length - 5} more)` : '');
      return undefined;
    },
  );
}

export const nodeToPod: PathDef = {
  id: 'node-to-pod',
  title: "every node's root namespace reaches every pod without NAT",
  probes: (model) => (servingPods(model).length ? model.nodes.map((n) => nodeProbe(model, n.name)) : []),
  uncovered: () => 'no pod serves HTTP',
};
