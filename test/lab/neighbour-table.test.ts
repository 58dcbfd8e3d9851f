import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadTopology } from '../../src/topology/load';
import { scaleTopology } from '../../src/bench/scale-topology';
import {
  neighbourEntriesNeeded,
  neighbourOverflowNote,
  neighbourTableWarning,
  parseArpCacheEntries,
  parseArpTableFulls,
} from '../../src/lab/neighbour-table';

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
    expect(parseArpTableFulls(stat + stat.split('\n')[1].replace(/000007e6$/, '00000010') + '\n')).toBe(0x7e6 + 0x10);
    expect(parseArpCacheEntries('')).toBeUndefined();
  });
  it('the guide fits the default table: no warning', () => {
    expect(neighbourEntriesNeeded(guide)).toBeLessThan(100);
    expect(neighbourTableWarning(guide, { gcThresh3: 1024, entries: 98, tableFulls: 0 })).toBeUndefined();
  });
  it('1,000 pods on 20 nodes fit the default 1024: their pod links are permanent entries, only node-to-node ones count', () => {
    expect(neighbourEntriesNeeded(big)).toBe(20 * 21 + 2 * 20);
    expect(neighbourTableWarning(big, { gcThresh3: 1024, entries: 98, tableFulls: 0 })).toBeUndefined();
  });
  it('a lab whose node-to-node entries do not fit: a warning with the sysctl to raise', () => {
    const wide = { ...big, nodes: [...big.nodes, ...big.nodes] };
    expect(neighbourEntriesNeeded(wide)).toBe(40 * 41 + 2 * 40);
    const w = neighbourTableWarning(wide, { gcThresh3: 1024, entries: 98, tableFulls: 0 })!;
    expect(w).toMatch(/gc_thresh3 = 1024/);
    expect(w).toMatch(/sysctl -w .*gc_thresh3=4096/);
    expect(neighbourTableWarning(wide, { gcThresh3: 4096, entries: 98, tableFulls: 0 })).toBeUndefined();
  });
  it("a table already nearly full of other labs' entries: a warning", () => {
    expect(neighbourTableWarning(big, { gcThresh3: 1024, entries: 900, tableFulls: 0 })).toMatch(/900 are held/);
  });
  it('verify notes entries the table refused while it ran, and is silent when none were', () => {
    const t = (tableFulls: number) => ({ gcThresh3: 1024, entries: 900, tableFulls });
    expect(neighbourOverflowNote(t(10), t(2032))).toMatch(/refused 2022 new entries while verify ran/);
    expect(neighbourOverflowNote(t(10), t(10))).toBeUndefined();
    expect(neighbourOverflowNote(undefined, t(10))).toBeUndefined();
  });
});
