/**
 * lab capture and lab trace on a real guide lab: every path's hops in order from real pcaps,
 * the cited frames really are in the files (read back with tcpdump, and tshark when present),
 * bad points are exit 2, and no tcpdump outlives a capture (duration, Ctrl-C).
 */
import { spawnSync } from 'child_process';
import { itWithTools } from '../tool-gate';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import execa from 'execa';
import { GUIDE, LAB_BIN, lab, ROOT, labName } from './helpers';
import { PATHS, pathIds } from '../../src/paths';
import { readPcap } from '../../src/trace/pcap';

const NAME = labName('e2e-trace');
const CONTAINERS = ['node1', 'node2', 'node3', 'vpc'];
jest.setTimeout(600_000);

interface Hop {
  n: number;
  point: string;
  src: string;
  dst: string;
  change: string;
  pcap: string;
  frame: number;
  direction: 'request' | 'reply';
  proto: string;
  ttl: number;
}
interface TraceDoc {
  path: string;
  hops: Hop[];
  missing: string[];
  dir: string;
  replied: boolean;
  pcaps: Record<string, { file: string; frames: number }>;
  branch?: { label: string; reached: boolean };
  timings: { totalMs: number };
}

/** `tcpdump -r` on the host if it has one, else inside a lab container (the lab image has it). */
async function tcpdumpRead(file: string): Promise<string[]> {
  const host = await execa('tcpdump', ['-n', '-r', file], { reject: false }).catch(() => undefined);
  let r = host;
  if (!host || (host.exitCode !== 0 && /ENOENT|not found/.test(String(host.stderr ?? '')))) {
    r = await execa('docker', ['exec', '-i', `k8s-netlab-${NAME}-node1`, 'tcpdump', '-n', '-r', '-'], {
      input: fs.readFileSync(file),
      reject: false,
    });
  }
  if (!r || r.exitCode !== 0) throw new Error(`tcpdump -r ${file} failed: ${r?.stderr}`);
  // tcpdump says so when the last record is cut short: a capture that was not stopped cleanly.
  expect(r.stderr).not.toMatch(/truncated/i);
  return r.stdout.split('\n').filter(Boolean);
}

/** tcpdump writes 10.0.0.1:80 as 10.0.0.1.80. */
const tcpdumpAddr = (ep: string) => ep.replace(/:(\d+)$/, '.$1');

const HAS_TSHARK = spawnSync('tshark', ['--version']).status === 0;

async function tcpdumpsLeft(): Promise<string[]> {
  const left: string[] = [];
  for (const c of CONTAINERS) {
    const r = await lab(['exec', '--name', NAME, c, '--', 'pgrep', '-a', 'tcpdump']);
    if (r.stdout.trim()) left.push(`${c}: ${r.stdout.trim()}`);
  }
  return left;
}

function checkHopsAgainstFile(doc: TraceDoc, lines: Record<string, string[]>): void {
  for (const h of doc.hops) {
    const file = path.join(doc.dir, h.pcap);
    const frames = lines[file];
    expect(frames).toBeDefined();
    expect(h.frame).toBeGreaterThanOrEqual(1);
    expect(h.frame).toBeLessThanOrEqual(frames.length);
    const line = frames[h.frame - 1];
    expect(line).toContain(`${tcpdumpAddr(h.src)} > ${tcpdumpAddr(h.dst)}`);
  }
}

/** Resolves once `lab capture` says every point is capturing (its stderr line "capturing at ..."). */
function armed(capture: { stderr: NodeJS.ReadableStream | null }): Promise<void> {
  let err = '';
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`capture did not arm: ${err}`)), 60_000);
    capture.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('capturing at')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
}

