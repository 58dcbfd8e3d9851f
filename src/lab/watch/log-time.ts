/** `12:00:01`, local time, for the loop's lines. */
export function clock(d = new Date()): string {
  return d.toTimeString().slice(0, 8);
}

/** `12:00:01.234`, local time: when a decision is due, to the millisecond. */
export function clockMs(d: Date): string {
  return `${clock(d)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
