import { spawn } from 'child_process';
import { execFileSync } from 'child_process';
import { netexecRows, parseServerMemory, renderServerMemory, summarize } from '../../src/bench/podserver';
import { netexecBinary } from '../fixtures/netexec-bin';

const OUT = [
  '/run/k8s-netlab/pods/pod1/web.pid /usr/local/bin/netexec 700 180 48',
  '/run/k8s-netlab/pods/pod1/sidecar.pid /usr/local/bin/netexec 704 184 52',
  '/run/k8s-netlab/pods/coredns-x/coredns.pid /usr/sbin/knotd 9000 8000 7000',
  'garbage line',
].join('\n');

describe('pod server memory bench', () => {
  it('parses the node lines and keeps only netexec processes', () => {
    const rows = netexecRows(parseServerMemory('node1', OUT));
    expect(rows.map((r) => [r.pidFile.split('/')[5], r.rssKb, r.pssKb, r.pssAnonKb])).toEqual([
      ['web.pid', 700, 180, 48],
      ['sidecar.pid', 704, 184, 52],
    ]);
    const s = summarize(rows);
    expect([s.server, s.processes, s.rssMeanKb, s.rssMaxKb, s.pssTotalKb]).toEqual([
      'netexec (C, static)',
      2,
      702,
      704,
      364,
    ]);
  });

  it('names the Python server by its interpreter; no process observed is an error, not a zero', () => {
    const py = parseServerMemory('n', '/run/k8s-netlab/pods/p/web.pid /usr/bin/python3.11 12800 11000 8000');
    expect(summarize(netexecRows(py)).server).toBe('netexec.py (/usr/bin/python3.11)');
    expect(() => summarize(netexecRows(parseServerMemory('n', OUT.split('\n')[2])))).toThrow(/no pod server process/);
  });

  it('the node script reads a live process from its pid file (run for real on this host)', async () => {
    const dir = execFileSync('mktemp', ['-d']).toString().trim();
    const p = spawn(netexecBinary(), ['--http-port=0', '--udp-port=0'], { stdio: 'ignore' });
    try {
      execFileSync('sh', ['-c', `mkdir -p ${dir}/pods/podx && echo ${p.pid} > ${dir}/pods/podx/web.pid`]);
      const out = execFileSync('sh', ['-c', renderServerMemory().split('/run/k8s-netlab').join(dir)]).toString();
      const [row] = parseServerMemory('host', out);
      expect(row.exe).toMatch(/netexec$/);
      expect(row.rssKb).toBeGreaterThan(0);
      expect(row.pssKb).toBeGreaterThan(0);
    } finally {
      p.kill('SIGKILL');
      execFileSync('rm', ['-rf', dir]);
    }
  });
});
