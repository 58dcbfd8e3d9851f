import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadTopology } from '../../src/topology/load';
import { scaleTopology } from '../../src/bench/scale-topology';
import { neighbourEntriesNeeded, neighbourTableWarning, parseArpCacheEntries } from '../../src/lab/neighbour-table';

const ROOT = path.resolve(__dirname, '..', '..');
const guide = loadTopology(path.join(ROOT, 'topologies', 'guide.yaml'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neigh-'));
fs.writeFileSync(path.join(dir, 'scale.yaml'), scaleTopology('scale-1000', 1000));
const big = loadTopology(path.join(dir, 'scale.yaml'));

describe('the host ARP table a lab needs', () => {
  it('reads the entry count from /proc/net/stat/arp_cache (hex, first field)', () => {
    const stat =
      'entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast periodic_gc_runs forced_gc_runs unresolved_discards table_fulls\n' +
      '00000452 0000696d 0000631c 00000004   0004e6ab 00019d9e 000000f4   00000000         00000000         00000000         000009e5       00000000            000007e6\n';
    expect(parseArpCacheEntries(stat)).toBe(0x452);
    expect(parseArpCacheEntries('')).toBeUndefined();
  });
  it('the guide fits the default table: no warning', () => {
    expect(neighbourEntriesNeeded(guide)).toBeLessThan(100);
    expect(neighbourTableWarning(guide, { gcThresh3: 1024, entries: 98 })).toBeUndefined();
  });
  it('1,000 pods on 20 nodes do not fit the default 1024: a warning with the sysctl to raise', () => {
    expect(neighbourEntriesNeeded(big)).toBe(2 * 1002 + 20 * 21);
    const w = neighbourTableWarning(big, { gcThresh3: 1024, entries: 98 })!;
    expect(w).toMatch(/gc_thresh3 = 1024/);
    expect(w).toMatch(/sysctl -w .*gc_thresh3=8192/);
  });
  it('no warning once the host allows enough entries', () => {
    expect(neighbourTableWarning(big, { gcThresh3: 8192, entries: 98 })).toBeUndefined();
  });
});
