/** `12:00:01`, local time, for the loop's lines. */
export function clock(d = new Date()): string {
  return d.toTimeString().slice(0, 8);
}
