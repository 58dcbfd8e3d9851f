import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { LabModel } from '../../src/model/types';
import { InputError } from '../../src/errors';
import { fixtureModel } from '../fixtures/model';

const resolveCoreDnsImage = jest.fn();
jest.mock('../../src/runtime/coredns-image', () => ({ resolveCoreDnsImage: (o: unknown) => resolveCoreDnsImage(o) }));
import { chooseLabDnsServer, removeDnsServerFiles } from '../../src/lab/dns-server';

function withDnsPod(dnsServer?: 'auto' | 'coredns' | 'offline'): LabModel {
  const m = fixtureModel();
  m.pods[0].containers = [{ ...m.pods[0].containers[0], kind: 'dns' }];
  if (dnsServer) m.cluster.dnsServer = dnsServer;
  return m;
}

describe('chooseLabDnsServer', () => {
  let cwd: string;
  beforeEach(() => {
    resolveCoreDnsImage.mockReset();
    cwd = mkdtempSync(join(tmpdir(), 'dns-server-'));
    jest.spyOn(process, 'cwd').mockReturnValue(cwd);
  });
  afterEach(() => jest.restoreAllMocks());
  const log = () => undefined;

  it('leaves a lab without DNS pods alone and asks the engine nothing', async () => {
    const m = fixtureModel();
    const reload = jest.fn();
    expect(await chooseLabDnsServer(m, reload, 'cluster.dnsServer', log)).toBe(m);
    expect(resolveCoreDnsImage).not.toHaveBeenCalled();
    expect(reload).not.toHaveBeenCalled();
  });

  it('offline: the lab image serves DNS, no image is looked for, the model is not rendered again', async () => {
    const reload = jest.fn();
    const out = await chooseLabDnsServer(withDnsPod('offline'), reload, '--dns-server', log);
    expect(out.dnsServer?.server).toBe('offline');
    expect(resolveCoreDnsImage).not.toHaveBeenCalled();
    expect(reload).not.toHaveBeenCalled();
  });

  it('CoreDNS available: renders the topology again with its image, files under ./lab-NAME/coredns, stale ones removed', async () => {
    resolveCoreDnsImage.mockResolvedValue({ available: true, image: 'coredns/coredns:1.11.3', reason: 'present' });
    const m = withDnsPod('auto');
    const stale = join(cwd, `lab-${m.name}`, 'coredns', 'old');
    mkdirSync(stale, { recursive: true });
    const reload = jest.fn((image: string | undefined) => ({ ...m, pods: [...m.pods], reloadedWith: image }));
    const out = await chooseLabDnsServer(m, reload, 'cluster.dnsServer', log);
    expect(reload).toHaveBeenCalledWith('coredns/coredns:1.11.3');
    expect(out.dnsServer).toMatchObject({ server: 'coredns', image: 'coredns/coredns:1.11.3' });
    expect(out.dnsServer?.filesDir).toBe(join(cwd, `lab-${m.name}`, 'coredns'));
    expect(existsSync(stale)).toBe(false);
  });

  it('auto without a CoreDNS image falls back to the offline server', async () => {
    resolveCoreDnsImage.mockResolvedValue({ available: false, reason: 'no image, no Go' });
    const out = await chooseLabDnsServer(withDnsPod('auto'), jest.fn(), 'cluster.dnsServer', log);
    expect(out.dnsServer?.server).toBe('offline');
  });

  it('coredns asked for but unavailable: an input error naming the flag, before anything is created', async () => {
    resolveCoreDnsImage.mockResolvedValue({ available: false, reason: 'no image, no Go' });
    const err = await chooseLabDnsServer(withDnsPod('coredns'), jest.fn(), '--dns-server', log).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/coredns image unavailable/);
    expect(err.field).toBe('--dns-server');
  });
});

describe('removeDnsServerFiles', () => {
  it('removes the CoreDNS files and the lab directory when nothing else is in it', () => {
    const lab = join(mkdtempSync(join(tmpdir(), 'dns-files-')), 'lab-x');
    mkdirSync(join(lab, 'coredns', 'p'), { recursive: true });
    const m = { ...fixtureModel(), dnsServer: { server: 'coredns', filesDir: join(lab, 'coredns') } } as LabModel;
    removeDnsServerFiles(m);
    expect(existsSync(lab)).toBe(false);
  });

  it('keeps the lab directory when it holds captures or traces', () => {
    const lab = join(mkdtempSync(join(tmpdir(), 'dns-files-')), 'lab-x');
    mkdirSync(join(lab, 'coredns'), { recursive: true });
    mkdirSync(join(lab, 'captures'));
    writeFileSync(join(lab, 'captures', 'a.pcap'), '');
    const m = { ...fixtureModel(), dnsServer: { server: 'coredns', filesDir: join(lab, 'coredns') } } as LabModel;
    removeDnsServerFiles(m);
    expect(existsSync(join(lab, 'coredns'))).toBe(false);
    expect(existsSync(join(lab, 'captures', 'a.pcap'))).toBe(true);
  });
});
