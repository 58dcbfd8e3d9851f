/**
 * Checks the parser against captures written by the real tcpdump: loopback traffic inside a
 * throw-away network namespace (unshare --net), so nothing on the host is touched. Skips with a
 * printed reason when tcpdump, unshare or root is missing.
 */
import { describeWithTools } from '../tool-gate';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readPcap } from '../../src/trace/pcap';
import { Frame } from '../../src/trace/pcap-types';
import { analyzeTrace } from '../../src/trace/analyze';

function missingTool(): string | undefined {
  for (const tool of ['tcpdump', 'unshare', 'ip', 'python3', 'curl']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} not installed`;
  }
  if (process.getuid && process.getuid() !== 0) return 'not root (unshare --net and tcpdump need it)';
  if (spawnSync('unshare', ['--net', 'true']).status !== 0) return 'unshare --net not permitted here';
  return undefined;
}

const reason = missingTool();
const maybe = describeWithTools(reason, 'real-pcap tests');

/** tcpdump -r's one-line summary, reduced to what we can compare. */
interface TcpdumpLine {
  ts: string;
  src?: string;
  dst?: string;
  flags?: string;
  icmp?: string;
  raw: string;
}

function tcpdumpRead(file: string, nano: boolean): TcpdumpLine[] {
  const args = ['-r', file, '-n', '-tt'];
  if (nano) args.push('--time-stamp-precision=nano');
  const out = execFileSync('tcpdump', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((raw) => {
      const ts = raw.split(' ')[0];
      const m = / IP (\S+) > (\S+?):/.exec(raw);
      const flags = /Flags \[([^\]]+)\]/.exec(raw)?.[1];
      const icmp = /ICMP (.*?), length/.exec(raw)?.[1];
      return { ts, src: m?.[1], dst: m?.[2], flags, icmp, raw };
    });
}

function endpoint(f: Frame, which: 'src' | 'dst'): string {
  const ip = f.ip![which];
  const port = which === 'src' ? f.l4?.sport : f.l4?.dport;
  return f.l4?.kind === 'icmp' || port === undefined ? ip : `${ip}.${port}`;
}

function fmtTs(f: Frame, nano: boolean): string {
  return nano
    ? `${f.sec}.${String(f.nsec).padStart(9, '0')}`
    : `${f.sec}.${String(Math.floor(f.nsec / 1000)).padStart(6, '0')}`;
}

maybe('parser vs real tcpdump captures (loopback in a private netns)', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trace-real-'));
    // tcpdump on lo (Ethernet link type) and on any (Linux cooked v2, nanosecond stamps);
    // one HTTP GET carrying the marker, then a UDP datagram to a closed port (ICMP error).
    const script = `
      set -e
      cd "${dir}"
      ip link set lo up
      tcpdump -i lo -U -n --immediate-mode -w lo.pcap 'tcp port 58080 or udp port 58081 or icmp' 2>lo.err &
      T1=$!
      tcpdump -i any -U -n --immediate-mode --time-stamp-precision=nano -w any.pcap 'tcp port 58080 or icmp' 2>any.err &
      T2=$!
      for i in $(seq 100); do grep -q listening lo.err && grep -q listening any.err && break; sleep 0.05; done
      python3 -m http.server 58080 --bind 127.0.0.1 >http.log 2>&1 &
      P=$!
      for i in $(seq 100); do python3 -c 'import socket; socket.create_connection(("127.0.0.1", 58080)).close()' 2>/dev/null && break; sleep 0.05; done
      curl -s -o /dev/null http://127.0.0.1:58080/k8s-netlab-trace-real || true
      python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"k8s-netlab-trace-udp", ("127.0.0.1", 58081))'
      sleep 0.3
      kill $P $T1 $T2
      wait $T1 $T2 || true
    `;
    execFileSync('unshare', ['--net', 'sh', '-c', script], { stdio: 'ignore', timeout: 20000 });
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const [file, nano, linkType] of [
    ['lo.pcap', false, 1],
    ['any.pcap', true, 276],
  ] as Array<[string, boolean, number]>) {
    it(`${file}: same frames, stamps, addresses and flags as tcpdump -r`, () => {
      const cap = readPcap(fs.readFileSync(path.join(dir, file)));
      const ref = tcpdumpRead(path.join(dir, file), nano);
      console.log(`${file}: link type ${cap.linkType}, ${cap.frames.length} frames (tcpdump -r: ${ref.length})`);
      expect(cap.linkType).toBe(linkType);
      expect(cap.nanos).toBe(nano);
      expect(cap.frames.length).toBeGreaterThanOrEqual(5);
      expect(cap.frames.length).toBe(ref.length);
      cap.frames.forEach((f, i) => {
        expect(f.frame).toBe(i + 1);
        expect(fmtTs(f, nano)).toBe(ref[i].ts);
        if (ref[i].src) {
          expect(endpoint(f, 'src')).toBe(ref[i].src);
          expect(endpoint(f, 'dst')).toBe(ref[i].dst);
        }
        if (ref[i].flags) expect(f.l4?.flags).toBe(ref[i].flags);
      });
      const marker = cap.frames.find((f) => f.payload.includes('GET /k8s-netlab-trace-real'));
      expect(marker?.l4).toMatchObject({ kind: 'tcp', dport: 58080, flags: 'P.' });
      const unreach = cap.frames.find((f) => f.l4?.kind === 'icmp' && f.l4.icmpType === 3);
      expect(unreach?.l4?.icmpCode).toBe(3);
      expect(unreach?.l4?.quoted?.l4).toMatchObject({ kind: 'udp', dport: 58081 });
      expect(ref.some((r) => r.icmp?.includes('udp port 58081 unreachable'))).toBe(true);
    });
  }

  it('traces the real HTTP probe and the UDP probe (answered by ICMP port unreachable)', () => {
    const hops = ['lo', 'any'].map((i) => ({
      point: `ns:${i}`,
      pcapFile: `${i}.pcap`,
      pcap: fs.readFileSync(path.join(dir, `${i}.pcap`)),
    }));
    const ref = tcpdumpRead(path.join(dir, 'lo.pcap'), false);
    const http = analyzeTrace({
      path: 'loopback-http',
      hops,
      order: ['ns:lo', 'ns:any'],
      marker: 'k8s-netlab-trace-real',
    });
    const req = http.hops.filter((h) => h.direction === 'request');
    const rep = http.hops.filter((h) => h.direction === 'reply');
    expect(req.map((h) => [h.point, h.flags])).toEqual([
      ['ns:lo', 'S'],
      ['ns:any', 'S'],
    ]);
    expect(rep.map((h) => h.flags)).toEqual(['S.', 'S.']);
    // The cited frame really is that SYN in tcpdump's own reading of the file.
    const line = ref[req[0].frame - 1];
    expect(line.flags).toBe('S');
    expect(line.src).toBe(req[0].src.replace(':', '.'));
    expect(line.dst).toBe('127.0.0.1.58080');
    expect(http.missing).toEqual([]);
    expect(req[1].change).toBe('none');

    const udp = analyzeTrace({
      path: 'loopback-udp',
      hops: hops.slice(0, 1),
      order: ['ns:lo'],
      marker: 'k8s-netlab-trace-udp',
    });
    expect(udp.hops.map((h) => [h.direction, h.proto])).toEqual([
      ['request', 'udp'],
      ['reply', 'icmp'],
    ]);
    expect(udp.hops[1].change).toBe('ICMP port unreachable from 127.0.0.1');
    expect(ref[udp.hops[1].frame - 1].icmp).toContain('udp port 58081 unreachable');
  });
});
