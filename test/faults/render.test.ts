import {
  checkFault,
  faultTable,
  FaultRecord,
  nextFaultId,
  renderLinkLoss,
  renderPartition,
  renderTableDelete,
} from '../../src/faults/render';
import { fixtureModel } from '../fixtures/model';

describe('fault rules', () => {
  const m = fixtureModel();
  const [n1, n2] = m.nodes;
  it("partitions with filter chains after DNAT, both directions, in the fault's own table", () => {
    const r = renderPartition('f2', n1, n2);
    expect(r).toContain(`table inet ${faultTable('f2')} {`);
    for (const h of ['input', 'forward', 'output'])
      expect(r).toContain(
        `chain ${h} { type filter hook ${h} priority -10; policy accept; ip saddr { ${n2.ip}, ${n2.podCIDR} } drop; ip daddr { ${n2.ip}, ${n2.podCIDR} } drop; }`,
      );
    expect(r).toContain(`partition ${n1.name} | ${n2.name}`);
  });
  it('drops P% on eth0 with numgen, and says there is no netem', () => {
    const r = renderLinkLoss('f1', n1, 30);
    expect(r).toContain('iifname "eth0" numgen random mod 100 < 30 drop');
    expect(r).toContain('oifname "eth0" numgen random mod 100 < 30 drop');
    expect(r).toMatch(/no netem/);
    expect(renderTableDelete('f1')).toBe('nft delete table inet k8s_netlab_fault_f1 2>/dev/null || true');
  });
  it('numbers faults after the highest id', () => {
    const f = (id: string) => ({ id }) as FaultRecord;
    expect(nextFaultId([])).toBe('f1');
    expect(nextFaultId([f('f1'), f('f7')])).toBe('f8');
    expect(nextFaultId([], 4)).toBe('f5');
  });
});

describe('checkFault', () => {
  const m = fixtureModel();
  const err = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e as { message: string; exitCode: number; hint?: string };
    }
    throw new Error('no error');
  };
  it('accepts each kind against the model', () => {
    expect(checkFault(m, { kind: 'node-freeze', target: m.nodes[1].name }, []).nodes.map((n) => n.name)).toEqual([
      m.nodes[1].name,
    ]);
    expect(checkFault(m, { kind: 'partition', target: m.nodes[0].name, peer: m.nodes[1].name }, []).nodes).toHaveLength(
      2,
    );
    expect(checkFault(m, { kind: 'link-loss', target: m.nodes[0].name, percent: 50 }, []).kind).toBe('link-loss');
    const p = m.pods[0];
    expect(checkFault(m, { kind: 'pod-kill', target: `${p.namespace}/${p.name}` }, []).nodes[0].name).toBe(p.node);
  });
  it('names the field and the fix for bad input (exit 2)', () => {
    const e1 = err(() => checkFault(m, { kind: 'meteor', target: 'x' }, []));
    expect(e1.exitCode).toBe(2);
    expect(e1.message).toMatch(/^KIND: unknown fault kind meteor/);
    expect(e1.hint).toMatch(/node-freeze/);
    expect(err(() => checkFault(m, { kind: 'node-freeze', target: 'nodeX' }, [])).message).toMatch(
      /^TARGET: no node nodeX/,
    );
    expect(err(() => checkFault(m, { kind: 'partition', target: m.nodes[0].name }, [])).message).toMatch(
      /^--from: no node/,
    );
    expect(
      err(() => checkFault(m, { kind: 'partition', target: m.nodes[0].name, peer: m.nodes[0].name }, [])).message,
    ).toMatch(/itself/);
    expect(err(() => checkFault(m, { kind: 'link-loss', target: m.nodes[0].name, percent: 0 }, [])).message).toMatch(
      /^--percent: must be a whole percent/,
    );
    expect(err(() => checkFault(m, { kind: 'pod-kill', target: 'default/nope' }, [])).message).toMatch(
      /^TARGET: no pod default\/nope/,
    );
    const active = [{ id: 'f1', kind: 'node-freeze', target: m.nodes[1].name } as FaultRecord];
    expect(err(() => checkFault(m, { kind: 'node-stop', target: m.nodes[1].name }, active)).hint).toBe(
      'clear it first: lab fault clear f1',
    );
  });
});

describe('renderFaultList', () => {
  it('prints id, kind, target, age', () => {
    const { renderFaultList } = jest.requireActual('../../src/faults/list');
    const f: FaultRecord = {
      id: 'f2',
      kind: 'partition',
      target: 'node1',
      peer: 'node2',
      injectedAt: '2026-01-01T00:00:00.000Z',
      detail: 'nftables drop',
    };
    expect(renderFaultList([f], new Date('2026-01-01T00:00:12.400Z')).split('\n')[1]).toBe(
      'f2  partition  node1 | node2  12s  nftables drop',
    );
    expect(renderFaultList([], new Date())).toBe('no active fault');
  });
});
