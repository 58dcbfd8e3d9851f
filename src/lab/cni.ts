/**
 * The CNI side of the lab's kubelet on a running lab: installs the runtime's plugin runner and
 * the node's network configuration, and records what each pod's ADD returned as the pod's
 * status (the host end of its link is named by the plugin, as on a real node).
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import type { LabModel, NodeModel, PodModel } from '../model/types';
import { LabError } from '../errors';
import { projectRoot } from '../images/root';
import { CNI_EXEC, renderCniFiles } from '../plan/cni-config';
import { CniResult } from '../plan/pod';
import { q } from '../plan/shell';

let execSource: string | undefined;

/** images/cni/cni-exec.py, the program nodes run the plugins with. */
export function cniExecSource(): string {
  execSource ??= readFileSync(path.join(projectRoot(), 'images', 'cni', 'cni-exec.py'), 'utf8');
  return execSource;
}

/** Lines that put the plugin runner and the node's CNI configuration in place (run at node setup). */
export function renderCniInstall(model: LabModel, node: NodeModel, source = cniExecSource()): string[] {
  const lines = [
    `# CNI: ${CNI_EXEC} and the node's network configuration`,
    `mkdir -p ${q(path.posix.dirname(CNI_EXEC))}`,
    `printf '%s' ${q(source)} > ${CNI_EXEC}`,
  ];
  for (const f of renderCniFiles(model, node))
    lines.push(`mkdir -p ${q(path.posix.dirname(f.path))}`, `printf '%s' ${q(f.text)} > ${q(f.path)}`);
  return lines;
}

/**
 * The pods with the host veth their CNI result names. The address must be the model's: host-local
 * was asked for it (IP= in CNI_ARGS), and anything else means the plugin and the model disagree.
 */
export function recordCniResults(pods: PodModel[], results: CniResult[]): PodModel[] {
  const byNetns = new Map(results.map((r) => [r.netns, r]));
  return pods.map((p) => {
    const r = byNetns.get(p.netns);
    if (!r)
      throw new LabError(`pod ${p.namespace}/${p.name}: no CNI ADD result seen`, {
        hint: 'lab down and lab up again; run with --debug to see the node script',
      });
    if (r.ip !== p.ip)
      throw new LabError(`pod ${p.namespace}/${p.name}: CNI ADD gave ${r.ip}, the model expected ${p.ip}`);
    return r.hostVeth && r.hostVeth !== '-' ? { ...p, hostVeth: r.hostVeth } : p;
  });
}

/** The model with these pods replaced (by namespace/name). */
export function withPods(model: LabModel, pods: PodModel[]): LabModel {
  const by = new Map(pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  return { ...model, pods: model.pods.map((p) => by.get(`${p.namespace}/${p.name}`) ?? p) };
}
