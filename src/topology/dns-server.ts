/**
 * Which server the cluster DNS pods run, decided once at `lab up` (cluster.dnsServer or
 * --dns-server): CoreDNS (the coredns/coredns image, file plugin) when asked for or, with auto,
 * when its image is present or can be pulled; otherwise the offline server (knotd + unbound from
 * the lab image). Both serve the same rendered zone files. Pure: the engine's answer about the
 * image comes in as `CoreDnsAvailability` (src/runtime/coredns-image.ts asks).
 */
import { InputError } from '../errors';
import type { DnsServerChoice, DnsServerSetting, PodModel } from '../model/types';
import type { SourcedObject } from './raw';
import { DNS_DEPLOYMENT, DNS_IMAGE, DNS_NAMESPACE, DNS_SELECTOR } from './cluster-dns';
import { DEFAULT_DNS_SERVER } from './defaults';

/** The CoreDNS image the DNS pods run (the version kubeadm 1.31 installs). */
export const COREDNS_IMAGE = 'coredns/coredns:1.11.3';
/** Environment variable naming another CoreDNS image (a registry mirror, e.g. registry.k8s.io/coredns/coredns:v1.11.3). */
export const COREDNS_IMAGE_ENV = 'K8S_NETLAB_COREDNS_IMAGE';

/** The CoreDNS image to use: $K8S_NETLAB_COREDNS_IMAGE when set, else COREDNS_IMAGE. */
export function coreDnsImage(env: Record<string, string | undefined> = process.env): string {
  return env[COREDNS_IMAGE_ENV]?.trim() || COREDNS_IMAGE;
}
/** Where the Corefile and zones are mounted in the CoreDNS container (as kubeadm's ConfigMap volume). */
export const COREDNS_CONF_DIR = '/etc/coredns';
/** The container's args, as kubeadm's coredns Deployment has them. */
export const COREDNS_ARGS: readonly string[] = ['-conf', `${COREDNS_CONF_DIR}/Corefile`];

/** What the engine said about the CoreDNS image. */
export interface CoreDnsAvailability {
  available: boolean;
  /** present = in the local image store; pulled = just pulled; built = just built from the Go module; unavailable = none. */
  how: 'present' | 'pulled' | 'built' | 'unavailable';
  /** The image that can be had (coredns/coredns, or the lab's own build k8s-netlab/coredns:<hash>). */
  image?: string;
  /** Words for progress and errors (the pull error's last words when unavailable). */
  reason: string;
  /** The engine's whole message, when a pull was refused (shown with an explicit coredns that cannot run). */
  detail?: string;
}

/** The setting in force: the flag over the file over the default. */
export function requestedDnsServer(setting: DnsServerSetting | undefined): DnsServerSetting {
  return setting ?? DEFAULT_DNS_SERVER;
}

/** True when the image must be looked at (and maybe pulled) to decide. */
export function needsCoreDnsImage(requested: DnsServerSetting): boolean {
  return requested !== 'offline';
}

/**
 * The choice. `available` is what the engine said (not needed for offline). An explicit
 * `coredns` whose image cannot be had is an input error (exit 2) raised before anything is
 * created; `field` names where it was asked for (`--dns-server` or `cluster.dnsServer`).
 */
export function chooseDnsServer(
  requested: DnsServerSetting,
  available: CoreDnsAvailability | undefined,
  field = 'cluster.dnsServer',
  image = COREDNS_IMAGE,
): DnsServerChoice {
  if (requested === 'offline')
    return { requested, server: 'offline', reason: 'offline asked for (knotd + unbound from the lab image)' };
  if (!available) throw new Error(`chooseDnsServer: ${requested} needs the CoreDNS image's availability`);
  if (available.available)
    return { requested, server: 'coredns', reason: available.reason, image: available.image ?? image };
  if (requested === 'coredns')
    throw new InputError(
      `coredns requested, but coredns image unavailable: ${available.reason}${available.detail ? `\n  engine: ${available.detail}` : ''}`,
      {
        field,
        hint:
          'use --dns-server offline (or auto, or cluster.dnsServer: offline) for the offline DNS server ' +
          `built into the lab image, or make ${image} available (docker pull / docker load), or install ` +
          'Go >= 1.21 so the lab builds its own (lab images build)',
      },
    );
  return {
    requested,
    server: 'offline',
    reason: `coredns image unavailable: ${available.reason}; using the offline server (knotd + unbound)`,
  };
}

/** The offline server running because CoreDNS could not be had (not because it was asked for). */
export function isFallback(c: Pick<DnsServerChoice, 'requested' | 'server'>): boolean {
  return c.server === 'offline' && c.requested !== 'offline';
}

/** One line for `lab up` progress and `lab status`. */
export function describeDnsServer(c: DnsServerChoice): string {
  const what =
    c.server === 'coredns'
      ? `coredns (${c.image ?? COREDNS_IMAGE}, file plugin)`
      : `offline${isFallback(c) ? ' fallback' : ''} (knotd + unbound)`;
  return `dns server ${what}, asked ${c.requested}: ${c.reason}`;
}

function isOfflineDnsImage(image: unknown): boolean {
  return typeof image === 'string' && (image === DNS_IMAGE || image.startsWith(`${DNS_IMAGE}:`));
}

/**
 * The objects with the cluster DNS Deployment (kube-system/coredns running the lab's offline DNS
 * image) turned into CoreDNS: image coredns/coredns, args `-conf /etc/coredns/Corefile`. The pods
 * then resolve as container pods (src/plan/container-pod.ts). Everything else is returned as is;
 * the input is not changed.
 */
export function coreDnsObjects(objects: SourcedObject[], image = COREDNS_IMAGE): SourcedObject[] {
  return objects.map((o) => {
    const obj = o.object as {
      kind?: string;
      metadata?: { name?: string; namespace?: string };
      spec?: { template?: { spec?: { containers?: Array<Record<string, unknown>> } } };
    };
    if (obj.kind !== 'Deployment' || obj.metadata?.namespace !== DNS_NAMESPACE || obj.metadata?.name !== DNS_DEPLOYMENT)
      return o;
    const containers = obj.spec?.template?.spec?.containers;
    if (!containers?.some((c) => isOfflineDnsImage(c.image))) return o;
    const copy = JSON.parse(JSON.stringify(obj)) as typeof obj;
    for (const c of copy.spec!.template!.spec!.containers!) {
      if (!isOfflineDnsImage(c.image)) continue;
      c.image = image;
      c.args = [...COREDNS_ARGS];
    }
    return { ...o, object: copy as SourcedObject['object'] };
  });
}

/**
 * A pod that runs CoreDNS as the cluster DNS, as coreDnsObjects renders it: in kube-system,
 * labelled k8s-app=kube-dns, a container pod whose args are exactly COREDNS_ARGS (whatever the
 * image's registry or tag, so a mirror works).
 */
export function isCoreDnsPod(pod: PodModel): boolean {
  if (pod.namespace !== DNS_NAMESPACE || pod.labels['k8s-app'] !== DNS_SELECTOR['k8s-app']) return false;
  return pod.containers.some(
    (c) => c.kind === 'container' && JSON.stringify(c.args ?? []) === JSON.stringify(COREDNS_ARGS),
  );
}
