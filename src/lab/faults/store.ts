/**
 * The lab's faults, recorded in its VPC container beside the model: any later command (another
 * shell, a restarted CLI) sees them, and `lab down` removes them with the container.
 */
import { exec, execOk } from '../../runtime/exec';
import type { LabModel } from '../../model/types';
import type { FaultRecord } from '../../faults/render';

import { FAULT_STORE_FILE } from '../../edge/lb-fault';

export const FAULTS_PATH = FAULT_STORE_FILE;

export interface FaultStore {
  active: FaultRecord[];
  /** Highest id ever given: ids are not reused after a clear. */
  highest: number;
  /** Cleared faults, newest last (for the timeline). */
  cleared: Array<FaultRecord & { clearedAt: string }>;
}

export async function readFaults(vpcContainer: string): Promise<FaultStore> {
  const r = await exec(vpcContainer, ['cat', FAULTS_PATH]);
  if (r.failed || !r.stdout.trim()) return { active: [], highest: 0, cleared: [] };
  return JSON.parse(r.stdout) as FaultStore;
}

export async function writeFaults(model: LabModel, s: FaultStore): Promise<void> {
  await execOk(
    model.vpc.container,
    ['sh', '-c', `mkdir -p /etc/k8s-netlab && cat > ${FAULTS_PATH}.tmp && mv ${FAULTS_PATH}.tmp ${FAULTS_PATH}`],
    { input: JSON.stringify(s, null, 1) },
  );
}