describe('lab capture and lab trace', () => {
  const traces: Record<string, TraceDoc> = {};
  const exitCodes: Record<string, number> = {};
  const stderrs: Record<string, string> = {};
  const wall: Record<string, number> = {};

  beforeAll(async () => {
    await lab(['down', '--name', NAME]);
    const up = await lab(['up', '-t', GUIDE, '--name', NAME, '--no-verify']);
    if (up.exitCode !== 0) console.log(up.stdout, up.stderr);
    expect(up.exitCode).toBe(0);
  });
  afterAll(async () => {
    await lab(['down', '--name', NAME]);
    fs.rmSync(path.join(ROOT, `lab-${NAME}`), { recursive: true, force: true });
  });

  it('traces every path lab verify knows (and every other traceable one) with --json', async () => {
    for (const id of pathIds()) {
      const t0 = Date.now();
      const r = await lab(['trace', id, '--json', '--name', NAME]);
      wall[id] = Date.now() - t0;
      exitCodes[id] = r.exitCode;
      stderrs[id] = r.stderr;
      if (r.exitCode === 2) continue; // nothing to trace in this lab (checked below)
      traces[id] = JSON.parse(r.stdout);
    }
    // network-policy applies only to labs with NetworkPolicies: here it is exit 2, saying so (its
    // trace of a denied connection is tested in netpol.test.ts).
    expect(exitCodes['network-policy']).toBe(2);
    expect(stderrs['network-policy']).toMatch(/no NetworkPolicy objects/);
    // Paths lab verify proves on this lab must trace end to end: request at every point, a reply back.
    for (const id of PATHS.filter((p) => !p.appliesTo).map((p) => p.id)) {
      const doc = traces[id];
      expect(doc).toBeDefined();
      expect(doc.path).toBe(id);
      expect({ id, missing: doc.missing }).toEqual({ id, missing: [] });
      expect(doc.replied).toBe(true);
      expect(exitCodes[id]).toBe(0);
      // The trace directory is printed on stderr when stdout carries JSON, and holds every report.
      expect(stderrs[id]).toContain(path.relative(ROOT, doc.dir));
      for (const f of ['trace.json', 'trace.md', 'trace.mmd', 'trace.svg', 'trace.html'])
        expect(fs.existsSync(path.join(doc.dir, f))).toBe(true);
      for (const h of doc.hops)
        expect(Object.keys(h)).toEqual(expect.arrayContaining(['n', 'point', 'src', 'dst', 'change', 'pcap', 'frame']));
      expect(doc.hops.map((h) => h.n)).toEqual(doc.hops.map((_, i) => i + 1));
    }
    console.log(
      'trace timings (ms, in-command total / wall incl. node start):\n' +
        Object.keys(traces)
          .map(
            (id) =>
              `  ${id}: ${traces[id].timings.totalMs} / ${wall[id]}, ${traces[id].hops.length} hops, frames ${Object.values(
                traces[id].pcaps,
              )
                .map((p) => p.frames)
                .join(',')}`,
          )
          .join('\n'),
    );
  });

  it('pod-to-pod-cross-node: source pod eth0, its node, the VPC router, the other node, the pod; TTL down at each router', () => {
    const doc = traces['pod-to-pod-cross-node'];
    const req = doc.hops.filter((h) => h.direction === 'request');
    expect(req.map((h) => h.point)).toEqual([
      'node1/pod1:eth0',
      'node1:cbr0',
      'node1:eth0',
      'vpc:v-node1',
      'vpc:v-node2',
      'node2:eth0',
      'node2:cbr0',
      'node2/pod3:eth0',
    ]);
    // Pod IPs end to end: no NAT between pods.
    expect(new Set(req.map((h) => `${h.src.split(':')[0]} > ${h.dst}`))).toEqual(
      new Set(['10.244.0.2 > 10.244.1.2:8080']),
    );
    expect(req.map((h) => h.ttl)).toEqual([64, 64, 63, 63, 62, 62, 61, 61]);
    const routed = req.filter((h) => /TTL \d+ -> \d+ \(routed\)/.test(h.change)).map((h) => h.point);
    expect(routed).toEqual(['node1:eth0', 'vpc:v-node2', 'node2:cbr0']);
    const reply = doc.hops.filter((h) => h.direction === 'reply');
    expect(reply.map((h) => h.point)).toEqual([...req.map((h) => h.point)].reverse());
  });

  it('pod-to-pod-same-node: veth, cbr0, veth, TTL unchanged', () => {
    const req = traces['pod-to-pod-same-node'].hops.filter((h) => h.direction === 'request');
    expect(req[0].point).toBe('node1/pod1:eth0');
    expect(req[req.length - 1].point).toBe('node1/pod2:eth0');
    expect(req.some((h) => h.point === 'node1:cbr0')).toBe(true);
    expect(new Set(req.map((h) => h.ttl))).toEqual(new Set([64]));
  });

  it('node-to-pod: the node sends from its eth0 address and the pod sees it unchanged', () => {
    const req = traces['node-to-pod'].hops.filter((h) => h.direction === 'request');
    expect(req[0].point).toBe('node1:eth0');
    expect(new Set(req.map((h) => h.src.split(':')[0]))).toEqual(new Set(['10.0.1.10']));
  });

  it('pod-to-service: DNAT to a backend once kube-proxy rules are programmed; until then the trace shows where the VIP packet ends', () => {
    const doc = traces['pod-to-service'];
    expect(doc).toBeDefined();
    const req = doc.hops.filter((h) => h.direction === 'request');
    // Whatever happens next, the client sent it to the VIP from its own IP.
    expect(req[0].point).toBe('node3/client:eth0');
    expect(req[0].dst).toMatch(/^10\.96\.\d+\.\d+:80$/);
    const dnat = req.find((h) => /DNAT/.test(h.change));
    expect(dnat).toBeDefined();
    expect(dnat!.point.startsWith('node3')).toBe(true);
    expect(doc.branch?.reached).toBe(true);
    expect(doc.missing).toEqual([]);
    const last = req[req.length - 1];
    expect(last.dst).toMatch(/^10\.244\.[01]\.\d+:8080$/);
    expect(doc.replied).toBe(true);
  });

  it('nodeport: from the VPC router to a node without a backend, DNAT and SNAT there, out again through its eth0', () => {
    const doc = traces['nodeport'];
    // The guide has a NodePort Service: a missing trace is a failure, with what lab trace said.
    expect({ trace: !!doc, stderr: doc ? '' : stderrs['nodeport']?.trim() }).toEqual({ trace: true, stderr: '' });
    const req = doc.hops.filter((h) => h.direction === 'request');
    expect(req[0].point).toMatch(/^vpc:v-node\d$/);
    const node = req[1].point;
    expect(node).toMatch(/^node\d:eth0$/);
    const again = req.findIndex((h, i) => i > 1 && h.point === node);
    expect(again).toBeGreaterThan(1);
    expect(req[again].change).toMatch(/DNAT .*:30080 -> 10\.244\.\d+\.\d+:8080/);
    // SNATed to the node's own address, so the reply comes back through it.
    expect(req[again].change).toContain(`SNAT ${req[0].src} -> 10.0.1.`);
    const rep = doc.hops.filter((h) => h.direction === 'reply');
    expect(rep.some((h) => /un-DNAT/.test(h.change) && /un-SNAT/.test(h.change))).toBe(true);
    expect(rep[rep.length - 1].dst).toBe(req[0].src);
  });

  it('says when a path has nothing to trace in this lab (exit 2), and rejects unknown paths', async () => {
    for (const id of pathIds().filter((x) => exitCodes[x] === 2)) expect(stderrs[id]).toMatch(/cannot trace/);
    const bad = await lab(['trace', 'pod-to-nowhere', '--name', NAME]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('pod-to-pod-cross-node');
  });

  it('every cited frame is in its pcap with the cited src/dst (tcpdump -r), and frame counts match', async () => {
    const lines: Record<string, string[]> = {};
    for (const doc of Object.values(traces)) {
      for (const p of Object.values(doc.pcaps)) {
        const file = path.join(doc.dir, p.file);
        lines[file] = await tcpdumpRead(file);
        expect(lines[file].length).toBe(p.frames);
      }
      checkHopsAgainstFile(doc, lines);
    }
  });

  itWithTools(HAS_TSHARK ? undefined : 'tshark not installed (apt-get install -y tshark)', 'tshark read-back')(
    'the pcaps open with tshark too, and its frame N has the cited addresses',
    async () => {
      const doc = traces['pod-to-pod-cross-node'];
      for (const h of doc.hops) {
        const r = await execa(
          'tshark',
          ['-r', path.join(doc.dir, h.pcap), '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-e', 'ip.dst'],
          { reject: false },
        );
        expect(r.exitCode).toBe(0);
        const row = r.stdout
          .split('\n')
          .map((l) => l.split('\t'))
          .find((f) => Number(f[0]) === h.frame);
        expect(row).toBeDefined();
        expect([row![1], row![2]]).toEqual([h.src.split(':')[0], h.dst.split(':')[0]]);
      }
    },
  );

  it('an unknown capture point is exit 2 and lists the valid ones', async () => {
    const r = await lab(['capture', 'node1:nope', '--name', NAME, '--duration', '1']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('unknown capture point node1:nope');
    expect(r.stderr).toMatch(/node1 has: .*eth0.*cbr0/);
    const r2 = await lab(['capture', 'node9/pod1:eth0', '--name', NAME]);
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toContain('node1/pod1:eth0');
    expect(r2.stderr).toContain('vpc:v-node1');
  });

  it('captures several points for --duration, writes complete pcaps, leaves no tcpdump behind', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trace-cap-'));
    // The pings start once every point is capturing (not beside the capture's start: on a loaded
    // machine they could be over before tcpdump listens) and end well inside --duration.
    const capture = execa(
      'node',
      [
        LAB_BIN,
        'capture',
        'node1/pod1:eth0',
        'node1:eth0',
        'vpc:v-node2',
        '--duration',
        '8',
        '-w',
        dir,
        '--name',
        NAME,
        '--filter',
        'icmp',
      ],
      { cwd: ROOT, reject: false },
    );
    await armed(capture);
    const ping = await lab(['exec', '--name', NAME, 'node1/pod1', '--', 'ping', '-c', '4', '-i', '0.2', '10.244.1.2']);
    expect(ping.exitCode).toBe(0);
    const r = await capture;
    expect(r.exitCode).toBe(0);
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['node1@eth0.pcap', 'node1_pod1@eth0.pcap', 'vpc@v-node2.pcap']);
    for (const f of files) {
      const l = await tcpdumpRead(path.join(dir, f));
      expect(l.length).toBeGreaterThan(0);
      for (const x of l) expect(x).toMatch(/ICMP echo (request|reply)/);
      expect(readPcap(fs.readFileSync(path.join(dir, f))).frames.length).toBe(l.length);
    }
    expect(await tcpdumpsLeft()).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('streams one point to stdout with -w - (nothing else on stdout)', async () => {
    const pinger = (async () => {
      await new Promise((res) => setTimeout(res, 1500));
      return lab(['exec', '--name', NAME, 'node1/pod1', '--', 'ping', '-c', '4', '-i', '0.2', '10.244.1.2']);
    })();
    const r = await execa(
      'node',
      [LAB_BIN, 'capture', 'node1:eth0', '-w', '-', '--count', '4', '--filter', 'icmp', '--name', NAME],
      {
        cwd: ROOT,
        encoding: null,
        reject: false,
        timeout: 60_000,
      },
    );
    await pinger;
    expect(r.exitCode).toBe(0);
    const cap = readPcap(r.stdout as unknown as Buffer);
    expect(cap.frames.length).toBe(4);
    expect(await tcpdumpsLeft()).toEqual([]);
  });

  it("a Ctrl-C'd capture stops cleanly: complete pcaps, no tcpdump left", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trace-ctrlc-'));
    const child = execa('node', [LAB_BIN, 'capture', 'node2:cbr0', 'vpc:br-subnet-a', '-w', dir, '--name', NAME], {
      cwd: ROOT,
      reject: false,
    });
    await armed(child);
    await lab(['exec', '--name', NAME, 'node1/pod1', '--', 'ping', '-c', '3', '-i', '0.2', '10.244.1.2']);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    for (const f of ['node2@cbr0.pcap', 'vpc@br-subnet-a.pcap']) {
      const l = await tcpdumpRead(path.join(dir, f));
      expect(l.some((x) => x.includes('10.244.0.2 > 10.244.1.2: ICMP echo request'))).toBe(true);
    }
    expect(await tcpdumpsLeft()).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
