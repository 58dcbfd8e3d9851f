/**
 * The kubelet's CNI CHECK of every pod's network, in rounds beside the loop (one at a time), so it
 * never delays the readiness and proxy reactions. Only on nodes that answer (a kubelet on a dead
 * node checks nothing), and given up when a node stops answering mid-round, as the sync is. A pod
 * is reported when its CHECK starts failing (or fails differently) and when it passes again.
 */
import type { LabModel } from '../../model/types';
import { checkPodNetworks } from '../kubelet';
import { podKey } from '../proxy';
import { isStoppedContainerError, NodesSilent, unlessNodeDies, withoutNodes } from './node-silence';

export class CniCheckRounds {
  /** Rounds completed, and failed pod checks over all of them. */
  rounds = 0;
  failures = 0;
  private lastStart = -Infinity;
  private running?: Promise<void>;
  /** Pods whose last CHECK failed, with the error. */
  private readonly failing = new Map<string, string>();

  constructor(
    private readonly lab: string,
    /** How often a round starts (0: never). */
    private readonly everyMs: number,
    private readonly say: (line: string) => void,
  ) {}

  /** Starts a round on the nodes not in `silent` when one is due and none runs; returns it. */
  start(model: LabModel, silent: ReadonlySet<string>): Promise<void> | undefined {
    if (this.everyMs <= 0 || this.running || Date.now() - this.lastStart < this.everyMs) return undefined;
    this.lastStart = Date.now();
    const checked = withoutNodes(model, new Set(silent));
    this.running = unlessNodeDies(checkPodNetworks(checked), this.lab, checked.nodes)
      .then((checks) => this.record(checks))
      // A node that stops between the heartbeat and this round: the lifecycle reports it.
      .catch((err) =>
        err instanceof NodesSilent || isStoppedContainerError(err)
          ? this.say('kubelet: CNI CHECK round given up: a node stopped answering (node-lifecycle reports it)')
          : this.say(`kubelet: CNI CHECK round failed: ${(err as Error).message.split('\n')[0]}`),
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Waits for the round in progress, if any. */
  async settle(): Promise<void> {
    await this.running;
  }

  private record(checks: Map<LabModel['pods'][number], string | undefined>): void {
    this.rounds++;
    let bad = 0;
    for (const [pod, error] of checks) {
      const k = podKey(pod);
      if (error !== undefined) {
        bad++;
        this.failures++;
        if (this.failing.get(k) !== error) this.say(`kubelet: CNI CHECK failed for ${k}: ${error}`);
        this.failing.set(k, error);
      } else if (this.failing.delete(k)) this.say(`kubelet: CNI CHECK passes again for ${k}`);
    }
    const seen = new Set([...checks.keys()].map(podKey));
    for (const k of [...this.failing.keys()]) if (!seen.has(k)) this.failing.delete(k);
    if (this.rounds === 1)
      this.say(`kubelet: CNI CHECK of ${checks.size} pods: ${checks.size - bad} passed, ${bad} failed`);
  }
}
