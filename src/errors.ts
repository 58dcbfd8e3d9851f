/** Error classes that keep `cause` and say how to fix things. The CLI maps them to exit codes. */

export class LabError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number;
  /** A sentence telling the user what to do about it. */
  readonly hint?: string;
  constructor(message: string, opts: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? 1;
    this.hint = opts.hint;
  }
}

/** Bad input: a topology field, a flag, a target. Exit code 2, nothing created. */
export class InputError extends LabError {
  /** Dotted path of the offending field (e.g. `nodes[2].subnet`), when there is one. */
  readonly field?: string;
  constructor(message: string, opts: { field?: string; hint?: string; cause?: unknown } = {}) {
    super(opts.field ? `${opts.field}: ${message}` : message, { exitCode: 2, hint: opts.hint, cause: opts.cause });
    this.field = opts.field;
  }
}

/** Several input errors found in one pass, reported together. */
export class InputErrors extends InputError {
  readonly errors: InputError[];
  constructor(errors: InputError[]) {
    super(errors.map((e) => `  - ${e.message}${e.hint ? `\n      fix: ${e.hint}` : ''}`).join('\n'));
    this.errors = errors;
    this.message = `invalid topology:\n${this.message}`;
  }
}

/** The Docker engine did not answer or refused a request. */
export class EngineError extends LabError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, { exitCode: 3, ...opts });
  }
}

/** A command run inside a lab container failed; carries what it printed. */
export class ExecError extends LabError {
  readonly container: string;
  readonly command: string;
  readonly exitStatus: number;
  readonly stdout: string;
  readonly stderr: string;
  constructor(r: { container: string; command: string; exitStatus: number; stdout: string; stderr: string }) {
    super(
      `command failed in ${r.container} (exit ${r.exitStatus}): ${r.command}\n${r.stderr.trim() || r.stdout.trim()}`,
    );
    this.container = r.container;
    this.command = r.command;
    this.exitStatus = r.exitStatus;
    this.stdout = r.stdout;
    this.stderr = r.stderr;
  }
}

/** A command run inside a lab container did not finish in time; `cause` names the container and argv. */
export class ExecTimeoutError extends LabError {
  readonly container: string;
  readonly argv: string[];
  readonly timeoutMs: number;
  constructor(r: { container: string; argv: string[]; timeoutMs: number }) {
    super(`command timed out after ${r.timeoutMs / 1000} s in ${r.container}: ${r.argv.join(' ').slice(0, 200)}`, {
      hint: 'see why the command hangs (lab exec into the container); pass a longer timeoutMs for a command that is slow by nature',
      cause: { container: r.container, argv: r.argv, timeoutMs: r.timeoutMs },
    });
    this.container = r.container;
    this.argv = r.argv;
    this.timeoutMs = r.timeoutMs;
  }
}
