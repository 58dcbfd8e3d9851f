/**
 * NetworkPolicy end to end: topologies/netpol.yaml (upstream netpol e2e layout) taken through its
 * policy steps with lab apply; after each step the full 324-cell matrix must match the oracle,
 * every denial confirmed by a policy drop counter. In iptables (vpc-routes) and nftables (vxlan) proxy modes; in one
 * mode a sabotaged rule must show up as mismatched cells naming the policy, and a re-apply repairs it.
 */
import execa from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { LAB_BIN, lab, labName, ROOT } from './helpers';
import type { VerifyReport } from '../../src/lab/verify';
import type { ExpectedCell, ObservedCell } from '../../src/paths/network-policy/probes';

jest.setTimeout(900_000);

const TOPO = path.join(ROOT, 'topologies', 'netpol.yaml');
const step = (n: number) => path.join(ROOT, 'topologies', 'netpol', `step-${n}.yaml`);

interface OutsideCell {
  exp: { to: string; entry: string; verdict: string; policySees: string; deciding: string[] };
  obs: { verdict: string; policySaw?: string; answeredBy?: string };
}

/** The outside client's row (VPC router -> x/a's NodePort on every node), from the same report. */
function outsideOf(report: VerifyReport): OutsideCell[] {
  const p = report.probes.find((x) => x.path === 'network-policy' && x.name.startsWith('outside'));
  if (!p) return [];
  const exp = p.evidence.expected.cells as OutsideCell['exp'][];
  const obs = (p.evidence.observed.cells ?? []) as OutsideCell['obs'][];
  return exp.map((e, i) => ({ exp: e, obs: obs[i] }));
}

interface Cell {
  from: string;
  exp: ExpectedCell;
  obs: ObservedCell;
}

function cellsOf(report: VerifyReport): Cell[] {
  return report.probes
    .filter((p) => p.path === 'network-policy' && !p.name.startsWith('outside'))
    .flatMap((p) => {
      const exp = p.evidence.expected.cells as ExpectedCell[];
      const obs = (p.evidence.observed.cells ?? []) as ObservedCell[];
      return exp.map((e, i) => ({ from: p.name.split(' -> ')[0], exp: e, obs: obs[i] }));
    });
}

async function matrix(
  name: string,
): Promise<{ exitCode: number; report: VerifyReport; cells: Cell[]; outside: OutsideCell[]; ms: number }> {
  const t0 = Date.now();
  const r = await lab(['verify', '--name', name, '--path', 'network-policy', '--json']);
  const report = JSON.parse(r.stdout) as VerifyReport;
  return { exitCode: r.exitCode, report, cells: cellsOf(report), outside: outsideOf(report), ms: Date.now() - t0 };
}

/** Denied cells per step, from the oracle, so a step that changed nothing would be noticed. */
const deniedAtLeast: Record<number, number> = { 1: 54, 2: 40, 3: 100 };

