/**
 * Fakes of the modules lab watch drives, shared by its unit tests. Used from jest.mock factories
 * through jest.requireActual, so each test file keeps its own state (engine, model) in closures.
 */
import type { LabModel, PodModel } from '../../../src/model/types';

/** runtime/containers: the engine lists the node containers as [name, state] pairs. */
export function containersFake(states: () => Iterable<[string, string]>) {
  return {
    listLabContainers: async () =>
      [...states()].map(([name, state]) => ({ name, state, id: name, lab: 'x', role: 'node', labels: {} })),
  };
}

/** Every node of the model running. */
export const allRunning = (m: LabModel): Array<[string, string]> => m.nodes.map((n) => [n.container, 'running']);

type Health = { alive: boolean; ready: boolean };

/** lab/kubelet: pods observed as `health` says (alive and ready by default); nothing restarts, probes pass. */
export function kubeletFake(health: (pod: PodModel) => Health = () => ({ alive: true, ready: true }), over = {}) {
  return {
    observePods: async (m: LabModel) =>
      m.pods.map((pod) => {
        const h = health(pod);
        return {
          pod,
          ...h,
          containers: pod.containers.map((c) => ({ netns: pod.netns, container: c.name, ...h })),
        };
      }),
    restartContainers: async () => [],
    restartContainer: async () => undefined,
    runProbes: async () => [],
    checkPodNetworks: async () => new Map(),
    ...over,
  };
}
