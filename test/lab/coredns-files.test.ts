import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { readHostSerial, writeCoreDnsFiles } from '../../src/lab/dns';

describe('CoreDNS pod host files', () => {
  const files = (serial: number) => ({
    Corefile: 'cluster.local:53 {}\n',
    'zones/db.cluster.local': `cluster.local. 5 IN SOA ns. h. ${serial} 7200 1800 86400 5\n`,
  });

  it('writes the Corefile, zones and serial, world-readable (CoreDNS runs as nonroot), no temp files left', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cdns-files-')), 'coredns-abc');
    expect(readHostSerial(dir)).toBe(0);
    expect(writeCoreDnsFiles(dir, files(10), 10)).toBe(true);
    expect(readFileSync(join(dir, 'Corefile'), 'utf8')).toBe(files(10).Corefile);
    expect(readFileSync(join(dir, 'zones/db.cluster.local'), 'utf8')).toContain(' 10 7200 ');
    expect(readHostSerial(dir)).toBe(10);
    expect(statSync(join(dir, 'zones/db.cluster.local')).mode & 0o044).toBe(0o044);
    expect(statSync(join(dir, 'zones')).mode & 0o055).toBe(0o055);
    expect(readdirSync(join(dir, 'zones'))).toEqual(['db.cluster.local']);
    expect(readdirSync(dir).sort()).toEqual(['Corefile', 'serial', 'zones']);
  });

  it('replaces a zone by rename (a new inode: CoreDNS never reads half a file) and leaves an unchanged Corefile alone', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cdns-files-')), 'p');
    writeCoreDnsFiles(dir, files(10), 10);
    const zoneIno = statSync(join(dir, 'zones/db.cluster.local')).ino;
    const coreIno = statSync(join(dir, 'Corefile')).ino;
    expect(writeCoreDnsFiles(dir, files(11), 11)).toBe(true);
    expect(statSync(join(dir, 'zones/db.cluster.local')).ino).not.toBe(zoneIno);
    expect(statSync(join(dir, 'Corefile')).ino).toBe(coreIno);
    expect(readFileSync(join(dir, 'zones/db.cluster.local'), 'utf8')).toContain(' 11 7200 ');
  });

  it('never goes back to a serial at or below the one written (a concurrent sync was first)', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cdns-files-')), 'p');
    writeCoreDnsFiles(dir, files(20), 20);
    expect(writeCoreDnsFiles(dir, files(20), 20)).toBe(false);
    expect(writeCoreDnsFiles(dir, files(19), 19)).toBe(false);
    expect(readFileSync(join(dir, 'zones/db.cluster.local'), 'utf8')).toContain(' 20 7200 ');
    expect(readHostSerial(dir)).toBe(20);
    expect(existsSync(join(dir, 'zones/db.cluster.local.tmp-' + process.pid))).toBe(false);
  });
});
