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
