/**
 * The kubelet restarting containers whose process died (restartPolicy: Always), with its
 * CrashLoopBackOff (src/lab/node-lifecycle.ts): the first death restarts at once, later ones wait
 * 10 s doubling to 5 min (× time-scale) counted from the death. Only on nodes that answer: a silent
 * node's pods are not restarted (not into a node without links). Counts restarts per container.
 */
import type { LabModel } from '../../model/types';
import type { WatchEvent } from '../../report/timeline';
import { PodObservation, restartContainers } from '../kubelet';
import { CrashLoopBackOff } from '../node-lifecycle';
import { ContainerProbeState, newProbeState } from '../prober';
import { podKey } from '../proxy';

export class ContainerRestarts {
  /** Restarts so far, in all. */
  total = 0;
  private readonly counts = new Map<string, number>();
  private readonly backoff: CrashLoopBackOff;
  private readonly deadSince = new Map<string, number>();
  private readonly backedOff = new Set<string>();

  constructor(
    scale: number,
    private readonly emit: (e: WatchEvent) => void,
    private readonly say: (line: string) => void,
  ) {
    this.backoff = new CrashLoopBackOff(scale);
  }

  /** Counts one restart of `ns/pod/container`; returns its number. */
  count(key: string): number {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    this.total++;
    return n;
  }

  /**
   * Restarts the dead containers of the observed pods not on `silent` nodes, when their back-off
   * allows; their probes start over. Returns the containers started now (`ns/pod/container`).
   */
  async restartDead(
    model: LabModel,
    obs: PodObservation[],
    silent: ReadonlySet<string>,
    probeStates: Map<string, ContainerProbeState>,
  ): Promise<Set<string>> {
    const started = new Set<string>();
    for (const o of obs) {
      const bk = podKey(o.pod);
      if (silent.has(o.pod.node)) continue;
      if (o.alive) {
        this.deadSince.delete(bk);
        continue;
      }
      if (!this.deadSince.has(bk)) this.deadSince.set(bk, Date.now());
      const wait = this.backoff.wait(bk, this.deadSince.get(bk)!, Date.now());
      if (wait > 0) {
        if (!this.backedOff.has(bk)) {
          this.backedOff.add(bk);
          const detail = `${bk}: Back-off ${(wait / 1000).toFixed(1)}s restarting failed container`;
          this.say(`kubelet: ${detail} (CrashLoopBackOff)`);
          this.emit({ kind: 'back-off', at: Date.now(), node: o.pod.node, detail });
        }
        continue;
      }
      try {
        for (const c of await restartContainers(model, o)) {
          const k = `${bk}/${c}`;
          // Its probes start over from this start (initialDelaySeconds counts from here).
          const probes = o.pod.containers.find((x) => x.name === c)?.probes;
          if (probes) probeStates.set(k, newProbeState(probes, Date.now()));
          started.add(k);
          const n = this.count(k);
          this.say(`kubelet: restarted ${bk} container ${c} (restart ${n})`);
          this.emit({ kind: 'container-restarted', at: Date.now(), node: o.pod.node, detail: `${k} (restart ${n})` });
        }
        this.backoff.started(bk, Date.now());
        this.deadSince.delete(bk);
        this.backedOff.delete(bk);
      } catch (err) {
        this.say(`kubelet: could not restart ${bk}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    return started;
  }
}
