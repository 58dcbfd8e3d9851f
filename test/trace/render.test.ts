import { analyzeTrace, TraceResult } from '../../src/trace/analyze';
import {
  renderTraceHtml,
  renderTraceMarkdown,
  renderTraceMermaid,
  renderTraceSvg,
  renderTraceText,
  tracePoints,
} from '../../src/trace/render';
import { Scenario, T0 } from './fixtures';

const P = ['node1/pod1:eth0', 'node1:eth0', 'node2/pod3:eth0'];
const marker = 'k8s-netlab-trace-r1';

/** Pod -> VIP (DNAT at node1), reply un-DNATed; optionally dropped after node1. */
function trace(opts: { drop?: boolean; extraPoint?: boolean } = {}): TraceResult {
  const points = opts.extraPoint ? [...P, 'vpc:v-node2'] : P;
  const sc = new Scenario(points);
  const dst = [
    ['10.96.0.20', 80],
    ['10.244.1.3', 8080],
    ['10.244.1.3', 8080],
  ] as const;
  const payload = `GET /${marker} HTTP/1.1\r\nX-Weird: a|b<c>&"d';#\r\n\r\n`;
  const reach = opts.drop ? 2 : 3;
  for (let i = 0; i < reach; i++) {
    sc.at(P[i]).packet(T0 + i * 0.001, {
      src: '10.244.0.5',
      dst: dst[i][0],
      ttl: i ? 63 : 64,
      id: 1,
      tcp: { sport: 41000, dport: dst[i][1], seq: 1, ack: 1, flags: 'P.' },
      payload,
    });
  }
  if (opts.extraPoint) {
    // Seen between node1 and node2 by time, though not in the path order.
    sc.at('vpc:v-node2').packet(T0 + 0.0015, {
      src: '10.244.0.5',
      dst: '10.244.1.3',
      ttl: 62,
      id: 1,
      tcp: { sport: 41000, dport: 8080, seq: 1, ack: 1, flags: 'P.' },
      payload,
    });
  }
  if (!opts.drop) {
    for (let j = 0; j < 3; j++) {
      const i = 2 - j;
      sc.at(P[i]).packet(T0 + 0.01 + j * 0.001, {
        src: dst[i][0],
        dst: '10.244.0.5',
        ttl: 64 - j,
        id: 2,
        tcp: { sport: dst[i][1], dport: 41000, seq: 1, ack: 1 + payload.length, flags: 'P.' },
        payload: 'OK',
      });
    }
  }
  return analyzeTrace({ path: 'pod-to-service', hops: sc.hops(), order: P, marker });
}

/** Minimal XML well-formedness: balanced tags, quoted attributes, no raw < or bare & in text. */
function checkXml(s: string): { tags: Map<string, number> } {
  const stack: string[] = [];
  const tags = new Map<string, number>();
  const body = s.replace(/^<!DOCTYPE[^>]*>/i, '');
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    const text = body.slice(last, m.index);
    if (/</.test(text)) throw new Error(`stray < before ${m[0]}: ${text.slice(0, 60)}`);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(text)) throw new Error(`bare & in ${text.slice(0, 60)}`);
    last = re.lastIndex;
    const [, close, name, , self] = m;
    tags.set(name, (tags.get(name) ?? 0) + (close ? 0 : 1));
    if (self) continue;
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!['meta'].includes(name)) stack.push(name);
  }
  if (/</.test(body.slice(last))) throw new Error('unparsed tag at end');
  if (stack.length) throw new Error(`unclosed: ${stack.join(', ')}`);
  return { tags };
}

describe('text', () => {
  it('prints a table with n, point, src, dst, change, pcap#frame and a reply section', () => {
    const r = trace();
    const t = renderTraceText(r);
    const lines = t.trimEnd().split('\n');
    expect(lines[1].split(/\s{2,}/)).toEqual(['n', 'point', 'src', 'dst', 'change', 'pcap#frame']);
    const row2 = lines.find((l) => l.startsWith('2 '))!;
    expect(row2).toContain('DNAT 10.96.0.20:80 -> 10.244.1.3:8080');
    expect(row2).toContain(`node1@eth0.pcap#${r.hops[1].frame}`);
    expect(lines.indexOf('-- reply --')).toBe(lines.findIndex((l) => l.startsWith('4 ')) - 1);
    expect(t).toContain('un-DNAT 10.244.1.3:8080 -> 10.96.0.20:80');
    expect(lines.filter((l) => /^\d+ /.test(l))).toHaveLength(6);
  });

  it('says where the request was last seen when it is dropped', () => {
    const t = renderTraceText(trace({ drop: true }));
    expect(t).toContain('request not seen at: node2/pod3:eth0 (last seen at node1:eth0)');
    expect(t).toContain('no reply seen');
    expect(t).not.toContain('-- reply --');
  });
});

