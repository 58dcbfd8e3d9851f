/**
 * A small RFC 1035 master-file parser (section 5): $ORIGIN, $TTL, `@`, relative names, blank
 * owners, optional TTL/class in either order, parentheses spanning lines, `;` comments, quoted
 * strings. Records come out in the presentation form dig prints (records.ts RR), so tests and the
 * lab's DNS probes can compare served answers with the zone text. $INCLUDE is refused: the lab's
 * zones are single files.
 */
import { parseIp } from '../net/ipv4';
import type { RR } from './records';

export class ZoneParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'ZoneParseError';
  }
}

export interface ParsedZone {
  /** The last $ORIGIN seen (or the one given), absolute. */
  origin: string;
  records: RR[];
}

const CLASSES = new Set(['IN', 'CH', 'HS', 'CS']);
const KNOWN_TYPES = new Set([
  'A',
  'AAAA',
  'NS',
  'CNAME',
  'PTR',
  'DNAME',
  'SOA',
  'MX',
  'SRV',
  'TXT',
  'SPF',
  'CAA',
  'HINFO',
  'NAPTR',
  'DS',
  'DNSKEY',
  'RRSIG',
  'NSEC',
  'OPT',
]);
const TTL_RE = /^(\d+|(\d+[smhdwSMHDW])+)$/;

interface Token {
  text: string;
  quoted: boolean;
}

interface Logical {
  tokens: Token[];
  /** The record's first line began with blank space: the owner is the previous one. */
  indented: boolean;
  line: number;
}

/** Splits master-file text into logical records (parentheses joined, comments dropped). */
function logicalRecords(text: string): Logical[] {
  const out: Logical[] = [];
  let cur: Logical | undefined;
  let depth = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const lineNo = i + 1;
    if (depth === 0) {
      if (cur && cur.tokens.length) out.push(cur);
      cur = { tokens: [], indented: /^[ \t]/.test(line), line: lineNo };
    }
    let j = 0;
    while (j < line.length) {
      const c = line[j];
      if (c === ' ' || c === '\t') {
        j++;
      } else if (c === ';') {
        break;
      } else if (c === '(') {
        depth++;
        j++;
      } else if (c === ')') {
        if (depth === 0) throw new ZoneParseError('unbalanced ")"', lineNo);
        depth--;
        j++;
      } else if (c === '"') {
        let k = j + 1;
        let s = '';
        while (k < line.length && line[k] !== '"') {
          if (line[k] === '\\' && k + 1 < line.length) {
            s += line[k] + line[k + 1];
            k += 2;
          } else s += line[k++];
        }
        if (k >= line.length) throw new ZoneParseError('unterminated quoted string', lineNo);
        cur!.tokens.push({ text: s, quoted: true });
        j = k + 1;
      } else {
        let k = j;
        let s = '';
        while (k < line.length && !' \t;()"'.includes(line[k])) {
          if (line[k] === '\\' && k + 1 < line.length) {
            s += line[k] + line[k + 1];
            k += 2;
          } else s += line[k++];
        }
        cur!.tokens.push({ text: s, quoted: false });
        j = k;
      }
    }
  }
  if (depth !== 0) throw new ZoneParseError('unbalanced "(" at end of file', lines.length);
  if (cur && cur.tokens.length) out.push(cur);
  return out;
}

/** `1h30m` -> 5400; plain numbers as is. */
export function parseTtl(s: string): number | undefined {
  if (!TTL_RE.test(s)) return undefined;
  if (/^\d+$/.test(s)) return Number(s);
  const mult: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const m of s.toLowerCase().matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * mult[m[2]];
  return total;
}

function absName(tok: string, origin: string, line: number): string {
  if (tok === '@') return origin;
  if (tok.length === 0) throw new ZoneParseError('empty name', line);
  const t = tok.toLowerCase();
  if (t.endsWith('.') && !t.endsWith('\\.')) return t;
  return origin === '.' ? `${t}.` : `${t}.${origin}`;
}

function isType(tok: string): boolean {
  const t = tok.toUpperCase();
  return KNOWN_TYPES.has(t) || /^TYPE\d+$/.test(t);
}

function num(tok: Token | undefined, what: string, line: number, max = 65535): number {
  if (!tok || !/^\d+$/.test(tok.text))
    throw new ZoneParseError(`${what}: expected a number, got ${tok ? `"${tok.text}"` : 'nothing'}`, line);
  const n = Number(tok.text);
  if (n > max) throw new ZoneParseError(`${what}: ${n} is larger than ${max}`, line);
  return n;
}

