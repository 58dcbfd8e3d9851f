/**
 * What `lab up` repairs on a running lab, judged from observed links against the model: a node
 * whose port on the VPC router is gone (restarted), one left half set up by a repair killed
 * half-way (port there but down, pod veths missing), and none when everything is there or a port
 * is down because a link-down fault asks for it.
 */
import { nodesToRepair, vpcPortState } from '../../src/lab/nodes-to-repair';
import { fixtureModel } from '../fixtures/model';

const m = fixtureModel();
const lo = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN';
const up = (i: string, k: number) =>
  `${k}: ${i}@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master br-subnet-a state UP`;
// As seen on the router after `lab up` was killed between creating node2's link and its last step.
const down = (i: string, k: number) =>
  `${k}: ${i}@if2: <BROADCAST,MULTICAST> mtu 1500 qdisc noop master br-subnet-a state DOWN mode DEFAULT`;

/** The router's links: each node's port up, except as `ports` says. */
function router(ports: Record<string, 'down' | 'missing'> = {}): string {
  return [
    lo,
    ...m.nodes
      .filter((n) => ports[n.name] !== 'missing')
      .map((n, k) => (ports[n.name] === 'down' ? down : up)(n.vpcIface, k + 5)),
  ].join('\n');
}

/** A node's own links: eth0, cbr0 and its pods' host veths, less `without`. */
function nodeLinks(node: string, without: string[] = []): string {
  const names = ['eth0', 'cbr0', ...m.pods.filter((p) => p.node === node).map((p) => p.hostVeth!)];
  return [lo, ...names.filter((x) => !without.includes(x)).map((x, i) => `${i + 2}: ${x}@if9: <UP,LOWER_UP>`)].join(
    '\n',
  );
}

const whole = () => new Map(m.nodes.map((n) => [n.name, nodeLinks(n.name)]));
const judge = (vpcLinks: string, links = whole(), linkDownFaults: string[] = []) =>
  nodesToRepair(m, { vpcLinks, nodeLinks: links, linkDownFaults: new Set(linkDownFaults) }).map((r) => ({
    node: r.node.name,
    restart: r.restart,
    why: r.why,
  }));

const node2 = m.nodes[1];
const pods2 = m.pods.filter((p) => p.node === 'node2');

describe('the VPC router port of a node', () => {
  it('up, down (no UP flag: admin down), missing; nothing judged from an output without lo', () => {
    expect(vpcPortState(router(), node2.vpcIface)).toBe('up');
    expect(vpcPortState(router({ node2: 'down' }), node2.vpcIface)).toBe('down');
    expect(vpcPortState(router({ node2: 'missing' }), node2.vpcIface)).toBe('missing');
    expect(vpcPortState('', node2.vpcIface)).toBeUndefined();
    // A name that only starts like the port's is another port.
    expect(vpcPortState(`${lo}\n${up(`${node2.vpcIface}x`, 7)}`, node2.vpcIface)).toBe('missing');
  });
});

describe('nodes lab up repairs', () => {
  it('none on a whole lab: every port up, every link and pod veth there', () => {
    expect(judge(router())).toEqual([]);
  });

  it('a restarted node (its port gone from the router): re-plumbed, no restart', () => {
    const links = whole();
    links.set('node2', lo);
    expect(judge(router({ node2: 'missing' }), links)).toEqual([
      { node: 'node2', restart: false, why: [`no port ${node2.vpcIface} on the VPC router`] },
    ]);
  });

  it('a repair killed half-way (port there but down, pod veths missing): restarted and re-plumbed, saying what was seen', () => {
    expect(pods2.length).toBeGreaterThan(0);
    const links = whole();
    links.set(
      'node2',
      nodeLinks(
        'node2',
        pods2.map((p) => p.hostVeth!),
      ),
    );
    expect(judge(router({ node2: 'down' }), links)).toEqual([
      {
        node: 'node2',
        restart: true,
        why: [
          `${pods2.length} of ${pods2.length} pod veths missing`,
          `port ${node2.vpcIface} down on the VPC router with no link-down fault`,
        ],
      },
    ]);
  });

  it('killed at the very end (everything there but the port still down): repaired too', () => {
    expect(judge(router({ node2: 'down' }))).toEqual([
      { node: 'node2', restart: true, why: [`port ${node2.vpcIface} down on the VPC router with no link-down fault`] },
    ]);
  });

  it('a port down because a link-down fault asks for it is no repair; its missing veths still are', () => {
    expect(judge(router({ node2: 'down' }), whole(), ['node2'])).toEqual([]);
    const links = whole();
    links.set('node2', nodeLinks('node2', [pods2[0].hostVeth!]));
    expect(judge(router({ node2: 'down' }), links, ['node2'])).toEqual([
      { node: 'node2', restart: true, why: [`1 of ${pods2.length} pod veths missing`] },
    ]);
  });

  it('a node not observed (not running) or a router not read: not judged', () => {
    const links = whole();
    links.delete('node2');
    expect(judge(router({ node2: 'down' }), links)).toEqual([]);
    expect(judge('')).toEqual([]);
  });
});
