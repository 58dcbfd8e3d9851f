/**
 * Feeds the rendered text to the real tools (iptables-restore, nft, ipset) inside a fresh,
 * empty network namespace (`unshare --net`), never the host's. Skips, saying why, when the
 * machine cannot create one.
 */
import { itWithTools } from '../tool-gate';
import { spawnSync } from 'child_process';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { computeEndpoints } from '../../src/proxy/endpoints';
import { NFT_CHAIN_LIST_LIMIT, renderIptablesPartial, serializeIptables } from '../../src/proxy/iptables-restore';
import { buildIptablesRuleset } from '../../src/proxy/iptables';
import { renderIptablesBootstrap } from '../../src/proxy/iptables-bootstrap';
import { renderIpvs } from '../../src/proxy/ipvs';
import { buildNftState } from '../../src/proxy/nftables';
import { renderNftablesIncremental, serializeNft } from '../../src/proxy/nftables-text';
import { backend, model, node, overallScenario, service } from './fixtures';

function can(cmd: string): boolean {
  return spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;
}

const hasNetns = can('unshare --net true');
const why = hasNetns ? '' : 'cannot create a network namespace here (unshare --net needs root / CAP_SYS_ADMIN)';
const tools = {
  nft: hasNetns && can('command -v nft'),
  iptablesNft: hasNetns && can('command -v iptables-nft-restore'),
  iptablesLegacy: hasNetns && can('command -v iptables-legacy-restore && unshare --net iptables-legacy -S >/dev/null'),
  ipset: hasNetns && can('command -v ipset && unshare --net ipset list >/dev/null'),
};

