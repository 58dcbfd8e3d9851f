/** The stored model and fault view read in one exec (a fake VPC router's output). */
import { fixtureModel } from '../../fixtures/model';

let out = '';
const argvs: string[][] = [];
jest.mock('../../../src/runtime/exec', () => ({
  exec: async (_c: string, argv: string[]) => {
    argvs.push(argv);
    return { stdout: out, stderr: '', exitCode: 0, failed: false, container: 'vpc', command: '' };
  },
}));

import { readCurrentView } from '../../../src/lab/watch/current-view';

const links =
  '5: v-node1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP\n6: v-node2@if2: <BROADCAST,MULTICAST> mtu 1500 state DOWN';
const store = JSON.stringify({ active: [{ id: 'f1', kind: 'proxy-stuck', target: 'node3' }], highest: 1, cleared: [] });

it('reads the stored model (as the loop compares it) and the faults: proxy-stuck, links down', async () => {
  const m = fixtureModel();
  // the model file as stored: pretty-printed, no newline at its end
  out = `${JSON.stringify(m, null, 2)}\n---K8S-NETLAB-MODEL-END---\n${store}\n---K8S-NETLAB-LINKS---\n${links}\n`;
  const v = await readCurrentView(m);
  expect(argvs[0].join(' ')).toContain('cat /etc/k8s-netlab/model.json');
  expect(v.modelText).toBe(JSON.stringify(m));
  expect([...v.view.stuck]).toEqual([['node3', 'f1']]);
  expect([...v.view.linkDown.keys()]).toEqual(['node2']);
});

it('no model readable (the file is gone or cut short): undefined, never a model', async () => {
  const m = fixtureModel();
  out = `{"version": 1, "name"\n---K8S-NETLAB-MODEL-END---\n\n---K8S-NETLAB-LINKS---\n`;
  expect((await readCurrentView(m)).modelText).toBeUndefined();
  out = '';
  const v = await readCurrentView(m);
  expect(v.modelText).toBeUndefined();
  expect(v.view.stuck.size).toBe(0);
  // no model section at all: what there is still reads as the fault view
  out = `${store}\n---K8S-NETLAB-LINKS---\n${links}\n`;
  const w = await readCurrentView(m);
  expect(w.modelText).toBeUndefined();
  expect([...w.view.stuck]).toEqual([['node3', 'f1']]);
});
