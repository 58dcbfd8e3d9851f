/**
 * Lab names given on the command line, and who started a lab from which file (labels on its VPC
 * container), so a command without --name never picks someone else's lab.
 */
import { userInfo } from 'os';
import { InputError } from '../errors';
import { dns1123LabelProblem } from '../topology/names';

/** Who ran `lab up` (uid:name), on the VPC container. */
export const LABEL_USER = 'k8s-netlab.user';
/** The absolute path of the topology file `lab up` loaded, on the VPC container. */
export const LABEL_TOPOLOGY = 'k8s-netlab.topology';

export interface LabOrigin {
  lab: string;
  user?: string;
  topology?: string;
}

/** This process's user as the labels spell it. */
export function currentUser(): string {
  try {
    const u = userInfo();
    return `${u.uid}:${u.username}`;
  } catch {
    return `${process.getuid?.() ?? '?'}:?`;
  }
}

/**
 * A --name value: never empty (an unset shell variable is not "no name"), a DNS-1123 label as
 * topology names are. Throws InputError (exit 2) naming --name and the fix.
 */
export function checkLabName(name: string): string {
  if (name.trim() === '')
    throw new InputError(
      'is empty (an unset variable, as in --name "$UNSET"?); an empty name does not mean "no name"',
      {
        field: '--name',
        hint: "give the lab's name (lab status lists the running labs), or leave --name out",
      },
    );
  const problem = dns1123LabelProblem(name);
  if (problem) throw new InputError(problem, { field: '--name', hint: 'use a DNS-1123 label, e.g. guide' });
  return name;
}
