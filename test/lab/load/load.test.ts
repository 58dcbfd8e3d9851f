import { fixtureModel } from '../../fixtures/model';
import { webService } from '../../fixtures/web-service';
import type { LabModel, ServiceModel } from '../../../src/model/types';
import { planLoad, renderLoadScript } from '../../../src/lab/load/plan';
import { classify, longestWindow, parseRawLoad, renderLoadReport, summarize } from '../../../src/lab/load/report';
import { runLoad } from '../../../src/lab/load/run';

function svc(over: Partial<ServiceModel> = {}): ServiceModel {
  return webService({ selector: { role: 'web' }, ...over });
}

/** The fixture with pod3 (node2) and pod1 (node1) as the Service's backends. */
function model(): LabModel {
  const m = fixtureModel();
  for (const p of m.pods) if (p.name === 'pod1' || p.name === 'pod3') p.labels = { role: 'web' };
  m.services = [svc(), svc({ name: 'headless', clusterIP: 'None' }), svc({ name: 'ext', selector: undefined })];
  return m;
}

const OPTS = { rate: 10, seconds: 3, timeoutSec: 1, from: 'pods' as const };

describe('lab load plan', () => {
  it('loads the ClusterIP from a non-backend pod on each node; right answers are the selected pods', () => {
    const p = planLoad(model(), 'web', OPTS);
    expect(`${p.ip}:${p.port}`).toBe('10.96.0.50:80');
    expect(p.backends).toEqual(['pod1', 'pod3']);
    expect(p.sources.map((s) => s.what)).toEqual([
      'pod default/pod2 on node1',
      'pod default/pod4 on node2',
      'pod default/client on node3',
    ]);
    const sh = renderLoadScript(p, p.sources[0], 'print(1)');
    expect(sh).toBe(
      "ip netns exec pod2 python3 - 10.96.0.50 80 /hostname 10 3 1 <<'K8S_NETLAB_LOAD'\nprint(1)\nK8S_NETLAB_LOAD\n",
    );
  });
  it('refuses bad input naming the field (exit 2)', () => {
    const m = model();
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return `${(e as { exitCode: number }).exitCode} ${(e as Error).message}`;
      }
      return 'no error';
    };
    expect(err(() => planLoad(m, 'nope', OPTS))).toBe('2 TARGET: no Service default/nope');
    expect(err(() => planLoad(m, 'headless', OPTS))).toMatch(/^2 TARGET: .*headless/);
    expect(err(() => planLoad(m, 'ext', OPTS))).toMatch(/^2 TARGET: .*no selector/);
    expect(err(() => planLoad(m, 'web', { ...OPTS, rate: 500 }))).toBe('2 --rate: must be from 1 to 50, got 500');
    expect(err(() => planLoad(m, 'web', { ...OPTS, seconds: 0 }))).toMatch(/^2 --duration/);
    expect(err(() => planLoad(m, 'web', { ...OPTS, from: 'internet' }))).toMatch(/^2 --from: .*no Internet host/);
  });
});

