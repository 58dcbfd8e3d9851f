/** The `lab` command line: one thin module per command under cmds/. */
import { readFileSync } from 'fs';
import * as path from 'path';
import yargs from 'yargs';
import { LabError } from '../errors';
import { checkNameArgs } from './common';
import { COMMANDS, lazyCommand } from './commands';
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
      .command(COMMANDS.map(lazyCommand))
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
