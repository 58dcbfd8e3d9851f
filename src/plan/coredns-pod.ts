/**
 * CoreDNS cluster DNS pods (cluster.dnsServer coredns): container pods of coredns/coredns run
 * with `-conf /etc/coredns/Corefile`. The image has no shell, so its files come from the host:
 * ./lab-<name>/coredns/<pod>/ (Corefile, zones/db.*), bind-mounted read-only at /etc/coredns and
 * rewritten (each file replaced by rename) on every DNS sync; the file plugin's `reload 1s` sees
 * the higher SOA serial and loads the zone. The same texts, with the same serial, are written
 * into the pod's directory in its node, where the offline pods keep theirs, so the dns probe and
 * `lab exec` read what CoreDNS serves. Readiness is every zone loaded: an authoritative SOA
 * answer per zone, asked from the node. Pure: paths, file texts, scripts.
 */
import * as path from 'path';
import type { LabModel, PodModel } from '../model/types';
import type { EndpointSlice } from '../proxy/endpoints';
import { LabError } from '../errors';
import { renderCorefile, zoneFiles, ZoneFile } from '../dns/config';
import { COREDNS_CONF_DIR } from '../topology/dns-server';
import { applySerial, dnsDir, dnsOrigins, renderDnsZones, renderSerialSwap } from './dns-pod';
import { q, WAIT_TIMEOUT_SEC, waitUntil, writeFileLines } from './shell';

export { isCoreDnsPod } from '../topology/dns-server';

/** Host directory holding one CoreDNS pod's Corefile and zones (under model.dnsServer.filesDir). */
export function coreDnsPodDir(model: LabModel, pod: Pick<PodModel, 'name'>): string {
  const dir = model.dnsServer?.filesDir;
  if (!dir)
    throw new LabError(`lab ${model.name} runs CoreDNS pods but its model has no dnsServer.filesDir`, {
      hint: `recreate the lab: lab down --name ${model.name} && lab up`,
    });
  return path.join(dir, pod.name);
}

/** Zone files as CoreDNS opens them (inside its container), cluster zone first. */
export function coreDnsZoneFiles(model: LabModel): ZoneFile[] {
  return zoneFiles(`${COREDNS_CONF_DIR}/zones`, dnsOrigins(model));
}

/**
 * The pod's Corefile: the file plugin per cluster zone, the rest forwarded to the lab's Internet
 * DNS (model.internetDns). Without one, names outside the cluster zones are refused at once (as
 * the offline server's `local-zone "." refuse`): nothing is ever forwarded off the machine.
 */
export function renderPodCorefile(model: LabModel): string {
  return renderCorefile({
    zones: coreDnsZoneFiles(model),
    upstream: model.internetDns ? [model.internetDns] : [],
    domain: model.cluster.domain,
  });
}

/**
 * The files of one CoreDNS pod, keyed by path relative to its directory: `Corefile` and the zones
 * with `serial` in their SOA. Byte for byte what renderCoreDnsSync writes into the node with the
 * same serial.
 */
export function renderCoreDnsFiles(
  model: LabModel,
  pod: PodModel,
  endpoints: EndpointSlice[],
  serial: number,
): Record<string, string> {
  const out: Record<string, string> = { Corefile: renderPodCorefile(model) };
  for (const [p, text] of Object.entries(renderDnsZones(model, pod, endpoints)))
    out[`zones/${path.posix.basename(p)}`] = applySerial(text, serial);
  return out;
}

/**
 * The node's copy (in dnsDir, where the offline pods keep their files): Corefile and zones
 * written under the pod's lock, the serial chosen as for the offline pods (max(candidate, the
 * copy's serial + 1)) and printed as `serial=<n>`; the caller then writes the host files with it.
 */
export function renderCoreDnsSync(
  model: LabModel,
  pod: PodModel,
  endpoints: EndpointSlice[],
  candidate: number,
): string {
  const dir = dnsDir(pod);
  const zones = renderDnsZones(model, pod, endpoints);
  const lines = ['set -eu', `mkdir -p ${q(`${dir}/zones`)}`, `exec 9> ${q(`${dir}/lock`)}`, 'flock 9'];
  lines.push(...writeFileLines(`${dir}/Corefile`, renderPodCorefile(model), { tag: 'K8S_NETLAB_COREFILE' }));
  let i = 0;
  for (const [p, text] of Object.entries(zones))
    lines.push(...writeFileLines(`${p}.new`, text, { tag: `K8S_NETLAB_ZONE_${i++}` }));
  lines.push(...renderSerialSwap(dir, Object.keys(zones), candidate), 'echo "serial=$s"');
  return lines.join('\n') + '\n';
}

