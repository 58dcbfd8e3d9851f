/** Shell quoting for scripts the plans render; every value that reaches sh goes through q(). */
export function q(s: string | number): string {
  const v = String(s);
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(v)) return v;
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** A script with `set -eu` and one command per line. */
export function script(lines: string[]): string {
  return ['set -eu', ...lines].join('\n') + '\n';
}

/** A quoted heredoc (no expansion) feeding `content` to `command`; the tag is made unique against the content. */
export function heredoc(command: string, content: string, tag = 'K8S_NETLAB_EOF'): string[] {
  let t = tag;
  while (content.includes(t)) t += '_';
  return [`${command} <<'${t}'`, content.replace(/\n?$/, ''), t];
}

export interface WriteFileOptions {
  tag?: string;
  /** Make the file's directory first. */
  mkdir?: boolean;
  /** Write to path.tmp and rename: a reader polling the file never sees half of it. */
  atomic?: boolean;
}

/** Lines writing `content` to `path` verbatim. */
export function writeFileLines(path: string, content: string, opts: WriteFileOptions = {}): string[] {
  const to = opts.atomic ? `${path}.tmp` : path;
  return [
    ...(opts.mkdir ? [`mkdir -p ${q(path.replace(/\/[^/]*$/, '') || '/')}`] : []),
    ...heredoc(`cat > ${q(to)}`, content, opts.tag),
    ...(opts.atomic ? [`mv ${q(to)} ${q(path)}`] : []),
  ];
}

/** One run of a program (from images/) by `python3 -`, its source fed on standard input. */
export function runPython(source: string, args: Array<string | number>, tag = 'K8S_NETLAB_PY'): string {
  return heredoc(['python3', '-', ...args.map(q)].join(' '), source, tag).join('\n') + '\n';
}

/** How long a rendered wait polls by default before it gives up. */
export const WAIT_TIMEOUT_SEC = 20;

export interface WaitOptions {
  /** What is awaited, for the failure message: `<what>: not after <N> s`. */
  what: string;
  timeoutSec?: number;
  /** Shell run after the message when the wait times out (e.g. print the server's log to stderr). */
  onTimeout?: string;
  /** `fail` (default): exit 1 after the message; `continue`: stop waiting and go on (a best-effort wait). */
  then?: 'fail' | 'continue';
}

/**
 * One wait for every script: polls the shell condition `cond` every 0.1 s until it holds or the
 * deadline passes (wall-clock, so a slow condition cannot stretch the bound).
 */
export function waitUntil(cond: string, o: WaitOptions): string {
  const sec = o.timeoutSec ?? WAIT_TIMEOUT_SEC;
  const give =
    o.then === 'continue'
      ? 'break'
      : `echo ${q(`${o.what}: not after ${sec} s`)} >&2; ${o.onTimeout ? `${o.onTimeout}; ` : ''}exit 1`;
  // Whole seconds from `date +%s`: giving up only when the clock is past the end waits sec to sec + 1 s.
  return `_wait_end=$(($(date +%s) + ${sec})); until ${cond}; do if [ "$(date +%s)" -gt $_wait_end ]; then ${give}; fi; sleep 0.1; done`;
}
