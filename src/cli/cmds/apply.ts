/** lab apply -t FILE: bring a running lab's pods, Deployments and Services to what the file says. */
import { Argv } from 'yargs';
import { CommonArgs, GUIDE_TOPOLOGY, withCommon } from '../common';
import { loadRawTopology, loadTopology } from '../../topology/load';
import { pingEngine } from '../../runtime/docker';
import { pickLab, readModel } from '../../lab/state';
import { applyTopology } from '../../lab/workload-ops';
import { reconcile } from '../../lab/reconcile';
import { InputError } from '../../errors';
import { policyChanges } from '../../netpol/diff';

export const command = 'apply';
export const describe =
  'apply a topology file to the running lab: create, delete and recreate pods, replace Services (nodes stay)';

export function builder(y: Argv) {
  return withCommon(y);
}

export async function handler(argv: CommonArgs): Promise<void> {
  if (!argv.topology)
    throw new InputError('no topology file given', { field: '--topology', hint: 'lab apply -t FILE' });
  // Bad input stops here, before anything is read from or done to the lab.
  const allowOutside = argv['allow-outside'];
  const raw = loadRawTopology(argv.topology, { allowOutside }).raw;
  loadTopology(argv.topology, { name: argv.name, allowOutside });
  await pingEngine();
  const running = await readModel(await pickLab(argv.name, raw.name, GUIDE_TOPOLOGY));
  // Proxy mode, CNI and iptables backend were chosen at lab up (file or flag) and stay.
  const kept = {
    proxy: running.cluster.proxy,
    cni: running.cluster.cni,
    iptablesBackend: running.cluster.iptablesBackend,
  };
  for (const [k, v] of Object.entries(kept)) {
    const inFile = (raw.cluster as Record<string, unknown> | undefined)?.[k];
    if (inFile !== undefined && inFile !== v)
      console.log(
        `note: the file sets cluster.${k}: ${String(inFile)}; the lab runs ${v} (chosen at lab up), which stays`,
      );
  }
  // The DNS server too: a CoreDNS lab's DNS pods stay CoreDNS pods.
  const wanted = loadTopology(argv.topology, {
    allowOutside,
    name: running.name,
    ...kept,
    ...(running.cluster.dnsServer ? { dnsServer: running.cluster.dnsServer } : {}),
    ...(running.dnsServer?.server === 'coredns'
      ? { dnsServerChoice: 'coredns' as const, coreDnsImage: running.dnsServer.image }
      : {}),
  });
  const change = applyTopology(running, wanted);
  const log = (m: string) => console.log(`[${running.name}] ${m}`);
  if (change.added.length === 0 && change.removed.length === 0 && change.changedServices.length === 0) {
    // Still stored and synced below: Deployments or namespaces may differ in ways that move no pod.
    log('no pod or Service changes');
  }
  for (const s of change.changedServices) log(`service ${s} changed`);
  for (const l of policyChanges(running, change.model)) log(l);
  const r = await reconcile(running, change.model, change.added, change.removed, log);
  log(
    `applied ${argv.topology}: ${change.added.length} pods created, ${change.removed.length} deleted, ${change.changedServices.length} services changed (${(r.ms / 1000).toFixed(1)}s)`,
  );
}
