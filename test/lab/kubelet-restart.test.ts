/**
 * The kubelet restarting a container pod records the new host veth in the model as stored now, not
 * in the caller's older copy: a node repair may have saved its pods' new veths meanwhile, and
 * writing the old copy back made them all look unplumbed (seen in the node-restart e2e under load).
 */
import type { LabModel, PodModel } from '../../src/model/types';
import { fixtureModel } from '../fixtures/model';

let stored: LabModel;
const saved: LabModel[] = [];

jest.mock('../../src/lab/state', () => ({
  readModel: async () => stored,
  saveModel: async (m: LabModel) => void saved.push(m),
}));
jest.mock('../../src/lab/container-pods', () => ({
  ...jest.requireActual('../../src/lab/container-pods'),
  restartContainerPod: async (_m: LabModel, pod: PodModel) => ({ ...pod, hostVeth: 'vethNEW' }),
}));

import { restartContainers } from '../../src/lab/kubelet';

/** The fixture with pod3 a container pod; node2's pods with the veths `suffix` names. */
function model(suffix: string): LabModel {
  const m = fixtureModel();
  return {
    ...m,
    pods: m.pods.map((p) =>
      p.node !== 'node2'
        ? p
        : {
            ...p,
            hostVeth: `veth${p.name}${suffix}`,
            containers:
              p.name === 'pod3' ? p.containers.map((c) => ({ ...c, kind: 'container' as const })) : p.containers,
          },
    ),
  };
}

it("records the restarted pod's new veth in the stored model, keeping what a repair saved since", async () => {
  const before = model('old'); // the watch's copy, read before node2 was re-plumbed
  stored = model('new'); // what the repair saved: node2's pods on new veths
  const pod3 = before.pods.find((p) => p.name === 'pod3')!;
  const obs = { pod: pod3, alive: false, ready: false, containers: [] };
  expect(await restartContainers(before, obs)).toEqual(pod3.containers.map((c) => c.name));
  expect(saved).toHaveLength(1);
  const veths = Object.fromEntries(saved[0].pods.filter((p) => p.node === 'node2').map((p) => [p.name, p.hostVeth]));
  expect(veths).toEqual({ pod3: 'vethNEW', pod4: 'vethpod4new' });
});
