// lab ui page: draws the SVG the server laid out with Graphviz, keeps it live from server-sent
// events, and animates lab trace hop by hop over it. Plain browser JS, no build step, no fetches
// outside this server.
'use strict';
const token = new URLSearchParams(location.search).get('token');
const api = (p) => p + (token ? (p.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : '');
const $ = (id) => document.getElementById(id);
const SVGNS = 'http://www.w3.org/2000/svg';
const COLOR = { request: '#1565c0', reply: '#ef6c00' };
let animating = false;
let pending = null;
// The last verify's colours, laid again on every redraw of the picture.
let picture = null;

/** Graphviz writes each vertex as <g class="node"><title>ID</title>…; tag them so the page can find them. */
function vertexElements() {
  const map = new Map();
  for (const g of document.querySelectorAll('#graph g.node')) {
    const id = g.querySelector('title').textContent;
    g.setAttribute('data-vertex', id);
    map.set(id, g);
  }
  return map;
}

function render(snap) {
  if (animating) {
    pending = snap;
    return;
  }
  $('graph').innerHTML = snap.svg;
  for (const [id, el] of vertexElements()) {
    // A node's cbr0 or its `N pods` box opens and closes that node's pods.
    const m = /^node\/([^/]+)\/(cbr0|pods)$/.exec(id);
    if (m) {
      el.style.cursor = 'pointer';
      el.onclick = () => fetch(api('/api/toggle?node=' + encodeURIComponent(m[1])), { method: 'POST' });
    }
  }
  paint();
  const g = snap.graph;
  document.title = 'lab ' + g.lab;
  $('title').textContent = 'lab ' + g.lab;
  const pods =
    g.vertices.filter((v) => v.kind === 'pod').length +
    g.vertices.filter((v) => v.kind === 'pods').reduce((k, v) => k + parseInt(v.lines[0], 10), 0);
  const down = g.vertices.filter((v) => v.state === 'down' && v.kind === 'pod').length;
  $('live').textContent =
    `${pods} pods, ${down} down · cni ${g.cni}, kube-proxy ${g.proxy} · updated ${new Date().toLocaleTimeString()}`;
  $('live').className = 'live ' + (down ? 'bad' : 'ok');
}

function center(el) {
  const b = el.getBBox();
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

function moveTo(dot, label, from, to, ms) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const step = (now) => {
      const k = Math.min(1, (now - t0) / ms);
      const x = from.x + (to.x - from.x) * k;
      const y = from.y + (to.y - from.y) * k;
      dot.setAttribute('cx', x);
      dot.setAttribute('cy', y);
      label.setAttribute('x', x + 12);
      label.setAttribute('y', y - 10);
      if (k < 1) requestAnimationFrame(step);
      else resolve();
    };
    requestAnimationFrame(step);
  });
}

