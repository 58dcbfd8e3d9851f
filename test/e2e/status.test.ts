/**
 * `lab status` on a lab without an edge: LoadBalancer Services have no cloud to give them an IP,
 * so EXTERNAL-IP reads <pending>, as kubectl shows on a cluster without a cloud controller.
 * (With an edge, test/e2e/edge.test.ts checks the assigned IP.)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GUIDE, lab, labName } from './helpers';

jest.setTimeout(600_000);
const NAME = labName('e2e-status');

describe('lab status without an edge', () => {
  afterAll(async () => {
    await lab(['down', '--name', NAME]);
  });

  it('shows <pending> as the EXTERNAL-IP of every LoadBalancer Service, <none> for the others', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-status-')), 'guide.yaml');
    fs.writeFileSync(file, fs.readFileSync(GUIDE, 'utf8').replace(/^edge: \{\}\n/m, ''));
    const up = await lab(['up', '-t', file, '--name', NAME, '--no-verify']);
    expect(up.exitCode).toBe(0);
    const st = JSON.parse((await lab(['status', '--name', NAME, '--json'])).stdout);
    expect(st.edge).toBeUndefined();
    const byType = (t: string) => st.services.filter((s: { type: string }) => s.type === t);
    expect(byType('LoadBalancer').map((s: { externalIP: string }) => s.externalIP)).toEqual([
      '<pending>',
      '<pending>',
      '<pending>',
    ]);
    expect(byType('ClusterIP').every((s: { externalIP: string }) => s.externalIP === '<none>')).toBe(true);
    const text = (await lab(['status', '--name', NAME])).stdout.split('\n');
    expect(text.find((l) => l.startsWith('SERVICE'))).toMatch(/CLUSTER-IP\s+EXTERNAL-IP\s+PORTS/);
    expect(text.find((l) => /^web\s/.test(l))).toMatch(/\sLoadBalancer\s+\S+\s+<pending>\s/);
  });
});
