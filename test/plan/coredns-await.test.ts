/** The DNS sync waits until CoreDNS serves the new serial (its file plugin re-reads zones every second). */
import { mkdtempSync, writeFileSync } from 'fs';
import { spawnSync } from 'child_process';
import { tmpdir } from 'os';
import { join } from 'path';
import { renderCoreDnsAwaitSerial } from '../../src/plan/coredns-pod';
import { loadTopology } from '../../src/topology/load';

const model = loadTopology(join(__dirname, '..', '..', 'topologies', 'guide.yaml'));

/** Runs the script with a stand-in `dig` that answers SOA with the serials in `serials`, one per call. */
function run(serials: number[], serial: number, timeoutSec: number): string {
  const bin = mkdtempSync(join(tmpdir(), 'await-serial-'));
  const state = join(bin, 'n');
  writeFileSync(state, '0');
  const list = serials.join(' ');
  writeFileSync(
    join(bin, 'dig'),
    `#!/bin/sh\nn=$(cat ${state}); set -- ${list}; i=0; for s in "$@"; do if [ $i -eq $n ]; then v=$s; fi; i=$((i+1)); done; [ -n "$v" ] || v=$s\necho $((n+1)) > ${state}\necho "ns.dns.cluster.local. hostmaster.cluster.local. $v 7200 1800 86400 30"\n`,
    { mode: 0o755 },
  );
  const r = spawnSync('sh', ['-c', renderCoreDnsAwaitSerial(model, { ip: '127.0.0.1' }, serial, timeoutSec)], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  return r.stdout.trim();
}

describe('renderCoreDnsAwaitSerial', () => {
  it('returns as soon as the pod serves the new serial (or a later one)', () => {
    expect(run([5, 5, 7], 7, 5)).toBe('served=7');
    expect(run([9], 7, 5)).toBe('served=9');
  });
  it('gives up after its bound, saying what was served', () => {
    expect(run([5], 7, 1)).toBe('served=5');
  });
  it('asks the cluster zone of the model, at the pod address', () => {
    expect(renderCoreDnsAwaitSerial(model, { ip: '10.244.0.5' }, 42)).toMatch(
      /dig @10\.244\.0\.5 -p 53 .*SOA '?cluster\.local\.'?/,
    );
  });
});
