/** lab up: build the lab from a topology file (default: the guide), then verify it. */
import { Argv } from 'yargs';
import { CommonArgs, GUIDE_TOPOLOGY, withCommon } from '../common';
import { loadTopology } from '../../topology/load';
import { pingEngine } from '../../runtime/docker';
import { ensureImage } from '../../runtime/images';
import { listLabContainers } from '../../runtime/containers';
import { readModel } from '../../lab/state';
import { upLab } from '../../lab/up';
import { verifyLab } from '../../lab/verify';
import { renderVerifyTable } from '../../report/verify-table';
import { diffModels } from '../../lab/diff';
import { preflight } from '../../lab/preflight';
import { CniMode, IptablesBackend, ProxyMode } from '../../model/types';
import { LabError } from '../../errors';

interface UpArgs extends CommonArgs {
  proxy?: string;
  cni?: string;
  'iptables-backend'?: string;
  verify: boolean;
  force?: boolean;
}

export const command = 'up';
export const describe = 'start a lab from a topology file (default: the guide topology) and verify it';

export function builder(y: Argv) {
  return withCommon(y)
    .option('proxy', { type: 'string', describe: 'kube-proxy mode: iptables | nftables | ipvs (overrides the file)' })
    .option('cni', { type: 'string', describe: 'pod network: vpc-routes | host-gw | vxlan | vpc-native (overrides the file)' })
    .option('iptables-backend', { type: 'string', describe: 'iptables backend: nft | legacy' })
    .option('verify', { type: 'boolean', default: true, describe: 'run lab verify once the lab is up (--no-verify skips)' })
    .option('force', { type: 'boolean', default: false, describe: 'build a host-gw lab whose nodes span subnets anyway (its cross-subnet paths will fail)' });
}

export async function handler(argv: UpArgs): Promise<void> {
  const file = argv.topology ?? GUIDE_TOPOLOGY;
  // Validate everything before touching the engine: bad input creates nothing.
  const model = await loadTopology(file, {
    name: argv.name,
    proxy: argv.proxy as ProxyMode | undefined,
    cni: argv.cni as CniMode | undefined,
    iptablesBackend: argv['iptables-backend'] as IptablesBackend | undefined,
    ...(argv.force ? { force: true } : {}),
  });
  await pingEngine();
  const log = (m: string) => console.log(`[${model.name}] ${m}`);
  if (model.cluster.cni === 'host-gw' && new Set(model.nodes.map((n) => n.subnet)).size > 1)
    console.error(`[${model.name}] warning: --force: host-gw across subnets ${[...new Set(model.nodes.map((n) => n.subnet))].join(', ')}; routes to nodes of another subnet cannot be delivered (their ARP goes unanswered), so cross-subnet paths will fail`);
  const existing = await listLabContainers(model.name);
  if (existing.length > 0) {
    const running = await readModel(model.name);
    const diffs = diffModels(running, model);
    if (diffs.length > 0) {
      throw new LabError(`lab ${model.name} is already running and differs from ${file}:\n${diffs.map((d) => `  - ${d}`).join('\n')}`, {
        hint: `recreate it with: lab down --name ${model.name} && lab up -t ${file}`,
      });
    }
    log('already running and matches the topology; nothing to do');
  } else {
    const image = await ensureImage({ onProgress: (l) => log(`image: ${l}`) });
    await preflight(model, image);
    const t0 = Date.now();
    log(`starting from ${file}: ${model.nodes.length} nodes, ${model.pods.length} pods, proxy ${model.cluster.proxy}, cni ${model.cluster.cni}`);
    await upLab(model, image, log);
    log(`up in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  if (!argv.verify) return;
  const report = await verifyLab(await readModel(model.name));
  console.log(renderVerifyTable(report, process.stdout.isTTY));
  if (!report.ok) process.exitCode = 1;
}
