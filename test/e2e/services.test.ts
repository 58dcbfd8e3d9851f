/**
 * Services in each proxy mode the kernel has: the same probes pass, and the node holds the rules
 * in the layout of that mode (iptables chains, the nftables table).
 */
import { GUIDE, lab, labName } from './helpers';

/** One connected UDP socket sending "hostname" every 100 ms for N rounds; one line per reply. */
const UDP_LOOP = [
  'import socket, sys, time',
  's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3)',
  's.connect((sys.argv[1], int(sys.argv[2])))',
  'print("LOCAL", s.getsockname()[1], flush=True)',
  'for i in range(int(sys.argv[3])):',
  '    try:',
  '        s.send(b"hostname"); print("REPLY", s.recv(200).decode(), flush=True)',
  '    except OSError as e:',
  '        print("REPLY (%s)" % type(e).__name__, flush=True)',
  '    time.sleep(0.1)',
  'print("DONE", flush=True)',
].join('\n');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

jest.setTimeout(600_000);

const MODES: Array<{ name: string; args: string[]; rules: [string[], RegExp] }> = [
  {
    name: labName('e2e-svc-nft'),
    args: ['--proxy', 'nftables'],
    rules: [['nft', 'list', 'table', 'ip', 'kube-proxy'], /numgen random mod 2 vmap/],
  },
  {
    name: labName('e2e-svc-legacy'),
    args: ['--proxy', 'iptables', '--iptables-backend', 'legacy'],
    rules: [['iptables-legacy-save', '-t', 'nat'], /-m statistic --mode random --probability 0\.5/],
  },
];

describe.each(MODES)('proxy mode $args', ({ name, args, rules }) => {
  afterAll(async () => {
    await lab(['down', '--name', name]);
  });
  it('brings the guide up and passes every service probe', async () => {
    const up = await lab(['up', '-t', GUIDE, '--name', name, '--no-verify', ...args]);
    expect(up.exitCode).toBe(0);
    const v = await lab([
      'verify',
      '--name',
      name,
      '--json',
      '--path',
      'pod-to-service',
      'service-to-pod',
      'nodeport',
      'localhost-nodeport',
    ]);
    const doc = JSON.parse(v.stdout);
    const failed = doc.probes.filter((p: { ok: boolean }) => !p.ok);
    expect(failed).toEqual([]);
    expect(new Set(doc.probes.map((p: { path: string }) => p.path))).toEqual(
      new Set(['pod-to-service', 'service-to-pod', 'nodeport', 'localhost-nodeport']),
    );
  });
  it('a long-lived UDP flow moves to a live backend when its backend is deleted (conntrack clean-up)', async () => {
    const out = `/tmp/udp-flow-${name}.out`;
    const start = await lab([
      'exec',
      '--name',
      name,
      'client',
      '--',
      'sh',
      '-c',
      `nohup python3 -c '${UDP_LOOP}' web 81 400 > ${out} 2>&1 &`,
    ]);
    expect(start.exitCode).toBe(0);
    const read = async () => (await lab(['exec', '--name', name, 'node3', '--', 'cat', out])).stdout.split('\n');
    const replies = (lines: string[]) => lines.filter((l) => l.startsWith('REPLY ')).map((l) => l.slice(6));
    let first: string | undefined;
    for (let i = 0; i < 50 && !first; i++) {
      await sleep(200);
      first = replies(await read()).find((r) => r.startsWith('web-'));
    }
    expect(first).toMatch(/^web-/);
    const del = await lab(['delete', 'pod', first!, '--name', name]);
    expect(del.exitCode).toBe(0);
    const deletedAt = replies(await read()).length;
    let lines = await read();
    for (let i = 0; i < 40 && !lines.includes('DONE') && replies(lines).length < deletedAt + 30; i++) {
      await sleep(500);
      lines = await read();
    }
    const after = replies(lines).slice(deletedAt);
    expect(lines.filter((l) => l.startsWith('LOCAL '))).toHaveLength(1); // one socket the whole time
    // kube-proxy deleted the flow's conntrack entry: it now goes to a live web pod, and stays there
    const tail = after.slice(-10);
    expect(tail).toHaveLength(10);
    expect(tail.every((r) => r.startsWith('web-') && r !== first)).toBe(true);
  });

  it('holds the rules in the layout of its mode on every node', async () => {
    for (const node of ['node1', 'node2', 'node3']) {
      const r = await lab(['exec', '--name', name, node, '--', ...rules[0]]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(rules[1]);
    }
  });
});
