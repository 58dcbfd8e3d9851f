/** The running lab's model lives in its VPC container, so any command finds it from the labels alone. */
import { LabModel } from '../model/types';
import { exec, execOk } from '../runtime/exec';
import { listLabContainers } from '../runtime/containers';
import { InputError, LabError } from '../errors';
import { checkLabName, currentUser, LABEL_TOPOLOGY, LABEL_USER, LabOrigin } from './origin';

export const MODEL_PATH = '/etc/k8s-netlab/model.json';

export async function saveModel(model: LabModel): Promise<void> {
  await execOk(model.vpc.container, ['sh', '-c', `mkdir -p /etc/k8s-netlab && cat > ${MODEL_PATH}`], {
    input: JSON.stringify(model, null, 1),
  });
}

export async function readModel(lab: string): Promise<LabModel> {
  const cs = await listLabContainers(lab);
  const vpc = cs.find((c) => c.role === 'vpc');
  if (!vpc)
    throw new LabError(`lab ${lab} is not running (no VPC container)`, { hint: `start it with: lab up --name ${lab}` });
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
  return (await runningLabOrigins()).map((l) => l.lab);
}

/** Each running lab with who started it and from which topology file (its VPC's labels). */
export async function runningLabOrigins(): Promise<LabOrigin[]> {
  const cs = await listLabContainers();
  const labs = [...new Set(cs.map((c) => c.lab))].sort();
  return labs.map((lab) => {
    const vpc = cs.find((c) => c.lab === lab && c.role === 'vpc');
    return { lab, user: vpc?.labels[LABEL_USER], topology: vpc?.labels[LABEL_TOPOLOGY] };
  });
}

/**
 * The lab meant when no --name and no topology is given: the only running lab, and only when it
 * was started by this user or from `defaultTopology` (what this command would load); otherwise
 * the labs are listed and --name asked for, so a command never acts on someone else's lab by
 * accident. Pure: the caller passes the running labs and who it is.
 */
export function chooseOnlyLab(labs: LabOrigin[], me: string, defaultTopology: string): string {
  if (labs.length === 0) throw new LabError('no lab is running', { hint: 'start one with: lab up' });
  const describe = labs
    .map((l) => `${l.lab} (started by ${l.user ?? 'unknown'} from ${l.topology ?? 'unknown'})`)
    .join(', ');
  if (labs.length > 1)
    throw new InputError(`several labs are running: ${describe}`, {
      field: '--name',
      hint: 'say which one with --name NAME',
    });
  const only = labs[0];
  if (only.user === me || only.topology === defaultTopology) return only.lab;
  throw new InputError(`the only running lab is ${describe}, not started by you (${me}) nor from ${defaultTopology}`, {
    field: '--name',
    hint: `if you mean it, say so with --name ${only.lab}`,
  });
}

/**
 * Which lab a command means: --name, else the topology's name, else the only running lab when it
 * is this user's or was started from the default topology (chooseOnlyLab).
 */
export async function pickLab(
  name: string | undefined,
  topologyName: string | undefined,
  defaultTopology = '',
): Promise<string> {
  if (name !== undefined) return checkLabName(name);
  if (topologyName) return topologyName;
  return chooseOnlyLab(await runningLabOrigins(), currentUser(), defaultTopology);
}
