/**
 * dig as probes read it (`dig +noall +comments +answer`): the response code and the answer
 * records, names lower-cased and fully qualified. Written apart from the lab's zone code so a
 * probe's reading of an answer shares nothing with how the lab rendered it.
 */

export interface DigRecord {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

export interface DigAnswer {
  /** NOERROR, NXDOMAIN, SERVFAIL...; undefined when no response arrived (see error). */
  status?: string;
  answers: DigRecord[];
  error?: string;
}

const lower = (s: string) => s.toLowerCase();

/** Parses one dig invocation's output; when several responses are printed, the last counts. */
/** A line of dig's output that says the query failed (time-out, refused, unreachable), as text; else undefined. */
export function digError(line: string): string | undefined {
  if (/^dig:/.test(line)) return line;
  if (
    line.startsWith(';') &&
    /timed out|no servers could be reached|communications error|connection refused|couldn't get address|network unreachable/i.test(
      line,
    )
  )
    return line.replace(/^;+\s*/, '');
  return undefined;
}

export function parseDig(text: string): DigAnswer {
  let res: DigAnswer = { answers: [] };
  let error: string | undefined;
  let inAnswer = true;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const h = /->>HEADER<<-.*status:\s*([A-Z0-9]+)/.exec(line);
    if (h) {
      res = { status: h[1], answers: [] };
      inAnswer = true;
      continue;
    }
    const sec = /^;;\s*([A-Z ]+) SECTION:/.exec(line);
    if (sec) {
      inAnswer = sec[1] === 'ANSWER';
      continue;
    }
    if (line.startsWith(';') || /^dig:/.test(line)) {
      error = digError(line) ?? error;
      continue;
    }
    const f = line.split(/\s+/);
    if (!inAnswer || f.length < 5 || f[2] !== 'IN') continue;
    const type = f[3].toUpperCase();
    let data = f.slice(4).join(' ');
    if (['CNAME', 'PTR', 'SRV', 'NS'].includes(type)) data = lower(data);
    if (type === 'TXT') data = data.replace(/^"|"$/g, '');
    res.answers.push({ name: lower(f[0]), ttl: Number(f[1]), type, data });
  }
  if (res.status === undefined && error) res.error = error;
  return res;
}

/** `NOERROR A 10.96.0.1, A 10.96.0.2` (or dig's error): what the table and reasons show. */
export function describeDig(d: DigAnswer): string {
  if (d.status === undefined) return d.error ?? 'no response';
  return `${d.status} ${d.answers.map((a) => `${a.type} ${a.data}`).join(', ') || '(no records)'}`;
}
