/** lab up: build the lab from a topology file (default: the guide), then verify it. */
import { observeNodesToRepair, repairObservedNodes } from '../../lab/node-repair';
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
import { diffModels } from '../../topology/diff';
import { preflight } from '../../lab/preflight';
import { CniMode, IptablesBackend, LabModel, ProxyMode } from '../../model/types';
import type { TopologyOverrides } from '../../topology/raw';
import { lockLab } from '../../lab/lock';
import { downLab } from '../../lab/down';
import { currentUser, LABEL_TOPOLOGY, LABEL_USER } from '../../lab/origin';
import { LabError } from '../../errors';
import * as path from 'path';
import { COREDNS_IMAGE } from '../../topology/dns-server';
import { chooseLabDnsServer, removeDnsServerFiles } from '../../lab/dns-server';
import { renderTimings, Timings } from '../../lab/timings';

interface UpArgs extends CommonArgs {
  proxy?: string;
  cni?: string;
  'iptables-backend'?: string;
  verify: boolean;
  force?: boolean;
  'dns-server'?: string;
  timings?: boolean;
}

export const command = 'up';
export const describe = 'start a lab from a topology file (default: the guide topology) and verify it';

export function builder(y: Argv) {
  return withCommon(y)
    .option('proxy', { type: 'string', describe: 'kube-proxy mode: iptables | nftables | ipvs (overrides the file)' })
    .option('cni', {
      type: 'string',
      describe: 'pod network: vpc-routes | host-gw | vxlan | vpc-native (overrides the file)',
    })
    .option('iptables-backend', { type: 'string', describe: 'iptables backend: nft | legacy' })
    .option('verify', {
      type: 'boolean',
      default: true,
      describe: 'run lab verify once the lab is up (--no-verify skips)',
    })
    .option('force', {
      type: 'boolean',
      default: false,
      describe: 'build a host-gw lab whose nodes span subnets anyway (its cross-subnet paths will fail)',
    })
    .option('timings', {
      type: 'boolean',
      default: false,
      describe: 'print where the time went: each phase of up (and of verify, per path) in milliseconds',
    })
    .option('dns-server', {
      type: 'string',
      describe: `cluster DNS server: auto (coredns: ${COREDNS_IMAGE} when present or pullable, else built from the CoreDNS Go module where Go is installed; else the offline fallback) | coredns (exit 2 when no CoreDNS image can be had) | offline (knotd + unbound) (overrides the file); K8S_NETLAB_COREDNS_IMAGE names another CoreDNS image`,
    });
}

export async function handler(argv: UpArgs): Promise<void> {
  const file = argv.topology ?? GUIDE_TOPOLOGY;
  // Validate everything before touching the engine: bad input creates nothing.
  const overrides = {
    name: argv.name,
    proxy: argv.proxy as ProxyMode | undefined,
    cni: argv.cni as CniMode | undefined,
    iptablesBackend: argv['iptables-backend'] as IptablesBackend | undefined,
    ...(argv.force ? { force: true } : {}),
    ...(argv['dns-server'] !== undefined ? { dnsServer: argv['dns-server'] } : {}),
    ...(argv['allow-outside'] ? { allowOutside: true } : {}),
  };
  const timings = new Timings();
  const model = await loadTopology(file, overrides);
  await pingEngine();
  timings.mark('load topology');
  const log = (m: string) => console.log(`[${model.name}] ${m}`);
  // One `lab up` of a name at a time; the lock dies with this process (src/lab/lock.ts).
  const lock = await lockLab(model.name);
  try {
    await upLocked(argv, file, overrides, model, log, timings);
  } finally {
    lock.release();
  }
}

