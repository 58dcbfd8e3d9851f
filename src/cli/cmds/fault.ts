/** lab fault inject|list|clear: break a running lab on purpose, see it, undo it. */
import { Argv } from 'yargs';
import * as inject from './fault-inject';
import * as list from './fault-list';
import * as clear from './fault-clear';
import { FAULT_KINDS } from '../../faults/render';

export const command = 'fault <command>';
export const describe = `inject, list and clear faults (${FAULT_KINDS.join(', ')})`;

export function builder(y: Argv) {
  return y.command(inject).command(list).command(clear).demandCommand(1, 'say inject, list or clear');
}

export function handler(): void {
  // the subcommands do the work
}
