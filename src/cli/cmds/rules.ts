/** lab rules NODE: the node's kube-proxy rules as iptables-save / nft / ipvsadm print them. */
import { Argv } from 'yargs';
import { CommonArgs, runningModel, withCommon } from '../common';
import { kubeChainsOnly, rulesCommands } from '../../proxy/rules';
import { exec } from '../../runtime/exec';
import { InputError, LabError } from '../../errors';

interface RulesArgs extends CommonArgs {
  node: string;
  'proxy-only': boolean;
}

export const command = 'rules <node>';
export const describe = "print a node's kube-proxy state (iptables-save, nft list, or ipvsadm -Ln + ipset list)";

export function builder(y: Argv) {
  return withCommon(y)
    .positional('node', { type: 'string', demandOption: true, describe: 'node name' })
    .option('proxy-only', {
      type: 'boolean',
      default: false,
      describe: "only kube-proxy's chains/table (KUBE-* and the jumps into them)",
    });
}

export async function handler(argv: RulesArgs): Promise<void> {
  const model = await runningModel(argv);
  const node = model.nodes.find((n) => n.name === argv.node);
  if (!node)
    throw new InputError(`no node "${argv.node}" in lab ${model.name}`, {
      field: 'node',
      hint: `use one of: ${model.nodes.map((n) => n.name).join(', ')}`,
    });
  const cmds = rulesCommands(model, argv['proxy-only']);
  for (const c of cmds) {
    const r = await exec(node.container, c.argv);
    if (r.failed) throw new LabError(`${c.title} failed on ${node.name}: ${(r.stderr || r.stdout).trim()}`);
    if (cmds.length > 1) console.log(`# ${c.title}`);
    process.stdout.write(c.kubeOnly ? kubeChainsOnly(r.stdout) : r.stdout);
  }
}