describe('lab load report', () => {
  const start = 1_000_000;
  const raw = (results: Array<[number, string, string]>, complete = true) =>
    `{"start": ${start}}\n${results.map((r) => JSON.stringify(r)).join('\n')}\n${complete ? '{"done": 1}' : '[99'}`;

  it('parses the JSON lines, keeps what a dying client finished, and nothing from a silent one', () => {
    expect(
      parseRawLoad(
        raw([
          [100, 'ok', 'pod1'],
          [0, 'timeout', 'x'],
        ]),
      ),
    ).toEqual({
      start,
      complete: true,
      results: [
        [0, 'timeout', 'x'],
        [100, 'ok', 'pod1'],
      ],
    });
    expect(parseRawLoad(raw([[0, 'ok', 'pod1']], false))!.complete).toBe(false);
    expect(parseRawLoad('')).toBeUndefined();
  });

  it('classifies an answer from a pod the selector does not match as a wrong backend', () => {
    const reqs = classify(
      parseRawLoad(
        raw([
          [0, 'ok', 'pod1'],
          [100, 'ok', 'pod2'],
          [200, 'weird', '?'],
        ]),
      )!,
      ['pod1', 'pod3'],
    );
    expect(reqs.map((r) => r.outcome)).toEqual(['ok', 'wrong-backend', 'error']);
  });

  it('a dead backend among two: the disruption spans the mixed window, the full outage only the longest run', () => {
    // 10/s for 10 s; from 2.0 s to 6.9 s every other request times out (one backend of two dead).
    const results: Array<[number, string, string]> = [];
    for (let i = 0; i < 100; i++) {
      const t = i * 100;
      const bad = t >= 2000 && t < 7000 && (i % 2 === 0 || (t >= 4000 && t < 4500));
      results.push([t, bad ? 'timeout' : 'ok', bad ? 'no answer' : 'pod1']);
    }
    const s = summarize(
      { id: 'node1', what: 'pod default/pod2 on node1' },
      classify(parseRawLoad(raw(results))!, ['pod1']),
      start,
      10,
    );
    expect(s.requests).toBe(100);
    expect(s.errors).toEqual({ timeout: 27 });
    expect(s.ok).toBe(73);
    expect(s.longestDisruption).toEqual({ from: start + 2000, to: start + 6900, ms: 4900, errors: 27 });
    expect(s.longestOutage).toEqual({ from: start + 4000, to: start + 4500, ms: 500, errors: 5 });
    expect(s.errorsAfter).toBe(0);
    expect(s.perSecond[3]).toEqual({ second: 3, sent: 10, ok: 5, errors: { timeout: 5 } });
    const text = renderLoadReport('head', [s], start, {
      id: 'f1',
      kind: 'node-stop',
      target: 'node2',
      at: start + 2000,
    });
    expect(text).toContain('fault f1 node-stop node2 at +2.00s of the load; times below are from the fault');
    expect(text).toContain('node1 (pod default/pod2 on node1): 100 requests, 73 ok (73.0%); errors: timeout 27');
    expect(text).toContain('disrupted 4.90s: 27 failed from +0.00s to +4.90s; longest full outage 0.50s');
    expect(text).toContain('0 errors after it');
  });

  it('no error: no outage at all (an empty window is never reported as one)', () => {
    const s = summarize({ id: 'a', what: 'a' }, [{ at: start, outcome: 'ok', text: 'pod1' }], start, 10);
    expect(s.longestOutage).toBeUndefined();
    expect(longestWindow([], 100, 2000)).toBeUndefined();
  });
});

describe('runLoad with a fake runner', () => {
  const plan = () => planLoad(model(), 'web', OPTS);
  it('passes: every source answered by the right backends', async () => {
    const r = await runLoad(
      plan(),
      async () => ({ stdout: `{"start": 5}\n[0, "ok", "pod1"]\n[100, "ok", "pod3"]\n{"done": 2}\n`, stderr: '' }),
      'prog',
    );
    expect(r.summaries.map((s) => [s.source, s.ok, s.successRate, s.stopped])).toEqual([
      ['node1', 2, 1, undefined],
      ['node2', 2, 1, undefined],
      ['node3', 2, 1, undefined],
    ]);
  });
  it('fails: refused and wrong backends counted, a source whose node died is marked stopped', async () => {
    const r = await runLoad(
      plan(),
      async (container) => {
        if (container.endsWith('node2')) throw new Error('container k8s-netlab-t-node2 is not running');
        if (container.endsWith('node3')) return { stdout: '{"start": 5}\n[0, "ok", "pod1"]\n', stderr: '' };
        return {
          stdout: `{"start": 5}\n[0, "refused", "connection refused"]\n[100, "ok", "pod2"]\n{"done": 2}\n`,
          stderr: '',
        };
      },
      'prog',
    );
    const [n1, n2, n3] = r.summaries;
    expect(n1.errors).toEqual({ refused: 1, 'wrong-backend': 1 });
    expect(n1.successRate).toBe(0);
    expect(n2.requests).toBe(0);
    expect(n2.stopped).toMatch(/not running/);
    expect(n3.stopped).toMatch(/^after 1 requests/);
  });
  it('fails when no source ran the client at all', async () => {
    await expect(runLoad(plan(), async () => ({ stdout: '', stderr: 'boom' }), 'prog')).rejects.toThrow(
      /ran on no source/,
    );
  });
});
