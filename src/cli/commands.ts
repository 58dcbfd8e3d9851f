/**
 * The command table: each command's name and one-line description, its module loaded only when yargs
 * runs that command. `lab --help` and `lab status` then never load what other commands need
 * (dockerode's SSH stack, ajv, yaml, the tracer, the web server): Node starts in tens of milliseconds,
 * a module graph of them takes hundreds (issue 15). test/cli/commands.test.ts checks that these
 * strings are the ones the modules export.
 */
import type { Argv, CommandModule } from 'yargs';
import { FAULT_KINDS } from '../faults/render';

interface CmdModule {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<unknown>;
  handler: (argv: never) => void | Promise<void>;
}

export interface LazyCommand {
  command: string;
  describe: string;
  load: () => CmdModule;
}

/* eslint-disable @typescript-eslint/no-require-imports -- loading on demand is the point of this file */
export const COMMANDS: LazyCommand[] = [
  {
    command: 'up',
    describe: 'start a lab from a topology file (default: the guide topology) and verify it',
    load: () => require('./cmds/up'),
  },
  {
    command: 'down',
    describe: 'remove a lab and everything it created (--all: every lab)',
    load: () => require('./cmds/down'),
  },
  {
    command: 'status',
    describe: 'show the running lab: nodes, pods (node, IP, processes), services, links',
    load: () => require('./cmds/status'),
  },
  {
    command: 'exec <target> [cmd..]',
    describe: "run a command in NODE, NODE/POD (the pod's network namespace) or a lab container such as vpc",
    load: () => require('./cmds/exec'),
  },
  {
    command: 'verify',
    describe: 'run live probes over every path of the Kubernetes networking model',
    load: () => require('./cmds/verify'),
  },
  {
    command: 'images <action>',
    describe: 'Build or list the lab image (k8s-netlab/node:<recipe hash>)',
    load: () => require('./cmds/images'),
  },
  {
    command: 'doctor',
    describe: 'Check the Docker engine, the lab image and the kernel features each CNI/proxy mode needs',
    load: () => require('./cmds/doctor'),
  },
  {
    command: 'capture [points..]',
    describe: 'capture packets (tcpdump) at points such as node1/pod1:eth0, node1:cbr0, vpc:v-node1; Ctrl-C stops',
    load: () => require('./cmds/capture'),
  },
  {
    command: 'trace <path>',
    describe:
      'follow one probe along a path: capture at every hop, then show each hop and what changed (NAT, TTL) from the pcaps',
    load: () => require('./cmds/trace'),
  },
  {
    command: 'apply',
    describe:
      'apply a topology file to the running lab: create, delete and recreate pods, replace Services (nodes stay)',
    load: () => require('./cmds/apply'),
  },
  {
    command: 'scale <deployment>',
    describe: 'set the number of replicas of a Deployment in the running lab',
    load: () => require('./cmds/scale'),
  },
  {
    command: 'delete <kind> <objname>',
    describe: 'delete a pod of the running lab (a Deployment replaces it with a new one)',
    load: () => require('./cmds/delete'),
  },
  {
    command: 'watch',
    describe:
      "run the control loop: restart dead containers, drop unready pods from every node's proxy rules (Ctrl-C stops)",
    load: () => require('./cmds/watch'),
  },
  {
    command: 'rules <node>',
    describe: "print a node's kube-proxy state (iptables-save, nft list, or ipvsadm -Ln + ipset list)",
    load: () => require('./cmds/rules'),
  },
  {
    command: 'graph',
    describe:
      'draw the lab: VPC, subnets, nodes (eth0, cbr0), pods, Services and endpoints, the Internet edge (from --topology alone, or the running lab with its observed state)',
    load: () => require('./cmds/graph'),
  },
  {
    command: 'ui',
    describe:
      'serve a web page of the running lab: the drawing with live state, verify results, lab trace animated hop by hop (127.0.0.1 by default)',
    load: () => require('./cmds/ui'),
  },
  {
    command: 'fault <command>',
    describe: `inject, list and clear faults (${FAULT_KINDS.join(', ')})`,
    load: () => require('./cmds/fault'),
  },
  {
    command: 'load <target>',
    describe:
      'send a steady stream of requests to a Service (from a pod on each node, or from the Internet to its LoadBalancer) and report success, errors by kind and outages per second',
    load: () => require('./cmds/load'),
  },
];
/* eslint-enable @typescript-eslint/no-require-imports */

/** A yargs command whose builder and handler load the module on first use (only the command that runs). */
export function lazyCommand(c: LazyCommand): CommandModule {
  return {
    command: c.command,
    describe: c.describe,
    builder: (y) => c.load().builder(y) as Argv,
    handler: (argv) => c.load().handler(argv as never),
  };
}
