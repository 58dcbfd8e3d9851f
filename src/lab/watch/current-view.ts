/**
 * The stored model and the fault view in one exec into the VPC router: each heartbeat round reads
 * them, so that a readiness sync between iterations knows, without an exec of its own, whether
 * another command (`lab scale`, `lab fault inject`) stored a model or proxy-stuck faults other
 * than those the loop read (then it leaves the change to the loop).
 */
import type { LabModel } from '../../model/types';
import { exec } from '../../runtime/exec';
import { MODEL_PATH } from '../state';
import { FAULT_VIEW_SCRIPT, FaultView, parseFaultView } from '../faults/watch-view';

const SEP = '---K8S-NETLAB-MODEL-END---';

/** `modelText` is JSON.stringify of the stored model (as the loop compares them); undefined when unreadable. */
export async function readCurrentView(model: LabModel): Promise<{ modelText?: string; view: FaultView }> {
  const r = await exec(model.vpc.container, [
    'sh',
    '-c',
    `cat ${MODEL_PATH}; printf '\\n%s\\n' '${SEP}'; ${FAULT_VIEW_SCRIPT}`,
  ]);
  const mark = `\n${SEP}\n`;
  const at = r.stdout.indexOf(mark);
  const stored = at < 0 ? '' : r.stdout.slice(0, at);
  let modelText: string | undefined;
  try {
    modelText = JSON.stringify(JSON.parse(stored));
  } catch {
    modelText = undefined;
  }
  // No model section (the file was unreadable and the output cut short): the rest is still the fault view.
  return { modelText, view: parseFaultView(at < 0 ? r.stdout : r.stdout.slice(at + mark.length), model) };
}