// Two proxy modes, and two CNI modes (routed by the VPC; VXLAN overlay) between them.
for (const [mode, cni] of [
  ['iptables', 'vpc-routes'],
  ['nftables', 'vxlan'],
] as const) {
  describe(`NetworkPolicy matrix, ${mode} proxy mode, ${cni}`, () => {
    const name = labName(`e2e-np-${mode.slice(0, 3)}`);
    beforeAll(async () => {
      await lab(['down', '--name', name]);
      const up = await lab(['up', '-t', TOPO, '--name', name, '--proxy', mode, '--cni', cni, '--no-verify']);
      if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.stdout}\n${up.stderr}`);
    });
    afterAll(async () => {
      await lab(['down', '--name', name]);
    });

    it('without policies the path is not covered and no table exists', async () => {
      const r = await matrix(name);
      expect(r.report.probes).toHaveLength(0);
      expect(r.report.notCovered[0].reason).toMatch(/no NetworkPolicy objects/);
      const nodes = await execa('docker', ['exec', `k8s-netlab-${name}-node1`, 'nft', 'list', 'tables'], {
        reject: false,
      });
      expect(nodes.stdout).not.toMatch(/k8s-netlab-netpol/);
    });

    for (const n of [1, 2, 3]) {
      it(`step ${n}: every one of the 324 cells matches the oracle; every denial is a counted drop`, async () => {
        const a = await lab(['apply', '-t', step(n), '--name', name]);
        expect(a.exitCode).toBe(0);
        expect(a.stdout).toMatch(/network policies: \d+ policies, \d+ rules synced on 3 nodes/);
        const r = await matrix(name);
        const bad = r.cells.filter((c) => c.obs?.verdict !== c.exp.verdict);
        expect(
          bad.map((c) => `${c.from} -> ${c.exp.to} ${c.exp.port}/${c.exp.protocol}: ${JSON.stringify(c.obs)}`),
        ).toEqual([]);
        expect(r.exitCode).toBe(0);
        expect(r.cells).toHaveLength(324);
        const denied = r.cells.filter((c) => c.exp.verdict === 'denied');
        expect(denied.length).toBeGreaterThanOrEqual(deniedAtLeast[n]);
        for (const c of denied) expect(c.obs.droppedAt).toMatch(/node\d (ingress|egress) \(\d+ pkt\)/);
        for (const c of r.cells.filter((x) => x.exp.verdict === 'allowed'))
          expect(c.obs.answeredBy).toBe(c.exp.to.split('/')[1]);
        // The outside client's row: 6 cells (3 nodes x 80/TCP, 81/UDP to x/a's NodePort), each as the
        // oracle says on the source the policy sees; every denial counted with that very source.
        expect(r.outside).toHaveLength(6);
        for (const c of r.outside) {
          expect(`${c.exp.to} ${c.exp.entry} ${c.obs.verdict}`).toBe(`${c.exp.to} ${c.exp.entry} ${c.exp.verdict}`);
          if (c.exp.verdict === 'denied') expect(c.obs.policySaw).toBe(c.exp.policySees);
        }
        const open = r.outside.filter((c) => c.exp.verdict === 'allowed').map((c) => `${c.exp.to} ${c.exp.entry}`);
        // Step 3's x/a-from-node2 lets in only what came through node2 (masqueraded to node2) on 80/TCP.
        expect(open).toEqual(n === 3 ? [expect.stringMatching(/^x\/a via node2 x\/a-nodeport \S+:30080\/TCP$/)] : []);
        const saw = r.outside.map((c) => `${c.exp.entry.split(' ')[1]}=${c.obs.policySaw ?? c.obs.answeredBy}`);
        console.log(
          `${mode}/${cni} step ${n}: 324 cells, ${denied.length} denied, matrix in ${r.ms} ms; outside: ${saw.join(' ')}`,
        );
      });
    }

    it('policies act after the Service DNAT: through a VIP, 80/TCP reaches x/a and 81/TCP is dropped at x/a ingress, counted with the pod address', async () => {
      // Step 3 plus a Service in x whose backend is x/a (node1): y may open 80/TCP to x's pods only.
      const dir = mkdtempSync(path.join(tmpdir(), 'netpol-svc-'));
      const file = path.join(dir, 'svc.yaml');
      const m = (f: string) => path.join(ROOT, 'topologies', 'netpol', f);
      writeFileSync(
        file,
        [
          'name: netpol',
          'cluster: {podCIDR: 10.244.0.0/16, dns: false}',
          'nodes: [{name: node1}, {name: node2}, {name: node3}]',
          `manifests: [${['pods.yaml', 'policies-1.yaml', 'policies-2.yaml', 'policies-3.yaml'].map((f) => JSON.stringify(m(f))).join(', ')}]`,
          'objects:',
          '  - {apiVersion: v1, kind: Service, metadata: {name: web, namespace: x}, spec: {clusterIP: 10.96.0.100, selector: {pod: a}, ports: [{name: p80, port: 80}, {name: p81, port: 81}]}}',
        ].join('\n') + '\n',
      );
      expect((await lab(['apply', '-t', file, '--name', name, '--allow-outside'])).exitCode).toBe(0);
      const node1 = `k8s-netlab-${name}-node1`;
      const drops = async () =>
        (
          await execa('docker', [
            'exec',
            node1,
            'nft',
            '-j',
            'list',
            'set',
            'inet',
            'k8s-netlab-netpol',
            'drops-ingress',
          ])
        ).stdout;
      const ok = await lab([
        'exec',
        '--name',
        name,
        'node2/y/b',
        '--',
        'curl',
        '-s',
        '-m',
        '3',
        'http://10.96.0.100:80/hostname',
      ]);
      expect(ok.stdout.trim()).toBe('a');
      const before = await drops();
      const denied = await lab([
        'exec',
        '--name',
        name,
        'node2/y/b',
        '--',
        'curl',
        '-s',
        '-m',
        '2',
        'http://10.96.0.100:81/hostname',
      ]);
      expect(denied.exitCode).not.toBe(0);
      const after = await drops();
      // The element names x/a's address (10.244.0.2), not the VIP: the rule saw the packet after DNAT.
      const count = (j: string) => {
        const el = (
          JSON.parse(j).nftables as Array<{
            set?: { elem?: Array<{ elem: { val: { concat: unknown[] }; counter: { packets: number } } }> };
          }>
        )
          .flatMap((x) => x.set?.elem ?? [])
          .find((e) => e.elem.val.concat.join(' ') === '10.244.1.3 10.244.0.2 tcp 81');
        return el?.elem.counter.packets ?? 0;
      };
      expect(count(after)).toBeGreaterThan(count(before));
      expect(after).not.toMatch(/10\.96\.0\.100/);
    });

    it('lab trace network-policy stops at the dropping node and names the rule the node counted', async () => {
      const t = await lab(['trace', 'network-policy', '--name', name]);
      expect(t.exitCode).toBe(1); // the request never reaches its end
      const last = /last seen at (node\d):\S+\)/.exec(t.stdout)?.[1];
      expect(last).toBeTruthy();
      expect(t.stdout).toMatch(
        new RegExp(
          `dropped by NetworkPolicy at ${last} ingress: \\d+ packet\\(s\\), rule "x/\\w ingress isolated by x/default-deny-ingress`,
        ),
      );
    });

    if (mode === 'iptables') {
      it('sabotage: an allow-all rule at the top of x/a ingress shows the mismatched cells and the policy; re-apply repairs', async () => {
        const node1 = `k8s-netlab-${name}-node1`;
        const chains = await execa('docker', ['exec', node1, 'nft', 'list', 'table', 'inet', 'k8s-netlab-netpol']);
        const chain = /jump (ingress-\S+) comment "x\/a ingress"/.exec(chains.stdout)?.[1];
        expect(chain).toBeTruthy();
        await execa('docker', [
          'exec',
          node1,
          'nft',
          'insert',
          'rule',
          'inet',
          'k8s-netlab-netpol',
          chain!,
          'counter',
          'return',
          'comment',
          '"sabotage"',
        ]);
        const r = await matrix(name);
        expect(r.exitCode).toBe(1);
        const bad = r.cells.filter((c) => c.obs.verdict !== c.exp.verdict);
        expect(bad.length).toBeGreaterThan(0);
        for (const c of bad) {
          expect(c.exp.to).toBe('x/a');
          expect(c.exp.verdict).toBe('denied');
          expect(c.obs.verdict).toBe('allowed');
          expect(c.exp.deciding).toContain('x/default-deny-ingress');
        }
        const text = await lab(['verify', '--name', name, '--path', 'network-policy']);
        expect(text.exitCode).toBe(1);
        expect(text.stdout).toMatch(/\.!/);
        expect(text.stdout).toMatch(/! \S+ -> x\/a \d+\/(TCP|UDP): expected denied by x\/default-deny-ingress/);
        // The table is replaced atomically by the next sync: the sabotage is gone.
        expect((await lab(['apply', '-t', step(3), '--name', name])).exitCode).toBe(0);
        const after = await matrix(name);
        expect(after.exitCode).toBe(0);
      });

      it('a policy change is incremental and has no window: a steady stream through the rewritten chain sees no wrong verdict (counted)', async () => {
        // Step 3 plus one more policy selecting x/a: only x/a's ingress chain (node1) is flushed and
        // refilled. Meanwhile y/b opens new connections to x/a: 80/TCP (allowed before and after)
        // and 81/UDP (denied before and after). Every attempt must be answered by a, resp. counted
        // by the drop set exactly once; the set, kept across the change, proves the table was not replaced.
        const dir = mkdtempSync(path.join(tmpdir(), 'netpol-inc-'));
        const file = path.join(dir, 'step-3b.yaml');
        const m = (f: string) => path.join(ROOT, 'topologies', 'netpol', f);
        writeFileSync(
          file,
          [
            'name: netpol',
            'cluster: {podCIDR: 10.244.0.0/16, dns: false}',
            'nodes: [{name: node1}, {name: node2}, {name: node3}]',
            `manifests: [${['pods.yaml', 'policies-1.yaml', 'policies-2.yaml', 'policies-3.yaml'].map((f) => JSON.stringify(m(f))).join(', ')}]`,
            'objects:',
            '  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: allow-z-to-a-81, namespace: x}, spec: {podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: z}}}], ports: [{protocol: TCP, port: 81}]}]}}',
          ].join('\n') + '\n',
        );
        expect((await lab(['apply', '-t', step(3), '--name', name])).exitCode).toBe(0);
        const node1 = `k8s-netlab-${name}-node1`;
        const st = JSON.parse((await lab(['status', '--name', name, '--json'])).stdout) as {
          pods: Array<{ namespace: string; name: string; ip: string }>;
        };
        const ipOf = (k: string) => st.pods.find((p) => `${p.namespace}/${p.name}` === k)!.ip;
        const [yb, xa] = [ipOf('y/b'), ipOf('x/a')];
        const dropped = async () => {
          const j = (
            await execa('docker', [
              'exec',
              node1,
              'nft',
              '-j',
              'list',
              'set',
              'inet',
              'k8s-netlab-netpol',
              'drops-ingress',
            ])
          ).stdout;
          const el = (
            JSON.parse(j).nftables as Array<{
              set?: { elem?: Array<{ elem: { val: { concat: unknown[] }; counter: { packets: number } } }> };
            }>
          )
            .flatMap((x) => x.set?.elem ?? [])
            .find((e) => e.elem.val.concat.join(' ') === `${yb} ${xa} udp 81`);
          return el?.elem.counter.packets ?? 0;
        };
        const before = await dropped();
        // The stream runs until told to stop (a file in node2, where y/b's processes run), so the
        // apply is inside it whatever the machine's load: 5 rounds before, 5 rounds after.
        const stopFile = `/tmp/k8s-netlab-stream-stop-${Date.now()}`;
        const script = readFileSync(path.join(ROOT, 'images', 'probes', 'stream.py'), 'utf8');
        const stream = execa(
          'node',
          [
            LAB_BIN,
            'exec',
            '--name',
            name,
            'node2/y/b',
            '--',
            'python3',
            '-c',
            script,
            '2000',
            stopFile,
            `${xa}:80/tcp`,
            `${xa}:81/udp`,
          ],
          { cwd: ROOT, reject: false },
        );
        let rounds = 0;
        stream.stdout!.on('data', (d: Buffer) => {
          for (const m of String(d).matchAll(/round (\d+)/g)) rounds = Number(m[1]);
        });
        const until = async (n: number) => {
          while (rounds < n && stream.exitCode === null) await new Promise((r) => setTimeout(r, 100));
        };
        await until(5);
        const roundsAtApplyStart = rounds;
        const applied = await lab(['apply', '-t', file, '--name', name, '--allow-outside']);
        const roundsAtApplyEnd = rounds;
        await until(roundsAtApplyEnd + 5);
        await execa('docker', ['exec', `k8s-netlab-${name}-node2`, 'touch', stopFile]);
        const done = await stream;
        await execa('docker', ['exec', `k8s-netlab-${name}-node2`, 'rm', '-f', stopFile]);
        expect(applied.exitCode).toBe(0);
        expect(applied.stdout).toMatch(/chains 0 added, 1 rewritten, 0 removed, the rest untouched/);
        expect(done.stdout).toMatch(/stopped by /);
        const result = JSON.parse(done.stdout.trim().split('\n').pop()!) as Record<
          string,
          { attempts: number; answers: Record<string, number>; failures: number }
        >;
        const ok = result[`${xa}:80/tcp`];
        const denied = result[`${xa}:81/udp`];
        const ROUNDS = ok.attempts;
        // The change happened inside the stream: rounds ran before it began and after it ended.
        expect(roundsAtApplyStart).toBeGreaterThanOrEqual(5);
        expect(ROUNDS).toBeGreaterThanOrEqual(roundsAtApplyEnd + 5);
        expect(ok).toEqual({ attempts: ROUNDS, answers: { a: ROUNDS }, failures: 0 });
        expect(denied).toEqual({ attempts: ROUNDS, answers: {}, failures: ROUNDS });
        // One datagram per attempt, each a new connection, each dropped and counted once by x/a's chain.
        expect((await dropped()) - before).toBe(ROUNDS);
        const chain = (await execa('docker', ['exec', node1, 'nft', 'list', 'table', 'inet', 'k8s-netlab-netpol']))
          .stdout;
        expect(chain).toMatch(/x\/allow-z-to-a-81 ingress\[0\]/);
        console.log(
          `incremental apply during a ${ROUNDS}-round stream: ${ok.answers.a} answers on 80/TCP, ${(await dropped()) - before} drops counted on 81/UDP; apply from round ${roundsAtApplyStart} to ${roundsAtApplyEnd}`,
        );
      });

      it('removing every policy removes the table and opens the matrix again', async () => {
        expect((await lab(['apply', '-t', TOPO, '--name', name])).exitCode).toBe(0);
        const t = await execa('docker', ['exec', `k8s-netlab-${name}-node1`, 'nft', 'list', 'tables'], {
          reject: false,
        });
        expect(t.stdout).not.toMatch(/k8s-netlab-netpol/);
        // The paths that assume an open network pass again (x was isolated from other nodes before).
        const v = await lab(['verify', '--name', name, '--path', 'pod-to-pod-cross-node', '--path', 'node-to-pod']);
        expect(v.stdout).toMatch(/all \d+ probes passed/);
        expect(v.exitCode).toBe(0);
      });
    }
  });
}
