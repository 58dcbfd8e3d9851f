/** The running lab's model lives in its VPC container, so any command finds it from the labels alone. */
import { LabModel } from '../model/types';
import { exec, execOk } from '../runtime/exec';
import { listLabContainers } from '../runtime/containers';
import { InputError, LabError } from '../errors';

export const MODEL_PATH = '/etc/k8s-netlab/model.json';

export async function saveModel(model: LabModel): Promise<void> {
  await execOk(model.vpc.container, ['sh', '-c', `mkdir -p /etc/k8s-netlab && cat > ${MODEL_PATH}`], {
    input: JSON.stringify(model, null, 1),
  });
}

export async function readModel(lab: string): Promise<LabModel> {
  const cs = await listLabContainers(lab);
  const vpc = cs.find((c) => c.role === 'vpc');
  if (!vpc) throw new LabError(`lab ${lab} is not running (no VPC container)`, { hint: `start it with: lab up --name ${lab}` });
  const r = await exec(vpc.name, ['cat', MODEL_PATH]);
  if (r.failed) {
    throw new LabError(`lab ${lab} has no stored model: it was interrupted while starting`, {
      hint: `remove it with: lab down --name ${lab}`,
    });
  }
  return JSON.parse(r.stdout) as LabModel;
}

/** The labs that have containers on this engine. */
export async function runningLabs(): Promise<string[]> {
  const cs = await listLabContainers();
  return [...new Set(cs.map((c) => c.lab))].sort();
}

/**
 * Which lab a command means: --name, else the topology's name, else the only running lab.
 */
export async function pickLab(name: string | undefined, topologyName: string | undefined): Promise<string> {
  if (name) return name;
  if (topologyName) return topologyName;
  const labs = await runningLabs();
  if (labs.length === 1) return labs[0];
  if (labs.length === 0) throw new LabError('no lab is running', { hint: 'start one with: lab up' });
  throw new InputError(`several labs are running (${labs.join(', ')})`, { field: '--name', hint: 'say which one with --name NAME' });
}
