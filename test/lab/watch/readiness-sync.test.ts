/**
 * A readiness decision synced between iterations, on fakes: once a container without a
 * readinessProbe has failed /healthz 3 checks in a row (10 s x time-scale apart), its endpoint leaves every node's
 * rules then, even while the loop is stuck in a slow iteration (here: reading the stored model, as
 * a loaded engine makes it); never before the threshold; and never with a model older than the
 * stored one (then the loop syncs it).
 */
import type { LabModel } from '../../../src/model/types';
import { fixtureModel } from '../../fixtures/model';
import { webService } from '../../fixtures/web-service';

/** Every sync: when, which pods were ready, the model's pod count. */
const synced: Array<{ at: number; ready: string[]; pods: number }> = [];
let model: LabModel;
/** The model stored in the lab (another shell may change it); the loop reads it `readDelayMs` late. */
let stored: LabModel;
let readDelayMs = 0;
let failing = new Set<string>();

type Fakes = typeof import('./fakes');
const fakes = () => jest.requireActual<Fakes>('./fakes');

jest.mock('../../../src/lab/state', () => ({
  readModel: async () => {
    const m = JSON.parse(JSON.stringify(stored)) as LabModel;
    await new Promise((r) => setTimeout(r, readDelayMs));
    return m;
  },
  MODEL_PATH: '/etc/k8s-netlab/model.json',
}));
jest.mock('../../../src/runtime/containers', () => fakes().containersFake(() => fakes().allRunning(model)));
// The VPC router: the fault view (no fault) and, for the readiness sync's check, the stored model.
jest.mock('../../../src/runtime/exec', () => ({
  exec: async (_c: string, argv: string[]) => ({
    stdout: /model\.json/.test(argv.join(' ')) ? `${JSON.stringify(stored)}\n---K8S-NETLAB-MODEL-END---\n` : '',
    stderr: '',
    exitCode: 0,
    failed: false,
    container: 'vpc',
    command: '',
  }),
}));
/** How long an observation takes, and whether the node reports when it probed (its first ms). */
let observeMs = 0;
let nodeTime = false;
/** When the first observation that saw a failing pod probed it. */
let firstFailingProbe: number | undefined;
jest.mock('../../../src/lab/kubelet', () => {
  const f = fakes().kubeletFake((pod) => ({ alive: true, ready: !failing.has(pod.name) }));
  return {
    ...f,
    observePods: async (m: LabModel) => {
      const probedAt = Date.now();
      const obs = await f.observePods(m);
      if (firstFailingProbe === undefined && obs.some((o) => !o.ready)) firstFailingProbe = probedAt;
      await new Promise((r) => setTimeout(r, observeMs));
      return obs.map((o) => ({ ...o, at: nodeTime ? probedAt : undefined }));
    },
  };
});
jest.mock('../../../src/lab/proxy', () => ({
  podKey: (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`,
  syncProxy: async (m: LabModel, o: { ready: Set<string> }) => {
    synced.push({ at: Date.now(), ready: [...o.ready].sort(), pods: m.pods.length });
    return { states: new Map(), nodes: [], endpoints: [] };
  },
}));

import { watchLab } from '../../../src/lab/watch/loop';

function webModel(): LabModel {
  const m = fixtureModel();
  for (const p of m.pods) p.labels = { app: 'web' };
  m.services = [webService({ clusterIP: '10.96.0.20' })];
  return m;
}

const SCALE = 0.01; // readiness period 100 ms, not ready at the 3rd failed check: 2 x 100 ms after the first
const THRESHOLD_MS = 200;

async function runFor(ms: number, during: (elapsed: number) => void): Promise<string[]> {
  const lines: string[] = [];
  const control = { stopped: false as boolean, wake: undefined as undefined | (() => void) };
  const t0 = Date.now();
  const tick = setInterval(() => {
    during(Date.now() - t0);
    if (Date.now() - t0 >= ms) {
      control.stopped = true;
      control.wake?.();
    }
  }, 10);
  await watchLab({ lab: 'x', intervalMs: 20, timeScale: SCALE, cniCheckMs: 0, control, log: (l) => lines.push(l) });
  clearInterval(tick);
  return lines;
}

beforeEach(() => {
  synced.length = 0;
  failing = new Set();
  readDelayMs = 0;
  observeMs = 0;
  nodeTime = false;
  firstFailingProbe = undefined;
  model = webModel();
  stored = model;
});

describe('readiness decided between iterations', () => {
  it('the endpoint leaves the rules once the threshold is reached, while the loop is stuck reading the model', async () => {
    let failedAt = 0;
    const lines = await runFor(3000, (t) => {
      if (t > 400 && !failedAt) {
        // From now on every iteration takes 2 s (a loaded engine): only the readiness sync is in time.
        readDelayMs = 2000;
        failing.add('pod1');
        failedAt = Date.now();
      }
    });
    const out = synced.find((s) => !s.ready.includes('default/pod1'));
    expect(out).toBeDefined();
    const ms = out!.at - failedAt;
    // Seen within a period (+ a round), then the threshold: never before it, and long before the loop's next sync.
    expect(ms).toBeGreaterThanOrEqual(THRESHOLD_MS);
    expect(ms).toBeLessThan(THRESHOLD_MS + 100 + 600);
    expect(lines.join('\n')).toMatch(/kubelet: default\/pod1\/web \/healthz failing .*not ready at /);
    expect(lines.join('\n')).toMatch(/synced .*\(readiness decided between iterations, \d+ms after it was due\)/);
  });

  it('fails (stays in the rules) when /healthz fails for less than the threshold', async () => {
    await runFor(1200, (t) => {
      if (t > 300 && t < 450) failing.add('pod1');
      else failing.delete('pod1');
    });
    expect(synced.length).toBeGreaterThan(0);
    for (const s of synced) expect(s.ready).toContain('default/pod1');
  });

  it('does not sync a model older than the stored one: the loop, woken, syncs the new one', async () => {
    let failedAt = 0;
    const lines = await runFor(3000, (t) => {
      if (t > 400 && !failedAt) {
        readDelayMs = 1200;
        failing.add('pod1');
        failedAt = Date.now();
        // Another shell scaled: the stored model has a pod fewer than the loop's.
        stored = { ...model, pods: model.pods.filter((p) => p.name !== 'pod2') };
      }
    });
    const out = synced.filter((s) => !s.ready.includes('default/pod1'));
    expect(out.length).toBeGreaterThan(0);
    for (const s of out) expect(s.pods).toBe(model.pods.length - 1);
    expect(lines.join('\n')).not.toMatch(/between iterations/);
  });

  it.each([
    ['from when the node probed it', true],
    ['from the end of the observation when the node said nothing', false],
  ])('a failure counts %s', async (_how, reported) => {
    // Observations take 250 ms (exec teardown, a loaded engine); the node probes at their start.
    observeMs = 250;
    nodeTime = reported as boolean;
    let failedAt = 0;
    await runFor(2500, (t) => {
      if (t > 600 && !failedAt) {
        failing.add('pod1');
        failedAt = Date.now();
      }
    });
    const out = synced.find((s) => !s.ready.includes('default/pod1'));
    expect(out).toBeDefined();
    expect(firstFailingProbe).toBeDefined();
    const ms = out!.at - firstFailingProbe!;
    expect(ms).toBeGreaterThanOrEqual(THRESHOLD_MS);
    if (reported) expect(ms).toBeLessThan(THRESHOLD_MS + 200);
    else expect(ms).toBeGreaterThanOrEqual(THRESHOLD_MS + 250);
  });
});
