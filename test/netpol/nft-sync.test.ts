import { spawnSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { loadTopology } from '../../src/topology/load';
import { renderNetpol, NETPOL_REMOVE } from '../../src/netpol/nftables';
import { chainHash, parseLiveTable, planNetpolSync } from '../../src/netpol/nft-sync';
import { itWithTools } from '../tool-gate';

const step = (n: number) => loadTopology(`topologies/netpol/step-${n}.yaml`);
const [s1, s2, s3] = [step(1), step(2), step(3)];
const veth = (key: string) => s1.pods.find((p) => `${p.namespace}/${p.name}` === key)!.hostVeth;

/** What `nft list table` prints for a rendered table (rule lines only matter to the parser). */
function listing(r: ReturnType<typeof renderNetpol>, extra: Record<string, string[]> = {}): string {
  const chain = (name: string, rules: string[], head: string[] = []) =>
    [`\tchain ${name} {`, ...head.map((h) => `\t\t${h}`), ...rules.map((l) => `\t\t${l}`), '\t}'].join('\n');
  return [
    'table inet k8s-netlab-netpol {',
    ...r.counters.map((c) => `\tcounter ${c.name} {\n\t\tcomment ${c.comment}\n\t\tpackets 0 bytes 0\n\t}`),
    '\tset drops-ingress {\n\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service\n\t\telements = { 10.244.1.3 . 10.244.0.2 . udp . 81 counter packets 3 bytes 90,\n\t\t\t     10.244.1.3 . 10.244.0.2 . tcp . 81 counter packets 1 bytes 60 }\n\t}',
    '\tset drops-egress {\n\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service\n\t}',
    ...r.chainRules.map((c) => chain(c.name, [...(extra[c.name] ?? []), ...c.rules])),
    chain('forward', r.forward, ['type filter hook forward priority filter; policy accept;']),
    '}',
  ].join('\n');
}
const stateOf = (r: ReturnType<typeof renderNetpol>) => planNetpolSync(r, undefined, undefined).state;

describe('incremental NetworkPolicy sync (nft-sync)', () => {
  it('parses the node listing: rules per chain (type/comment lines and multi-line set elements are not rules)', () => {
    const r = renderNetpol(s1, 'node1');
    const live = parseLiveTable(listing(r))!;
    expect(live.sets.sort()).toEqual(['drops-egress', 'drops-ingress']);
    expect(live.counters).toEqual(r.counters.map((c) => c.name));
    for (const c of r.chainRules) expect(live.chains[c.name]).toBe(c.rules.length);
    expect(live.chains.forward).toBe(r.forward.length);
    expect(parseLiveTable('')).toBeUndefined();
  });

  it('a node without a table gets the whole table in one transaction; an empty render deletes it', () => {
    const r = renderNetpol(s1, 'node1');
    const p = planNetpolSync(r, undefined, undefined);
    expect(p.whole).toBe('create');
    expect(p.script).toBe(r.script);
    expect(p.added).toEqual(r.chainRules.map((c) => c.name));
    const gone = planNetpolSync(renderNetpol(s1, 'nope'), parseLiveTable(listing(r)), p.state);
    expect(gone.whole).toBe('delete');
    expect(gone.script).toBe(NETPOL_REMOVE);
    expect(planNetpolSync(renderNetpol(s1, 'nope'), undefined, undefined).script).toBe('');
  });

  it('the same render again changes nothing: no script, every chain unchanged', () => {
    const r = renderNetpol(s2, 'node1');
    const p = planNetpolSync(r, parseLiveTable(listing(r)), stateOf(r));
    expect(p.script).toBe('');
    expect(p.unchanged.sort()).toEqual(r.chainRules.map((c) => c.name).sort());
  });

  it('step 1 -> 2 on node1: only x/a ingress is flushed and refilled; the drop sets and counters stay', () => {
    const before = renderNetpol(s1, 'node1');
    const after = renderNetpol(s2, 'node1');
    const p = planNetpolSync(after, parseLiveTable(listing(before)), stateOf(before));
    const xa = `ingress-${veth('x/a')}`;
    expect(p.rewritten).toEqual([xa]);
    expect(p.added).toEqual([]);
    expect(p.removed).toEqual([]);
    const lines = p.script.trim().split('\n');
    expect(lines[0]).toBe('add table inet k8s-netlab-netpol');
    expect(lines[1]).toBe(`flush chain inet k8s-netlab-netpol ${xa}`);
    expect(lines.slice(2)).toEqual(
      after.chainRules.find((c) => c.name === xa)!.rules.map((r) => `add rule inet k8s-netlab-netpol ${xa} ${r}`),
    );
    // Nothing is deleted or re-created: the set elements and named counters keep counting.
    expect(p.script).not.toMatch(/delete|add set|add counter|forward/);
  });

  it('step 2 -> 3 on node1: new egress chains and their jumps are added, the ingress of x/a refilled; removing the policies deletes chains after the jumps', () => {
    const two = renderNetpol(s2, 'node1');
    const three = renderNetpol(s3, 'node1');
    const p = planNetpolSync(three, parseLiveTable(listing(two)), stateOf(two));
    expect(p.added.sort()).toEqual([`egress-${veth('y/a')}`, `egress-${veth('z/a')}`].sort());
    // x/a-from-node2 (step 3) adds to x/a's ingress chain: flushed and refilled, nothing else.
    expect(p.rewritten).toEqual([`ingress-${veth('x/a')}`]);
    expect(p.script).toMatch(new RegExp(`add counter inet k8s-netlab-netpol drop-egress-${veth('y/a')} `));
    expect(p.script).toMatch(/flush chain inet k8s-netlab-netpol forward\n/);
    const back = planNetpolSync(two, parseLiveTable(listing(three)), stateOf(three));
    expect(back.removed.sort()).toEqual(p.added.sort());
    const lines = back.script.trim().split('\n');
    const lastJump = lines.map((l, i) => (/^add rule .* forward /.test(l) ? i : -1)).reduce((a, b) => Math.max(a, b));
    const firstDelete = lines.findIndex((l) => l.startsWith('delete chain'));
    expect(firstDelete).toBeGreaterThan(lastJump);
    expect(lines.filter((l) => l.startsWith('delete counter'))).toHaveLength(2);
  });

  it('drift: a rule inserted by hand (count differs) or an unknown previous state makes the chain rewritten', () => {
    const r = renderNetpol(s2, 'node1');
    const xa = `ingress-${veth('x/a')}`;
    const sabotaged = parseLiveTable(listing(r, { [xa]: ['counter packets 0 bytes 0 return comment "sabotage"'] }));
    expect(planNetpolSync(r, sabotaged, stateOf(r)).rewritten).toEqual([xa]);
    const unknown = planNetpolSync(r, parseLiveTable(listing(r)), undefined);
    expect(unknown.rewritten.sort()).toEqual(r.chainRules.map((c) => c.name).sort());
    expect(chainHash(['a'])).not.toBe(chainHash(['b']));
  });

  const canNetns = spawnSync('sh', ['-c', 'unshare --net true && command -v nft'], { stdio: 'ignore' }).status === 0;
  itWithTools(
    canNetns ? undefined : 'cannot create a network namespace with nft (needs root and nftables)',
    'nft in a fresh netns',
  )(
    'through steps 1 -> 2 -> 3 -> 1 on every node, the kernel ends with exactly the full render, and drop-set elements survive',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'netpol-sync-'));
      // Each step: list the live table, plan in TypeScript, load the plan; compare with a fresh full load.
      for (const n of s3.nodes) {
        const seq = [s1, s2, s3, s1];
        // Plans need the previous listing: run the sequence step by step.
        let state: ReturnType<typeof stateOf> | undefined;
        const run = (sh: string) =>
          spawnSync('nsenter', ['--net=' + `${dir}/ns`, 'sh', '-ec', sh], { encoding: 'utf8' });
        writeFileSync(`${dir}/ns`, '');
        const mk = spawnSync('unshare', [`--net=${dir}/ns`, 'true']);
        expect(mk.status).toBe(0);
        for (const [i, m] of seq.entries()) {
          const live = parseLiveTable(run('nft list table inet k8s-netlab-netpol 2>/dev/null || true').stdout);
          const plan = planNetpolSync(renderNetpol(m, n.name), live, state);
          state = plan.state;
          if (!plan.script) continue;
          writeFileSync(`${dir}/${n.name}-${i}.nft`, plan.script);
          const r = run(`nft -f ${dir}/${n.name}-${i}.nft`);
          expect(`${n.name} step ${i}: ${r.stderr}`).toBe(`${n.name} step ${i}: `);
          if (i === 1) {
            // An element in the drop set before the next change is still there after it.
            run(`nft add element inet k8s-netlab-netpol drops-ingress '{ 10.244.1.3 . 10.244.0.2 . udp . 81 }'`);
          }
          if (i === 2)
            expect(run('nft list set inet k8s-netlab-netpol drops-ingress').stdout).toMatch(
              /10\.244\.1\.3 \. 10\.244\.0\.2 \. udp \. 81/,
            );
        }
        const end = run('nft list table inet k8s-netlab-netpol').stdout;
        const full = renderNetpol(s1, n.name);
        const got = parseLiveTable(end)!;
        for (const c of full.chainRules) expect(got.chains[c.name]).toBe(c.rules.length);
        expect(Object.keys(got.chains).sort()).toEqual([...full.chainRules.map((c) => c.name), 'forward'].sort());
        expect(got.counters.sort()).toEqual(full.counters.map((c) => c.name).sort());
        spawnSync('umount', [`${dir}/ns`]);
      }
    },
  );
});
