import {
  containerExtraHosts,
  podEnter,
  podHostDomain,
  podHostname,
  renderEtcHosts,
  renderPodIdentity,
  utsPath,
} from '../../src/plan/pod-identity';
import { renderPod, renderPodDelete } from '../../src/plan/pod';
import { fixtureModel } from '../fixtures/model';

describe('pod identity (kubelet: hostname, UTS namespace, /etc/hosts)', () => {
  const m = fixtureModel();
  const pod = m.pods[0];
  it('hostname: the pod name, or spec.hostname; cut to 63 without a trailing - or .', () => {
    expect(podHostname({ name: 'pod1' })).toBe('pod1');
    expect(podHostname({ name: 'pod1', hostname: 'db-0' })).toBe('db-0');
    expect(podHostname({ name: `${'a'.repeat(62)}-b` })).toBe('a'.repeat(62));
  });
  it('domain from spec.subdomain: <subdomain>.<namespace>.svc.<cluster domain>', () => {
    expect(podHostDomain(m, { namespace: 'team-a', subdomain: 'db' })).toBe('db.team-a.svc.cluster.local');
    expect(podHostDomain(m, { namespace: 'team-a' })).toBeUndefined();
  });
  it('/etc/hosts as managedHostsFileContent writes it, with the FQDN line and HostAliases', () => {
    expect(renderEtcHosts(m, pod)).toBe(
      `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n${pod.ip}\t${pod.name}\n`,
    );
    const db = {
      ...pod,
      namespace: 'team-a',
      hostname: 'db-0',
      subdomain: 'db',
      hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }],
    };
    const text = renderEtcHosts(m, db);
    expect(text).toContain(`${pod.ip}\tdb-0.db.team-a.svc.cluster.local\tdb-0\n`);
    expect(text.endsWith('\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n')).toBe(true);
    expect(containerExtraHosts(m, db)).toEqual([
      `db-0.db.team-a.svc.cluster.local db-0:${pod.ip}`,
      'foo.local bar.local:10.1.2.3',
    ]);
  });
  it('a process pod gets a UTS namespace held open by the node, set to its hostname; its processes run in it', () => {
    const lines = renderPod(m, m.nodes[0], pod);
    expect(lines).toContain(`unshare --uts=${utsPath(pod)} hostname ${pod.name}`);
    expect(lines.some((l) => l.includes(`printf '%s'`) && l.endsWith(`> /etc/netns/${pod.netns}/hosts`))).toBe(true);
    const starts = lines.filter((l) => l.includes('setsid'));
    expect(starts.length).toBe(pod.containers.length);
    for (const s of starts) expect(s).toContain(`setsid ${podEnter(pod).join(' ')} `);
    // The namespace is made before any container starts.
    expect(lines.findIndex((l) => l.startsWith('unshare --uts'))).toBeLessThan(
      lines.findIndex((l) => l.includes('setsid')),
    );
    expect(renderPodIdentity(m, pod)[0]).toBe(`mkdir -p /run/k8s-netlab/uts && : > ${utsPath(pod)}`);
    expect(renderPodDelete(m, pod)).toContain(`umount ${utsPath(pod)} 2>/dev/null || true`);
  });
});
