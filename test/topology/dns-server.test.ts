import { InputError, InputErrors } from '../../src/errors';
import type { LabModel } from '../../src/model/types';
import { isDnsPod } from '../../src/plan/dns-pod';
import { isContainerPod } from '../../src/plan/pod';
import { scaleDeployment } from '../../src/lab/workload-ops';
import { resolveTopology } from '../../src/topology/resolve';
import { topologySchema } from '../../src/topology/schema';
import type { SourcedObject } from '../../src/topology/raw';
import { clusterDnsObjects } from '../../src/topology/cluster-dns';
import {
  chooseDnsServer,
  COREDNS_ARGS,
  COREDNS_IMAGE,
  coreDnsObjects,
  CoreDnsAvailability,
  coreDnsImage,
  describeDnsServer,
  isFallback,
  isCoreDnsPod,
  needsCoreDnsImage,
  requestedDnsServer,
} from '../../src/topology/dns-server';

const AG = 'registry.k8s.io/e2e-test-images/agnhost:2.47';
const present: CoreDnsAvailability = {
  available: true,
  how: 'present',
  reason: `image ${COREDNS_IMAGE} present locally`,
};
const pulled: CoreDnsAvailability = { available: true, how: 'pulled', reason: `image ${COREDNS_IMAGE} pulled` };
const missing: CoreDnsAvailability = {
  available: false,
  how: 'unavailable',
  reason: `image ${COREDNS_IMAGE} is not present locally and cannot be pulled: no such host`,
  detail: 'dial tcp: lookup registry-1.docker.io: no such host',
};

function raw(cluster: Record<string, unknown> = {}) {
  return {
    name: 'c',
    nodes: [{ name: 'node1' }, { name: 'node2' }],
    cluster,
    objects: [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'a', labels: { app: 'a' } },
        spec: { containers: [{ name: 'w', image: AG, args: ['netexec'] }] },
      },
    ],
  } as never;
}

function thrown(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('nothing thrown');
}

describe('choosing the cluster DNS server', () => {
  it('defaults to auto; only offline skips looking at the image', () => {
    expect(requestedDnsServer(undefined)).toBe('auto');
    expect(requestedDnsServer('offline')).toBe('offline');
    expect(needsCoreDnsImage('auto')).toBe(true);
    expect(needsCoreDnsImage('coredns')).toBe(true);
    expect(needsCoreDnsImage('offline')).toBe(false);
  });

  it('auto: coredns when the image is present or was pulled, else offline with the reason', () => {
    expect(chooseDnsServer('auto', present)).toEqual({
      requested: 'auto',
      server: 'coredns',
      reason: present.reason,
      image: COREDNS_IMAGE,
    });
    expect(chooseDnsServer('auto', pulled).server).toBe('coredns');
    const off = chooseDnsServer('auto', missing);
    expect(off.server).toBe('offline');
    expect(off.image).toBeUndefined();
    expect(off.reason).toContain(`coredns image unavailable: ${missing.reason}`);
    // auto's fallback is progress, not a failure: e2e tests reject "failed" in lab up output.
    expect(describeDnsServer(off)).not.toMatch(/fail/i);
  });

  it('offline needs no answer about the image, whatever it would be', () => {
    expect(chooseDnsServer('offline', undefined).server).toBe('offline');
    expect(chooseDnsServer('offline', present).server).toBe('offline');
  });

  it('coredns: runs it when it can be had; otherwise an input error (exit 2) naming the reason and suggesting offline', () => {
    expect(chooseDnsServer('coredns', present).server).toBe('coredns');
    expect(chooseDnsServer('coredns', pulled).server).toBe('coredns');
    const e = thrown(() => chooseDnsServer('coredns', missing, '--dns-server'));
    expect(e.exitCode).toBe(2);
    expect(e.field).toBe('--dns-server');
    expect(e.message).toBe(
      `--dns-server: coredns requested, but coredns image unavailable: ${missing.reason}\n  engine: ${missing.detail}`,
    );
    expect(e.hint).toMatch(/--dns-server offline/);
    expect(thrown(() => chooseDnsServer('coredns', missing)).field).toBe('cluster.dnsServer');
  });

  it('auto and coredns need the availability answer (a caller bug otherwise)', () => {
    expect(() => chooseDnsServer('auto', undefined)).toThrow(/needs the CoreDNS image/);
  });

  it('describes the choice for progress and status', () => {
    expect(describeDnsServer(chooseDnsServer('auto', present))).toBe(
      `dns server coredns (${COREDNS_IMAGE}, file plugin), asked auto: ${present.reason}`,
    );
    expect(describeDnsServer(chooseDnsServer('auto', missing))).toMatch(
      /^dns server offline fallback \(knotd \+ unbound\), asked auto: coredns image unavailable: .*no such host/,
    );
    expect(describeDnsServer(chooseDnsServer('offline', undefined))).toMatch(
      /^dns server offline \(knotd \+ unbound\), asked offline/,
    );
  });

  it("runs the image that could be had (the lab's own build when that is what was found)", () => {
    const local = {
      available: true,
      how: 'present' as const,
      reason: 'built',
      image: 'k8s-netlab/coredns:0123456789ab',
    };
    expect(chooseDnsServer('auto', local).image).toBe('k8s-netlab/coredns:0123456789ab');
    expect(isFallback(chooseDnsServer('auto', missing))).toBe(true);
    expect(isFallback(chooseDnsServer('offline', undefined))).toBe(false);
    expect(isFallback(chooseDnsServer('auto', local))).toBe(false);
  });
});