/** The container's mounts: the pod's host directory, read-only, at /etc/coredns. */
export function coreDnsBinds(model: LabModel, pod: PodModel): string[] {
  return [`${coreDnsPodDir(model, pod)}:${COREDNS_CONF_DIR}:ro`];
}

/**
 * Shell function run in the node: zone $2 is loaded on server $1 when an SOA query for it gets an
 * authoritative NOERROR answer holding the zone's SOA. The file plugin answers SERVFAIL for a zone
 * it has not loaded, so this is stricter than the ready plugin (which only says it listens).
 */
export const SOA_READY_FN = `soa_ok() { o=$(dig +norec +time=1 +tries=1 @"$1" "$2" SOA 2>/dev/null) || return 1; case "$o" in *"status: NOERROR"*"flags: qr aa"*) ;; *) return 1 ;; esac; printf '%s\\n' "$o" | grep -Eq "^$2[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA[[:space:]]"; }`;

/** Shell test (needs SOA_READY_FN): every zone of the pod's Corefile loaded and answered. */
export function renderCoreDnsReady(model: LabModel, pod: Pick<PodModel, 'ip'>): string {
  return coreDnsZoneFiles(model)
    .map((z) => `soa_ok ${pod.ip} ${q(z.origin)}`)
    .join(' && ');
}

/** Waits until every zone is loaded. */
export function renderCoreDnsWaitReady(
  model: LabModel,
  pod: Pick<PodModel, 'ip' | 'name'>,
  timeoutSec = WAIT_TIMEOUT_SEC,
): string[] {
  const zones = coreDnsZoneFiles(model)
    .map((z) => z.origin)
    .join(' ');
  return [
    SOA_READY_FN,
    waitUntil(renderCoreDnsReady(model, pod), {
      what: `pod ${pod.name}: CoreDNS not ready: no authoritative SOA from ${pod.ip} for every zone (${zones})`,
      timeoutSec,
    }),
  ];
}

/**
 * Waits (up to timeoutSec, run in the pod's node) until the pod answers the cluster zone's
 * SOA with `serial` or a later one: the file plugin re-reads a changed zone within its `reload 1s`,
 * so a sync that returns only then leaves no window where a query right after it gets the old
 * answer. Exit 0 either way (a stopped pod is the kubelet's business); prints `served=<serial>`.
 */
export function renderCoreDnsAwaitSerial(
  model: LabModel,
  pod: Pick<PodModel, 'ip'>,
  serial: number,
  timeoutSec = 5,
): string {
  const zone = coreDnsZoneFiles(model)[0].origin;
  return [
    's=0',
    waitUntil(
      `{ s=$(dig @${pod.ip} -p 53 +time=1 +tries=1 +short SOA ${q(zone)} 2>/dev/null | awk '{ print $3 }'); [ -n "$s" ] && [ "$s" -ge ${serial} ] 2>/dev/null; }`,
      { what: `serial ${serial} served`, timeoutSec, then: 'continue' },
    ),
    'echo "served=${s:-0}"',
  ].join('\n');
}

/** One line per pod, `<netns> <ready 0|1>` (run in the node holding them). */
export function renderCoreDnsObserve(model: LabModel, pods: PodModel[]): string {
  return (
    [
      SOA_READY_FN,
      ...pods.map(
        (p) => `if ${renderCoreDnsReady(model, p)}; then echo ${q(p.netns)} 1; else echo ${q(p.netns)} 0; fi`,
      ),
    ].join('\n') + '\n'
  );
}

export function parseCoreDnsObserve(out: string): Map<string, boolean> {
  const m = new Map<string, boolean>();
  for (const l of out.split('\n')) {
    const f = l.trim().split(/\s+/);
    if (f.length === 2 && (f[1] === '0' || f[1] === '1')) m.set(f[0], f[1] === '1');
  }
  return m;
}
