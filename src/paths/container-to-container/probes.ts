/**
 * container-to-container: containers of one pod share its network namespace, so they reach each
 * other on localhost; a port bound to 127.0.0.1 stays inside the pod.
 */
import { LabModel, PodModel } from '../../model/types';
import { podTarget } from '../../plan/targets';
import { answered, curlArgv, describeCurlFailure, HttpObservation, parseCurl } from '../../observe/curl';
import { need, probe } from '../../observe/probe';
import { PathDef, Probe } from '../common/types';
import { RUN_DIR } from '../../plan/node';

const ID = 'container-to-container';

function localhostProbe(model: LabModel, pod: PodModel): Probe {
  const t = podTarget(model, pod);
  const a = pod.containers.find((c) => c.httpPort)!;
  const b = pod.containers.find((c) => c !== a)!;
  const url = `http://127.0.0.1:${a.httpPort}/hostname`;
  return probe(
    { path: ID, name: `${b.name} reaches ${a.name} on localhost:${a.httpPort}`, from: t.id, to: t.id },
    async (r) => {
      // Both containers' processes must sit in one network namespace: compare the namespace inodes.
      const dir = `${RUN_DIR}/pods/${pod.netns}`;
      const ns = await r.sh(
        { id: t.id, container: t.container },
        `for c in ${a.name} ${b.name}; do readlink /proc/$(cat ${dir}/$c.pid)/ns/net 2>/dev/null || echo missing; done`,
      );
      const [nsA, nsB] = ns.stdout
        .trim()
        .split('\n')
        .map((x) => (x === 'missing' ? undefined : x));
      const res = await r.run(t, curlArgv(url));
      return { nsA, nsB, http: parseCurl(res.stdout, res.exitCode) };
    },
    (o, ev) => {
      ev.expected.answeredBy = pod.name;
      ev.expected.url = url;
      ev.observed.netnsOf = { [a.name]: o.nsA ?? '-', [b.name]: o.nsB ?? '-' };
      ev.observed.httpStatus = o.http.status;
      ev.observed.answeredBy = o.http.body;
      need(o.nsA, `the network namespace of ${a.name}`);
      need(o.nsB, `the network namespace of ${b.name}`);
      if (o.nsA !== o.nsB) return `containers are not in one network namespace (${o.nsA} vs ${o.nsB})`;
      if (!answered(o.http)) return `localhost request: ${describeCurlFailure(o.http)}, body "${o.http.body}"`;
      if (o.http.body !== pod.name) return `localhost:${a.httpPort} answered "${o.http.body}", expected ${pod.name}`;
      return undefined;
    },
  );
}

function isolationProbe(model: LabModel, pod: PodModel, other: PodModel, port: number): Probe {
  const t = podTarget(model, pod);
  const o = podTarget(model, other);
  return probe(
    { path: ID, name: `127.0.0.1:${port} of ${pod.name} is not reachable from ${other.name}`, from: o.id, to: t.id },
    async (r) => {
      const get = async (target: typeof t, url: string): Promise<HttpObservation> => {
        const res = await r.run(target, curlArgv(url));
        return parseCurl(res.stdout, res.exitCode);
      };
      return Promise.all([get(t, `http://127.0.0.1:${port}/hostname`), get(o, `http://${pod.ip}:${port}/hostname`)]);
    },
    ([inside, outside], ev) => {
      ev.expected.insidePod = `answered by ${pod.name}`;
      ev.expected.fromOtherPod = 'curl exit 7 (connection refused)';
      ev.observed.insidePod = answered(inside) ? `answered by ${inside.body}` : describeCurlFailure(inside);
      ev.observed.fromOtherPod = answered(outside) ? `answered by ${outside.body}` : describeCurlFailure(outside);
      // Inside must answer (the positive control), or the refusal outside proves nothing.
      if (!answered(inside) || inside.body !== pod.name)
        return `the localhost-only port does not answer inside its pod (${ev.observed.insidePod})`;
      if (outside.curlExit !== 7) return `from another pod: ${ev.observed.fromOtherPod} (expected connection refused)`;
      return undefined;
    },
  );
}

export const containerToContainer: PathDef = {
  id: ID,
  title: 'containers of one pod talk over localhost',
  probes(model) {
    const probes: Probe[] = [];
    for (const pod of model.pods.filter((p) => p.containers.length >= 2 && p.containers.some((c) => c.httpPort))) {
      probes.push(localhostProbe(model, pod));
      const local = pod.containers.find((c) => c.bind === '127.0.0.1' && c.httpPort);
      const other = model.pods.find((p) => p !== pod);
      if (local && other) probes.push(isolationProbe(model, pod, other, local.httpPort!));
    }
    return probes;
  },
  uncovered: () => 'no pod has two containers of which one serves HTTP',
};
