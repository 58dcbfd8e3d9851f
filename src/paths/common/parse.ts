/** Parsers for what `ip` and `bridge` print (curl, ping, dig and conntrack parsers live in src/observe). */

/** The first IPv4 address of `ip -4 -o addr show DEV`. */
export function parseIfaceAddr(out: string): string | undefined {
  return /inet ([0-9.]+)\//.exec(out)?.[1];
}

/** `ip route get` → {via, dev, src}. */
export function parseRouteGet(out: string): { via?: string; dev?: string; src?: string } {
  return {
    via: / via ([0-9.]+)/.exec(out)?.[1],
    dev: / dev (\S+)/.exec(out)?.[1],
    src: / src ([0-9.]+)/.exec(out)?.[1],
  };
}

/** MACs listed by `bridge fdb show br cbr0` that the bridge learned (not permanent). */
export function parseLearnedMacs(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.trim() && !/permanent/.test(l))
    .map((l) => l.split(' ')[0].toLowerCase());
}