/** Runs a script in a brand-new netns; files are written to a temp dir first. */
function inNetns(files: Record<string, string>, script: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-check-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const r = spawnSync('unshare', ['--net', 'sh', '-ec', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function skipIf(cond: boolean, reason: string) {
  return itWithTools(cond ? reason : undefined, 'kernel check');
}

const nodes = [node('n1', '192.168.0.2', '10.244.1.0/24'), node('n2', '192.168.0.3', '10.244.2.0/24')];
const svcs = [
  service('default', 'web', '10.96.0.20', [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }], {
    type: 'NodePort',
    sessionAffinity: 'ClientIP',
  }),
  service('default', 'dns', '10.96.0.10', [
    { name: 'dns', protocol: 'UDP', port: 53 },
    { name: 'dns-tcp', port: 53 },
  ]),
  service('default', 'lonely', '10.96.0.30', [{ port: 80 }]),
];
const podsBefore = [
  backend('default', 'web', 'w1', 'n1', '10.244.1.5'),
  backend('default', 'web', 'w2', 'n2', '10.244.2.5'),
  backend('default', 'dns', 'd1', 'n1', '10.244.1.6'),
];
const before = model(nodes, svcs, podsBefore, '10.244.0.0/16');
// web loses w2 and gains w3; dns is deleted
const after = model(
  nodes,
  [svcs[0], svcs[2]],
  [podsBefore[0], backend('default', 'web', 'w3', 'n2', '10.244.2.7')],
  '10.244.0.0/16',
);

describe('rendered rules accepted by the kernel (fresh netns)', () => {
  if (!hasNetns) itWithTools(why, 'kernel check: a fresh netns')(`(${why})`, () => undefined);

  for (const [backendName, available] of [
    ['nft', tools.iptablesNft],
    ['legacy', tools.iptablesLegacy],
  ] as const) {
    skipIf(!available, `iptables-${backendName}-restore not usable`)(
      `iptables (${backendName}): full, re-apply, partial`,
      () => {
        const prev = buildIptablesRuleset(before, 'n1', computeEndpoints(before));
        const next = buildIptablesRuleset(after, 'n1', computeEndpoints(after));
        const { lab, extras } = overallScenario();
        const overall = serializeIptables(
          buildIptablesRuleset(lab, 'test-node', computeEndpoints(lab), { serviceExtras: extras }),
        );
        const restore = `iptables-${backendName}-restore -w --noflush`;
        const save = `iptables-${backendName}-save`;
        const boot = renderIptablesBootstrap(backendName).join('\n');
        const r = inNetns(
          {
            'full.rules': serializeIptables(prev),
            'partial.rules': renderIptablesPartial(prev, next),
            'overall.rules': overall,
            'boot.sh': boot,
          },
          `${restore} overall.rules
         ${restore} full.rules; sh -e boot.sh; ${save} | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//' > one
         ${restore} full.rules; sh -e boot.sh; ${save} | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//' > two
         cmp one two && echo IDEMPOTENT
         ${restore} partial.rules; ${save} -t nat > after
         cat after`,
        );
        expect(r.out).toContain('IDEMPOTENT');
        expect(r.status).toBe(0);
        // exactly one jump per base chain after two syncs
        expect(r.out.match(/-A PREROUTING .*-j KUBE-SERVICES/g)).toHaveLength(1);
        const natAfter = r.out;
        const gone = Object.keys(prev.nat).filter((c) => !(c in next.nat));
        expect(gone.length).toBeGreaterThanOrEqual(3); // dns x2 SVC + SEP, w2's SEP
        for (const c of gone) expect(natAfter).not.toContain(c);
        for (const c of Object.keys(next.nat)) expect(natAfter).toContain(`:${c} `);
        expect(natAfter).toContain('--to-destination 10.244.2.7:8080');
      },
    );
  }

  skipIf(!tools.nft, 'nft not usable')('nftables: check, full apply twice, incremental', () => {
    const prev = buildNftState(before, 'n1', computeEndpoints(before));
    const next = buildNftState(after, 'n1', computeEndpoints(after));
    const { lab, extras } = overallScenario();
    const r = inNetns(
      {
        'overall.nft': serializeNft(buildNftState(lab, 'test-node', computeEndpoints(lab), { serviceExtras: extras })),
        'full.nft': serializeNft(prev),
        'inc.nft': renderNftablesIncremental(prev, next),
      },
      `nft -c -f overall.nft && nft -f overall.nft
       nft -f full.nft && nft -f full.nft
       nft -f inc.nft
       nft list table ip kube-proxy`,
    );
    expect(r.status).toBe(0);
    expect(r.out).not.toContain('default/dns');
    expect(r.out).toContain('10.244.2.7:8080');
    expect(r.out).not.toContain('10.244.2.5');
    // the listed table has exactly the chains of the next state
    const listed = [...r.out.matchAll(/^\s*chain (\S+) \{/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(Object.keys(next.chains).sort());
  });

  // Past NFT_CHAIN_LIST_LIMIT the nat section starts with -Z (see src/proxy/iptables.ts).
  skipIf(!tools.iptablesNft, 'iptables-nft-restore not usable')(
    'iptables (nft): a large restore with -Z, re-applied, then partial',
    () => {
      const n = Math.ceil(NFT_CHAIN_LIST_LIMIT / 2) + 10;
      const many = Array.from({ length: n }, (_, i) =>
        service('default', `s${i}`, `10.96.${1 + (i >> 8)}.${i & 255}`, [{ port: 80, targetPort: 8080 }]),
      );
      const pods = many.map((s, i) => backend('default', s.name, `p${i}`, 'n1', `10.244.1.${(i % 250) + 2}`));
      const big = model(nodes, many, pods, '10.244.0.0/16');
      const eps = computeEndpoints(big);
      const prev = buildIptablesRuleset(big, 'n1', eps);
      const moved = eps.map((s, i) =>
        i === n - 1 ? { ...s, endpoints: [{ ...s.endpoints[0], ip: '10.244.1.254' }] } : s,
      );
      const next = buildIptablesRuleset(big, 'n1', moved);
      const full = serializeIptables(prev, [], { backend: 'nft' });
      expect(full).toMatch(/^\*nat\n-Z\n/m);
      const r = inNetns(
        { 'full.rules': full, 'partial.rules': renderIptablesPartial(prev, next, { backend: 'nft' }) },
        `iptables-nft-restore -w --noflush full.rules; iptables-nft-restore -w --noflush full.rules
       iptables-nft-restore -w --noflush partial.rules
       iptables-nft-save -t nat > after; grep -c '^:KUBE-SEP-' after; grep -c '^-A KUBE-SERVICES ' after; grep -c -- '--to-destination 10.244.1.254:8080' after`,
      );
      expect(r.status).toBe(0);
      expect(r.out.trim().split('\n').slice(-3)).toEqual([String(n), String(n + 1), '1']); // + the NodePort rule
    },
  );

  skipIf(!tools.nft, 'nft not usable')(
    'nftables: the numgen cascade (above NFT_VMAP_LIMIT) applies, re-applies, and updates',
    () => {
      const prev = buildNftState(before, 'n1', computeEndpoints(before), { vmapLimit: 0 });
      const next = buildNftState(after, 'n1', computeEndpoints(after), { vmapLimit: 0 });
      const r = inNetns(
        { 'full.nft': serializeNft(prev), 'inc.nft': renderNftablesIncremental(prev, next) },
        `nft -f full.nft && nft -f full.nft && nft -f inc.nft
       nft list table ip kube-proxy`,
      );
      expect(r.status).toBe(0);
      expect(r.out).not.toContain('vmap {');
      expect(r.out).toMatch(/numgen random mod 2 (== )?0 goto endpoint-/);
      expect(r.out).toContain('10.244.2.7:8080');
    },
  );

  skipIf(!tools.ipset || !tools.iptablesNft, 'ipset not usable')(
    'ipvs: ipset restore, then the iptables rules that match those sets',
    () => {
      const { lab, extras } = overallScenario();
      const r1 = renderIpvs(lab, 'test-node', computeEndpoints(lab), 'rr', { serviceExtras: extras });
      const r = inNetns(
        { 'ipset.restore': r1.ipset, 'ipt.rules': r1.iptables },
        `ipset restore -exist < ipset.restore && ipset restore -exist < ipset.restore
       iptables-nft-restore -w --noflush ipt.rules
       ipset list KUBE-CLUSTER-IP | grep -c ',tcp:80'`,
      );
      expect(r.status).toBe(0);
      expect(r.out.trim().split('\n').pop()).toBe('6');
      if (!can('unshare --net ipvsadm -Ln')) {
        console.log('ipvsadm-restore not exercised: this kernel has no IPVS (ip_vs)');
      }
    },
  );
});
