/** The `lab` command line: one thin module per command under cmds/. */
import { readFileSync } from 'fs';
import * as path from 'path';
import yargs from 'yargs';
import { LabError } from '../errors';
import { checkNameArgs } from './common';
import * as up from './cmds/up';
import * as down from './cmds/down';
import * as status from './cmds/status';
import * as execCmd from './cmds/exec';
import * as verify from './cmds/verify';
import * as images from './cmds/images';
import * as doctor from './cmds/doctor';
import * as capture from './cmds/capture';
import * as trace from './cmds/trace';
import * as apply from './cmds/apply';
import * as scale from './cmds/scale';
import * as deleteCmd from './cmds/delete';
import * as watch from './cmds/watch';
import * as rules from './cmds/rules';
import * as graph from './cmds/graph';
import * as ui from './cmds/ui';
import * as fault from './cmds/fault';
import * as load from './cmds/load';
import { PROJECT_ROOT } from './common';

/** The installed package's version (package.json ships with it). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Prints an error as a user should see it: message, the fix, and the cause chain with --debug. */
export function reportError(err: unknown, debug = false): number {
  if (err instanceof LabError) {
    console.error(`error: ${err.message}`);
    if (err.hint) console.error(`fix: ${err.hint}`);
    if (debug && err.cause) console.error('cause:', err.cause);
    return err.exitCode;
  }
  console.error(debug ? err : `error: ${(err as Error)?.message ?? err}`);
  return 1;
}

export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  try {
    checkNameArgs(argv);
    await yargs(argv)
      .scriptName('lab')
      .parserConfiguration({ 'populate--': true })
      .option('debug', { type: 'boolean', describe: 'print error causes and stacks', global: true })
      .command(up)
      .command(down)
      .command(status)
      .command(execCmd)
      .command(verify)
      .command(images)
      .command(doctor)
      .command(capture)
      .command(trace)
      .command(apply)
      .command(scale)
      .command(deleteCmd)
      .command(watch)
      .command(rules)
      .command(graph)
      .command(ui)
      .command(fault)
      .command(load)
      .completion('completion', 'print a bash/zsh completion script (lab completion >> ~/.bashrc)')
      .version(packageVersion())
      .demandCommand(1, 'say what to do: lab up, lab verify, lab down ... (lab --help lists all)')
      .strict()
      .fail((msg, err) => {
        if (err) throw err;
        // yargs usage errors are bad input too: exit 2 with the message.
        console.error(`error: ${msg}\nfix: see lab --help`);
        process.exit(2);
      })
      .help()
      .parseAsync();
  } catch (err) {
    process.exitCode = reportError(err, debug);
  }
}