async function animate(doc) {
  const els = vertexElements();
  const root = document.querySelector('#graph svg g.graph');
  const dot = document.createElementNS(SVGNS, 'circle');
  dot.setAttribute('id', 'packet');
  dot.setAttribute('r', 9);
  const label = document.createElementNS(SVGNS, 'text');
  label.setAttribute('class', 'packet-label');
  root.appendChild(dot);
  root.appendChild(label);
  const visited = [];
  let at = null;
  const items = [...document.querySelectorAll('#hops li')];
  for (const [i, h] of doc.hops.entries()) {
    const el = (h.vertex && els.get(h.vertex)) || (h.collapsed && els.get(h.collapsed));
    if (!el) {
      items[i].classList.add('done');
      continue;
    }
    const to = center(el);
    dot.setAttribute('fill', COLOR[h.direction]);
    label.setAttribute('fill', COLOR[h.direction]);
    label.textContent = `${h.src} → ${h.dst}${h.change && h.change !== '-' && h.change !== 'none' ? '  [' + h.change + ']' : ''}`;
    await moveTo(dot, label, at || to, to, at ? 700 : 1);
    el.classList.add('visited-' + h.direction);
    items[i].classList.add('done');
    visited.push(h.vertex);
    dot.setAttribute('data-at', h.vertex);
    dot.setAttribute('data-visited', visited.join(' '));
    at = to;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function runTrace() {
  const id = $('trace-path').value;
  $('trace-run').disabled = true;
  document.body.dataset.trace = 'running';
  $('trace-status').textContent = `tracing ${id} (captures at every hop)…`;
  $('hops').innerHTML = '';
  $('pcaps').innerHTML = '';
  try {
    const res = await fetch(api('/api/trace?path=' + encodeURIComponent(id)), { method: 'POST' });
    const doc = await res.json();
    if (!res.ok) throw new Error(doc.error);
    const branch = doc.branch ? ` via ${doc.branch.label}` : '';
    $('trace-status').textContent =
      `${doc.from} → ${doc.to}${branch}: ${doc.replied ? 'reply came back' : 'NO reply'}${doc.missing && doc.missing.length ? ', not seen at ' + doc.missing.join(', ') : ''}`;
    for (const h of doc.hops) {
      const li = document.createElement('li');
      li.className = h.direction;
      li.dataset.vertex = h.vertex || '';
      const nat = /DNAT|SNAT|masquerade|encap/i.test(h.change);
      li.innerHTML = '';
      li.append(`${h.point}  ${h.src} → ${h.dst} `);
      const c = document.createElement('span');
      c.className = 'change' + (nat ? ' nat' : '');
      c.textContent = h.change;
      li.append(c);
      const a = document.createElement('a');
      a.href = api(`/api/pcap/${doc.trace}/${encodeURIComponent(h.pcap)}`);
      a.textContent = ` ${h.pcap}#${h.frame}`;
      li.append(a);
      $('hops').append(li);
    }
    for (const f of doc.files) {
      const a = document.createElement('a');
      a.href = api(`/api/pcap/${doc.trace}/${encodeURIComponent(f)}`);
      a.textContent = f;
      a.download = f;
      $('pcaps').append(a, document.createElement('br'));
    }
    animating = true;
    await animate(doc);
  } catch (err) {
    $('trace-status').textContent = 'trace failed: ' + err.message;
  } finally {
    animating = false;
    $('trace-run').disabled = false;
    document.body.dataset.trace = 'done';
    if (pending) {
      const p = pending;
      pending = null;
      setTimeout(() => render(p), 3000);
    }
  }
}

/** Verify colours on the picture: each vertex a probe touched, green when all its probes passed, red when any failed. */
function paint() {
  if (!picture) return;
  for (const [id, el] of vertexElements()) {
    el.classList.remove('verdict-pass', 'verdict-fail');
    const v = picture.vertices[id];
    if (v) {
      el.classList.add('verdict-' + v);
      el.setAttribute('data-verdict', v);
    } else el.removeAttribute('data-verdict');
  }
}

/** Each path green or red (a path list verify filled). */
function showPaths(p) {
  $('paths').innerHTML = '';
  for (const [id, v] of Object.entries(p.paths).sort()) {
    const li = document.createElement('li');
    li.className = v === 'pass' ? 'ok' : 'bad';
    li.dataset.path = id;
    li.textContent = id;
    $('paths').append(li);
  }
}

/** The truth table as the upstream netpol e2e prints it, one table per port/protocol: `.` allowed, `X` denied, `!` differs from the oracle. */
function showMatrix(m) {
  const mark = (v) => (v === 'allowed' ? '.' : v === 'denied' ? 'X' : '?');
  $('matrix').innerHTML = '';
  $('matrix-status').textContent = `${m.cells.length} cells, ${m.mismatches} differ from the oracle`;
  $('matrix-status').className = m.mismatches ? 'bad' : 'ok';
  for (const t of m.tables) {
    const table = document.createElement('table');
    table.className = 'matrix';
    table.dataset.table = t;
    const head = table.insertRow();
    head.insertCell().textContent = t;
    for (const d of m.destinations) head.insertCell().textContent = d;
    for (const s of m.sources) {
      const row = table.insertRow();
      row.insertCell().textContent = s;
      for (const d of m.destinations) {
        const td = row.insertCell();
        const c = m.cells.find((x) => x.from === s && x.to === d && `${x.port}/${x.protocol}` === t);
        if (!c) continue;
        const ok = c.expected === c.observed;
        td.textContent = mark(c.observed) + (ok ? '' : '!');
        td.className = (ok ? 'ok ' : 'bad ') + c.observed;
        Object.assign(td.dataset, {
          from: s,
          to: d,
          port: c.port,
          protocol: c.protocol,
          expected: c.expected,
          observed: c.observed,
        });
        td.title = `${s} -> ${d} ${t}: expected ${c.expected}${c.deciding.length ? ' by ' + c.deciding.join(', ') : ''}, observed ${c.observed}`;
        td.onclick = () => ($('cell').textContent = JSON.stringify(c, null, 2));
      }
    }
    $('matrix').append(table);
  }
}

function showTimeline(events) {
  $('timeline').innerHTML = '';
  const t0 = events.length ? events[0].at : 0;
  for (const e of events) {
    const li = document.createElement('li');
    li.dataset.kind = e.kind;
    li.dataset.at = e.at;
    li.className = e.kind;
    li.textContent = `+${((e.at - t0) / 1000).toFixed(2)}s  ${e.kind}  ${e.node || '-'}  ${e.detail}`;
    li.title = new Date(e.at).toISOString();
    $('timeline').append(li);
  }
}

function showReport(report) {
  if (report.picture) {
    picture = report.picture;
    paint();
    showPaths(picture);
  }
  if (report.matrix) showMatrix(report.matrix);
}

async function runMatrix() {
  $('matrix-run').disabled = true;
  document.body.dataset.matrix = 'running';
  $('matrix-status').textContent = 'probing every cell…';
  try {
    const res = await fetch(api('/api/verify?path=network-policy'), { method: 'POST' });
    const report = await res.json();
    if (!res.ok) throw new Error(report.error);
    if (report.matrix) showMatrix(report.matrix);
    else $('matrix-status').textContent = 'no cells: ' + ((report.notCovered[0] || {}).reason || 'no probe');
  } catch (err) {
    $('matrix-status').textContent = 'verify failed: ' + err.message;
  } finally {
    $('matrix-run').disabled = false;
    document.body.dataset.matrix = 'done';
  }
}

async function runVerify() {
  $('verify-run').disabled = true;
  document.body.dataset.verify = 'running';
  $('verify-status').textContent = 'probing every path…';
  $('verdicts').innerHTML = '';
  try {
    const res = await fetch(api('/api/verify'), { method: 'POST' });
    const report = await res.json();
    if (!res.ok) throw new Error(report.error);
    showReport(report);
    fetch(api('/api/paths'))
      .then((r) => r.json())
      .then(showMatrixSection, () => undefined);
    const failed = report.probes.filter((p) => !p.ok).length;
    $('verify-status').textContent = `${report.probes.length} probes, ${failed} failed`;
    for (const p of report.probes) {
      const li = document.createElement('li');
      li.className = p.ok ? 'ok' : 'bad';
      li.dataset.path = p.path;
      li.textContent = `${p.path}: ${p.name}`;
      li.onclick = () => {
        $('evidence').textContent = JSON.stringify(
          { from: p.from, to: p.to, ok: p.ok, reason: p.reason, evidence: p.evidence },
          null,
          2,
        );
      };
      $('verdicts').append(li);
    }
  } catch (err) {
    $('verify-status').textContent = 'verify failed: ' + err.message;
  } finally {
    $('verify-run').disabled = false;
    document.body.dataset.verify = 'done';
  }
}

/** The matrix is offered when the lab has policies (network-policy applies to it). */
function showMatrixSection(paths) {
  $('matrix-section').hidden = !(paths.verify || []).includes('network-policy');
}

async function start() {
  const paths = await (await fetch(api('/api/paths'))).json();
  for (const id of paths.trace) {
    const o = document.createElement('option');
    o.value = id;
    o.textContent = id;
    $('trace-path').append(o);
  }
  $('trace-path').value = 'pod-to-service';
  $('trace-run').onclick = runTrace;
  $('verify-run').onclick = runVerify;
  $('matrix-run').onclick = runMatrix;
  showMatrixSection(paths);
  $('graph').ondblclick = () => $('graph').classList.toggle('natural');
  const es = new EventSource(api('/api/events'));
  es.addEventListener('graph', (e) => render(JSON.parse(e.data)));
  es.addEventListener('timeline', (e) => showTimeline(JSON.parse(e.data)));
  es.addEventListener('problem', (e) => {
    $('live').textContent = 'lab: ' + JSON.parse(e.data).message;
    $('live').className = 'live bad';
  });
  es.onerror = () => {
    $('live').textContent = 'disconnected from lab ui';
    $('live').className = 'live bad';
  };
}
start();