async function upLocked(
  argv: UpArgs,
  file: string,
  overrides: TopologyOverrides,
  model: LabModel,
  log: (m: string) => void,
  timings: Timings,
): Promise<void> {
  if (model.cluster.cni === 'host-gw' && new Set(model.nodes.map((n) => n.subnet)).size > 1)
    console.error(
      `[${model.name}] warning: --force: host-gw across subnets ${[...new Set(model.nodes.map((n) => n.subnet))].join(', ')}; routes to nodes of another subnet cannot be delivered (their ARP goes unanswered), so cross-subnet paths will fail`,
    );
  let existing = await listLabContainers(model.name);
  // A lab with a stopped container cannot work (its links died with it), and containers without a
  // running VPC are what a crashed up left: rebuild. We hold the lock, so no other up builds it now.
  const stopped = existing.filter((c) => c.state !== 'running' || c.role === 'helper');
  const noVpc = existing.length > 0 && !existing.some((c) => c.role === 'vpc' && c.state === 'running');
  if (stopped.length > 0 || noVpc) {
    const why = stopped.length
      ? `containers stopped or left over: ${stopped.map((c) => `${c.name} (${c.role}, ${c.state})`).join(', ')}`
      : 'no running VPC container (a crashed lab up?)';
    log(`${why}; rebuilding the lab`);
    await downLab(model.name);
    existing = [];
  }
  if (existing.length > 0) {
    const running = await readModel(model.name);
    // A CoreDNS lab's DNS pods were rendered as CoreDNS at its lab up: compare like with like.
    if (running.dnsServer?.server === 'coredns')
      model = loadTopology(file, { ...overrides, dnsServerChoice: 'coredns', coreDnsImage: running.dnsServer.image });
    const diffs = diffModels(running, model);
    if (diffs.length > 0) {
      throw new LabError(
        `lab ${model.name} is already running and differs from ${file}:\n${diffs.map((d) => `  - ${d}`).join('\n')}`,
        {
          hint: `recreate it with: lab down --name ${model.name} && lab up -t ${file}`,
        },
      );
    }
    // A node container restarted (docker restart, the engine restarting) runs with a new, empty
    // network namespace: its links, pods and rules are gone. A repair killed half-way leaves a node
    // half set up (its port on the VPC router down). Both are judged from what is observed against
    // the model, as lab status judges a node broken (src/lab/nodes-to-repair.ts), and repaired.
    const found = await observeNodesToRepair(running);
    if (found.length) {
      for (const f of found)
        log(
          f.restart
            ? `${f.node.name}: running but half set up (${f.why.join(', ')}: a repair left unfinished?); restarting it and re-plumbing`
            : `${f.node.name}: running but not plumbed (${f.why.join(', ')}: restarted?); re-plumbing`,
        );
      await repairObservedNodes(running, found, log);
    } else log('already running and matches the topology; nothing to do');
  } else {
    // The cluster DNS server, decided before anything is created (src/lab/dns-server.ts).
    model = await chooseLabDnsServer(
      model,
      (coreDnsImage) => loadTopology(file, { ...overrides, dnsServerChoice: 'coredns', coreDnsImage }),
      argv['dns-server'] !== undefined ? '--dns-server' : 'cluster.dnsServer',
      log,
    );
    const image = await ensureImage({ onProgress: (l) => log(`image: ${l}`) });
    timings.mark('image and dns server');
    const t0 = Date.now();
    const m = model;
    const origin = { [LABEL_USER]: currentUser(), [LABEL_TOPOLOGY]: path.resolve(file) };
    try {
      await upLab(model, image, log, {
        origin,
        timings,
        before: async () => {
          await preflight(m, image, log);
          log(
            `starting from ${file}: ${m.nodes.length} nodes, ${m.pods.length} pods, proxy ${m.cluster.proxy}, cni ${m.cluster.cni}`,
          );
        },
      });
    } catch (err) {
      // upLab removed the containers; the CoreDNS pods' host files go with them.
      removeDnsServerFiles(model);
      throw err;
    }
    log(`up in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  if (argv.timings) console.log(renderTimings('timings of up', timings.phases, timings.wall()));
  if (!argv.verify) return;
  const vt = new Timings();
  const t0 = Date.now();
  const report = await verifyLab(await readModel(model.name), undefined, undefined, vt);
  console.log(renderVerifyTable(report, process.stdout.isTTY));
  if (argv.timings)
    console.log(renderTimings('timings of verify (per path: its probes summed)', vt.phases, Date.now() - t0));
  if (!report.ok) process.exitCode = 1;
}