describe('cluster.dnsServer in the topology', () => {
  it('is in the schema, documented, with its three values', () => {
    const p = (
      topologySchema as {
        properties: { cluster: { properties: Record<string, { enum?: string[]; description?: string }> } };
      }
    ).properties.cluster.properties.dnsServer;
    expect(p.enum).toEqual(['auto', 'coredns', 'offline']);
    expect(p.description).toMatch(/default auto/);
  });

  it('is kept in the settings when given (file or flag), left out when not', () => {
    expect(resolveTopology(raw()).cluster.dnsServer).toBeUndefined();
    expect(resolveTopology(raw({ dnsServer: 'offline' })).cluster.dnsServer).toBe('offline');
    expect(
      resolveTopology(raw({ dnsServer: 'offline' }), { overrides: { dnsServer: 'coredns' } }).cluster.dnsServer,
    ).toBe('coredns');
  });

  it('rejects unknown values, naming the field or the flag', () => {
    const e1 = thrown(() => resolveTopology(raw({ dnsServer: 'coredsn' }), { overrides: {} })) as InputErrors;
    expect(e1.errors.map((e) => e.field)).toContain('cluster.dnsServer');
    const e2 = thrown(() => resolveTopology(raw(), { overrides: { dnsServer: 'bind9' } })) as InputErrors;
    expect(e2.errors.map((e) => e.field)).toEqual(['--dns-server']);
    expect(e2.errors[0].hint).toMatch(/auto, coredns, offline/);
  });
});

