/**
 * The containers' own startup/liveness/readiness probes in the loop (src/lab/prober.ts keeps each
 * one's state): run the ones due on the nodes that answer, count the results, and restart a
 * container whose liveness or startup probe gave up. A container just restarted is probed from the
 * next iteration; one that is not running starts its probes over.
 */
import type { LabModel, PodContainer, PodModel } from '../../model/types';
import type { ProbeKind } from '../../model/probe';
import { PodObservation, restartContainer, runProbes } from '../kubelet';
import { ContainerProbeState, dueProbes, newProbeState, probeReady, recordProbe } from '../prober';
import { podKey } from '../proxy';
import type { ContainerRestarts } from './container-restarts';

export async function runDueProbes(
  model: LabModel,
  obs: PodObservation[],
  silent: ReadonlySet<string>,
  restartedNow: ReadonlySet<string>,
  probeStates: Map<string, ContainerProbeState>,
  kubelet: ContainerRestarts,
  say: (line: string) => void,
): Promise<void> {
  const now = Date.now();
  const due: Array<{ pod: PodModel; container: PodContainer; kind: ProbeKind }> = [];
  for (const o of obs) {
    if (silent.has(o.pod.node)) continue;
    for (const c of o.pod.containers) {
      if (!c.probes) continue;
      const k = `${podKey(o.pod)}/${c.name}`;
      if (restartedNow.has(k)) continue;
      if (!o.containers.find((x) => x.container === c.name)?.alive) {
        probeStates.delete(k);
        continue;
      }
      // A container running before this watch began started long enough ago for its
      // initialDelaySeconds (as for a restarted kubelet: the delay counts from container start).
      const st = probeStates.get(k) ?? newProbeState(c.probes, 0);
      probeStates.set(k, st);
      for (const kind of dueProbes(c.probes, st, now)) due.push({ pod: o.pod, container: c, kind });
    }
  }
  for (const run of due.length ? await runProbes(model, due) : []) {
    const c = run.pod.containers.find((x) => x.name === run.container)!;
    const k = `${podKey(run.pod)}/${c.name}`;
    const st = probeStates.get(k)!;
    const before = probeReady(c.probes!, st);
    const action = recordProbe(c.probes!, st, run.kind, run.ok, run.detail, Date.now());
    const after = probeReady(c.probes!, st);
    if (run.kind === 'readiness' && before !== after)
      say(
        `kubelet: ${k} readiness probe ${run.ok ? 'succeeded' : `failed (${run.detail})`}: ${after ? 'ready' : 'not ready'}`,
      );
    if (!action) continue;
    try {
      await restartContainer(model, run.pod, c);
      const n = kubelet.count(k);
      probeStates.set(k, newProbeState(c.probes!, Date.now()));
      say(`kubelet: ${action.restart}: restarted ${k} (restart ${n})`);
    } catch (err) {
      say(`kubelet: could not restart ${k}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}