function rdataText(type: string, rd: Token[], origin: string, line: number): string {
  const want = (n: number) => {
    if (rd.length !== n) throw new ZoneParseError(`${type} needs ${n} RDATA field(s), got ${rd.length}`, line);
  };
  const name = (t: Token) => absName(t.text, origin, line);
  switch (type) {
    case 'A':
      want(1);
      if (parseIp(rd[0].text) === undefined)
        throw new ZoneParseError(`A: "${rd[0].text}" is not an IPv4 address`, line);
      return rd[0].text;
    case 'AAAA':
      want(1);
      if (!/^[0-9a-fA-F:.]+$/.test(rd[0].text) || !rd[0].text.includes(':'))
        throw new ZoneParseError(`AAAA: "${rd[0].text}" is not an IPv6 address`, line);
      return rd[0].text.toLowerCase();
    case 'NS':
    case 'CNAME':
    case 'PTR':
    case 'DNAME':
      want(1);
      return name(rd[0]);
    case 'MX':
      want(2);
      return `${num(rd[0], 'MX preference', line)} ${name(rd[1])}`;
    case 'SRV':
      want(4);
      return `${num(rd[0], 'SRV priority', line)} ${num(rd[1], 'SRV weight', line)} ${num(rd[2], 'SRV port', line)} ${name(rd[3])}`;
    case 'SOA': {
      want(7);
      const nums = rd.slice(2).map((t, i) => {
        const v = i === 0 ? (/^\d+$/.test(t.text) ? Number(t.text) : undefined) : parseTtl(t.text);
        if (v === undefined || v > 0xffffffff) throw new ZoneParseError(`SOA: "${t.text}" is not a valid number`, line);
        return v;
      });
      return `${name(rd[0])} ${name(rd[1])} ${nums.join(' ')}`;
    }
    case 'TXT':
    case 'SPF':
      if (rd.length === 0) throw new ZoneParseError(`${type} needs at least one string`, line);
      return rd.map((t) => `"${t.text}"`).join(' ');
    default:
      return rd.map((t) => (t.quoted ? `"${t.text}"` : t.text)).join(' ');
  }
}

/**
 * Parses master-file text. `origin` is the initial $ORIGIN (default `.`); `defaultTtl` applies
 * until a $TTL or an explicit TTL sets one (RFC 2308: a record without TTL takes $TTL, else the
 * last explicit TTL).
 */
export function parseZone(text: string, opts: { origin?: string; defaultTtl?: number } = {}): ParsedZone {
  let origin = opts.origin
    ? opts.origin.endsWith('.')
      ? opts.origin.toLowerCase()
      : `${opts.origin.toLowerCase()}.`
    : '.';
  let defaultTtl = opts.defaultTtl;
  let lastTtl: number | undefined;
  let lastOwner: string | undefined;
  const records: RR[] = [];
  for (const rec of logicalRecords(text)) {
    const toks = rec.tokens;
    const first = toks[0].text;
    if (!rec.indented && !toks[0].quoted && first.startsWith('$')) {
      const d = first.toUpperCase();
      if (d === '$ORIGIN') {
        if (toks.length !== 2) throw new ZoneParseError('$ORIGIN takes one name', rec.line);
        origin = absName(toks[1].text, origin, rec.line);
      } else if (d === '$TTL') {
        const t = toks[1] ? parseTtl(toks[1].text) : undefined;
        if (t === undefined) throw new ZoneParseError('$TTL takes a time value', rec.line);
        defaultTtl = t;
      } else if (d === '$INCLUDE') {
        throw new ZoneParseError('$INCLUDE is not supported', rec.line);
      } else throw new ZoneParseError(`unknown directive ${first}`, rec.line);
      continue;
    }
    let i = 0;
    let owner: string;
    if (rec.indented) {
      if (lastOwner === undefined)
        throw new ZoneParseError('record without owner name and no previous owner', rec.line);
      owner = lastOwner;
    } else {
      owner = absName(first, origin, rec.line);
      i = 1;
    }
    let ttl: number | undefined;
    let cls: string | undefined;
    for (let k = 0; k < 2 && i < toks.length && !isType(toks[i].text); k++) {
      const t = toks[i].text;
      if (ttl === undefined && parseTtl(t) !== undefined) ttl = parseTtl(t);
      else if (cls === undefined && CLASSES.has(t.toUpperCase())) cls = t.toUpperCase();
      else break;
      i++;
    }
    if (i >= toks.length || !isType(toks[i].text))
      throw new ZoneParseError(
        `expected a record type, got ${toks[i] ? `"${toks[i].text}"` : 'end of record'}`,
        rec.line,
      );
    if (cls !== undefined && cls !== 'IN')
      throw new ZoneParseError(`class ${cls} is not supported (IN only)`, rec.line);
    const type = toks[i].text.toUpperCase();
    const data = rdataText(type, toks.slice(i + 1), origin, rec.line);
    if (ttl === undefined) ttl = defaultTtl ?? lastTtl;
    if (ttl === undefined) throw new ZoneParseError('no TTL and no $TTL before this record', rec.line);
    lastTtl = ttl;
    lastOwner = owner;
    records.push({ name: owner, ttl, type, data });
  }
  return { origin, records };
}

/** One record line as dig prints it (`name ttl IN type rdata`), absolute names. */
export function parseRRLine(line: string): RR {
  const { records } = parseZone(line, { origin: '.', defaultTtl: 0 });
  if (records.length !== 1) throw new ZoneParseError(`expected one record, got ${records.length}`, 1);
  return records[0];
}