describe('CoreDNS pods in the model', () => {
  const offline = resolveTopology(raw());
  const core: LabModel = resolveTopology(raw(), { overrides: { dnsServerChoice: 'coredns' } });
  const dnsOf = (m: LabModel) => m.pods.filter((p) => p.namespace === 'kube-system' && p.owner === 'coredns');

  it('offline (the loader default): the DNS pods are the lab server, not container pods', () => {
    expect(dnsOf(offline)).toHaveLength(2);
    for (const p of dnsOf(offline)) {
      expect(p.containers[0].kind).toBe('dns');
      expect(isCoreDnsPod(p)).toBe(false);
      expect(isDnsPod(p)).toBe(true);
    }
  });

  it('coredns: the same Deployment runs coredns/coredns -conf /etc/coredns/Corefile as container pods', () => {
    const pods = dnsOf(core);
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.containers).toEqual([
        expect.objectContaining({
          kind: 'container',
          name: 'coredns',
          image: COREDNS_IMAGE,
          args: ['-conf', '/etc/coredns/Corefile'],
        }),
      ]);
      expect(p.containers[0].ports.map((x) => `${x.containerPort}/${x.protocol}`)).toEqual(['53/UDP', '53/TCP']);
      expect(p.labels['k8s-app']).toBe('kube-dns');
      expect(p.dnsPolicy).toBe('Default');
      expect(isCoreDnsPod(p) && isDnsPod(p) && isContainerPod(p)).toBe(true);
    }
    // The user's pod and the kube-dns Service are untouched.
    expect(core.pods.find((p) => p.name === 'a')).toEqual(offline.pods.find((p) => p.name === 'a'));
    expect(core.services).toEqual(offline.services);
  });

  it('a scale of the coredns Deployment makes more CoreDNS pods (the template was rewritten)', () => {
    const ch = scaleDeployment(core, 'coredns', 'kube-system', 3);
    expect(ch.added).toHaveLength(1);
    expect(isCoreDnsPod(ch.added[0])).toBe(true);
  });

  it('CoreDNS pods are the kube-dns pods of kube-system running -conf /etc/coredns/Corefile, whatever the image mirror', () => {
    const p = dnsOf(core)[0];
    expect(isCoreDnsPod({ ...p, containers: [{ ...p.containers[0], args: ['-conf', '/tmp/Corefile'] }] })).toBe(false);
    expect(isCoreDnsPod({ ...p, namespace: 'default' })).toBe(false);
    expect(isCoreDnsPod({ ...p, labels: { app: 'x' } })).toBe(false);
    expect(isCoreDnsPod({ ...p, containers: [{ ...p.containers[0], kind: 'netexec' }] })).toBe(false);
    const mirror = resolveTopology(raw(), {
      overrides: { dnsServerChoice: 'coredns', coreDnsImage: 'registry.k8s.io/coredns/coredns:v1.11.3' },
    });
    const mp = dnsOf(mirror);
    expect(mp.map((x) => x.containers[0].image)).toEqual([
      'registry.k8s.io/coredns/coredns:v1.11.3',
      'registry.k8s.io/coredns/coredns:v1.11.3',
    ]);
    expect(mp.every(isCoreDnsPod)).toBe(true);
  });

  it('the image comes from K8S_NETLAB_COREDNS_IMAGE when set', () => {
    expect(coreDnsImage({})).toBe(COREDNS_IMAGE);
    expect(coreDnsImage({ K8S_NETLAB_COREDNS_IMAGE: ' ' })).toBe(COREDNS_IMAGE);
    expect(coreDnsImage({ K8S_NETLAB_COREDNS_IMAGE: 'mirror.local/coredns:1.11.3' })).toBe(
      'mirror.local/coredns:1.11.3',
    );
    expect(chooseDnsServer('auto', present, 'cluster.dnsServer', 'mirror.local/coredns:1.11.3').image).toBe(
      'mirror.local/coredns:1.11.3',
    );
    expect(
      thrown(() => chooseDnsServer('coredns', missing, '--dns-server', 'mirror.local/coredns:1.11.3')).hint,
    ).toContain('make mirror.local/coredns:1.11.3 available');
  });

  it('coreDnsObjects leaves its input alone and other Deployments as they are', () => {
    const objs: SourcedObject[] = [
      ...clusterDnsObjects('10.96.0.10'),
      {
        path: 'objects[0]',
        object: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'coredns', namespace: 'default' },
          spec: { template: { spec: { containers: [{ name: 'x', image: 'k8s-netlab/dns' }] } } },
        } as never,
      },
    ];
    const before = JSON.stringify(objs);
    const out = coreDnsObjects(objs);
    expect(JSON.stringify(objs)).toBe(before);
    const img = (o: SourcedObject) =>
      (o.object as never as { spec: { template: { spec: { containers: { image: string; args?: string[] }[] } } } }).spec
        .template.spec.containers[0];
    expect(img(out[0])).toMatchObject({ image: COREDNS_IMAGE, args: [...COREDNS_ARGS] });
    expect(out[1]).toBe(objs[1]); // the Service
    expect(out[2]).toBe(objs[2]); // another namespace's Deployment
  });
});