describe('markdown', () => {
  it('numbers the life of the packet and repeats it as a table citing frames', () => {
    const r = trace();
    const md = renderTraceMarkdown(r);
    expect(md).toMatch(/^## Life of a packet: pod-to-service/);
    const items = md.split('\n').filter((l) => /^\d+\. \*\*/.test(l));
    expect(items).toHaveLength(r.hops.length);
    expect(items[1]).toContain('**DNAT 10.96.0.20:80 -> 10.244.1.3:8080**');
    expect(items[1]).toContain(`\`node1@eth0.pcap#${r.hops[1].frame}\``);
    expect(md.indexOf('**Reply**')).toBeGreaterThan(md.indexOf('**Request**'));
    const tableRows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| n '));
    expect(tableRows).toHaveLength(r.hops.length);
    for (const row of tableRows) expect(row.split(/(?<!\\)\|/).length).toBe(9);
  });
});

describe('mermaid', () => {
  it('declares points in path order and draws an arrow per hop between points', () => {
    const r = trace();
    const mm = renderTraceMermaid(r);
    const lines = mm.trimEnd().split('\n');
    expect(lines[0]).toBe('sequenceDiagram');
    expect(lines.filter((l) => l.includes('participant')).map((l) => l.split(' as ')[1])).toEqual(P);
    const arrows = lines.filter((l) => /^\s+P\d+-?->>P\d+: /.test(l));
    // 6 hops: the first of each direction is a note (no movement), the other 4 are arrows.
    expect(arrows).toHaveLength(4);
    expect(arrows.filter((l) => l.includes('-->>'))).toHaveLength(2);
    expect(mm).toContain('P0->>P1: 2. 10.244.0.5:41000 → 10.244.1.3:8080<br/>DNAT 10.96.0.20:80 -> 10.244.1.3:8080');
    expect(lines.filter((l) => l.includes('Note over'))).toHaveLength(2);
    expect(mm).not.toMatch(/;/);
  });

  it('marks missing points', () => {
    const mm = renderTraceMermaid(trace({ drop: true }));
    expect(mm).toContain('Note over P2: ✗ request not seen here');
    expect(mm).toContain('no reply seen');
  });
});

describe('svg and html', () => {
  it('is well-formed, has one hop group per hop, arrows between points, highlighted NAT text', () => {
    const r = trace();
    const svg = renderTraceSvg(r);
    const { tags } = checkXml(svg);
    expect(tags.get('svg')).toBe(1);
    expect(svg.match(/<g class="hop"/g)).toHaveLength(r.hops.length);
    expect(svg.match(/<line class="arrow"/g)).toHaveLength(4);
    expect(svg.match(/<g class="point"/g)).toHaveLength(3);
    expect(svg).toMatch(
      /<text class="change change-DNAT"[^>]*font-weight="bold"[^>]*>DNAT 10\.96\.0\.20:80 -&gt; 10\.244\.1\.3:8080/,
    );
    expect(svg).toContain('class="change change-un-DNAT"');
    expect(svg.match(/class="highlight"/g)).toHaveLength(2);
    expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // nothing external
  });

  it('marks a missing point and escapes text', () => {
    const r = trace({ drop: true });
    r.path = 'a<b & "c"';
    const svg = renderTraceSvg(r);
    checkXml(svg);
    expect(svg).toContain('a&lt;b &amp; &quot;c&quot;');
    expect(svg).toMatch(/<g class="point" data-point="node2\/pod3:eth0">\n<rect[^>]*stroke="#c0392b"/);
    expect(svg).toContain('>not seen<');
  });

  it('places a point outside the path order by time', () => {
    const r = trace({ extraPoint: true });
    expect(tracePoints(r)).toEqual(['node1/pod1:eth0', 'node1:eth0', 'vpc:v-node2', 'node2/pod3:eth0']);
    expect(r.hops.filter((h) => h.direction === 'request').map((h) => h.point)).toEqual([
      'node1/pod1:eth0',
      'node1:eth0',
      'vpc:v-node2',
      'node2/pod3:eth0',
    ]);
    checkXml(renderTraceSvg(r));
  });

  it('embeds the SVG and the hop table in a standalone page', () => {
    const r = trace();
    const html = renderTraceHtml(r);
    const { tags } = checkXml(html);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(tags.get('svg')).toBe(1);
    expect(tags.get('tr')).toBe(r.hops.length + 1);
    expect(html).not.toMatch(/<script|<link /);
    expect(html.match(/<tr class="[^"]*nat/g)).toHaveLength(2);
  });
});
