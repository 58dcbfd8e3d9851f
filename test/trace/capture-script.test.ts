/**
 * The capture wrapper, run for real with sh and timeout on this machine (no Docker): a stand-in
 * "tcpdump" that prints like tcpdump and records how it was stopped.
 */
import { spawn } from 'child_process';
import {
  captureArgv,
  isListeningLine,
  parsePidLine,
  parseTcpdumpStats,
  tcpdumpError,
  KILL_AFTER,
} from '../../src/trace/capture-script';

// Exits 0 on SIGTERM after printing tcpdump's statistics, as tcpdump does.
const FAKE_TCPDUMP = [
  'sh',
  '-c',
  'trap \'echo "3 packets captured" >&2; echo "3 packets received by filter" >&2; echo "0 packets dropped by kernel" >&2; exit 0\' TERM; ' +
    'echo "tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes" >&2; ' +
    'while :; do sleep 0.05; done',
];

function run(argv: string[]) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
    const t0 = Date.now();
    child.on('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
  });
  const listening = new Promise<void>((resolve) => {
    const check = () => (isListeningLine(stderr) ? resolve() : setTimeout(check, 10));
    check();
  });
  return { child, exited, listening, stderr: () => stderr };
}

describe('capture wrapper', () => {
  it('builds sh -c SCRIPT with the safety timeout and the tcpdump argv', () => {
    const argv = captureArgv(['tcpdump', '-i', 'eth0', '-w', '-'], 30);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv.slice(3)).toEqual(['k8s-netlab-capture', '30s', 'tcpdump', '-i', 'eth0', '-w', '-']);
    expect(argv[2]).toContain(`timeout -s TERM -k ${KILL_AFTER}`);
    expect(() => captureArgv(['tcpdump'], 0)).toThrow();
    expect(() => captureArgv(['tcpdump'], 1.5)).toThrow();
  });

  it('stops the capture with SIGTERM when stdin closes, and tcpdump exits by itself', async () => {
    const r = run(captureArgv(FAKE_TCPDUMP, 30));
    await r.listening;
    const pidLine = r
      .stderr()
      .split('\n')
      .find((l) => parsePidLine(l) !== undefined);
    expect(pidLine).toBeDefined();
    r.child.stdin.end();
    const { code, ms } = await r.exited;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(KILL_AFTER * 1000);
    expect(parseTcpdumpStats(r.stderr())).toEqual({ captured: 3, receivedByFilter: 3, droppedByKernel: 0 });
  });

  it('stops it anyway when the safety timeout fires', async () => {
    const r = run(captureArgv(FAKE_TCPDUMP, 1));
    await r.listening;
    const { code } = await r.exited;
    // The fake exits 0 on TERM; timeout then reports 124 (it timed out).
    expect(code).toBe(124);
    expect(r.stderr()).toContain('packets captured');
    r.child.stdin.end();
  });

  it("reads tcpdump's lines", () => {
    expect(
      isListeningLine('tcpdump: listening on cbr0, link-type EN10MB (Ethernet), snapshot length 262144 bytes'),
    ).toBe(true);
    expect(isListeningLine('tcpdump: eth9: No such device exists')).toBe(false);
    expect(parsePidLine('k8s-netlab-capture pid=42')).toBe(42);
    expect(parsePidLine('tcpdump: listening')).toBeUndefined();
    expect(
      tcpdumpError('k8s-netlab-capture pid=7\ntcpdump: eth9: No such device exists\n(SIOCGIFHWADDR: No such device)'),
    ).toBe('tcpdump: eth9: No such device exists');
    expect(tcpdumpError('tcpdump: listening on eth0, link-type EN10MB\n1 packet captured')).toBeUndefined();
    expect(
      parseTcpdumpStats('1 packet captured\n1 packet received by filter\n0 packets dropped by kernel').captured,
    ).toBe(1);
  });
});
