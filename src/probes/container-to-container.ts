/**
 * container-to-container: containers of one pod share its network namespace, so they reach each
 * other on localhost; a port bound to 127.0.0.1 stays inside the pod.
 */
import { LabModel, PodModel } from '../model/types';
import { podTarget } from '../lab/targets';
import { curlArgv, describeCurlFailure, parseCurl } from './parse';
import { PathDef, Probe, ProbeRunner } from './types';
import { RUN_DIR } from '../plan/node';

const ID = 'container-to-container';

function localhostProbe(model: LabModel, pod: PodModel): Probe {
  const t = podTarget(model, pod);
  const a = pod.containers.find((c) => c.httpPort)!;
  const b = pod.containers.find((c) => c !== a)!;
  return {
    path: ID,
    name: `${b.name} reaches ${a.name} on localhost:${a.httpPort}`,
    from: t.id,
    to: t.id,
    async run(r: ProbeRunner) {
      // Both containers' processes must sit in one network namespace: compare the namespace inodes.
      const dir = `${RUN_DIR}/pods/${pod.netns}`;
      const ns = await r.sh(
        { id: t.id, container: t.container },
        `for c in ${a.name} ${b.name}; do readlink /proc/$(cat ${dir}/$c.pid)/ns/net 2>/dev/null || echo missing; done`,
      );
      const [nsA, nsB] = ns.stdout.trim().split('\n');
      const res = await r.run(t, curlArgv(`http://127.0.0.1:${a.httpPort}/hostname`));
      const o = parseCurl(res.stdout, res.exitCode);
      const sameNs = !!nsA && nsA === nsB && nsA !== 'missing';
      const ok = sameNs && o.status === 200 && o.body === pod.name;
      return {
        path: ID,
        name: this.name,
        from: t.id,
        to: t.id,
        ok,
        evidence: { netnsOf: { [a.name]: nsA, [b.name]: nsB }, url: `http://127.0.0.1:${a.httpPort}/hostname`, answeredBy: o.body, httpStatus: o.status },
        reason: ok ? undefined : !sameNs ? 'containers are not in one network namespace' : `localhost request: ${describeCurlFailure(o)}, body "${o.body}"`,
      };
    },
  };
}

function isolationProbe(model: LabModel, pod: PodModel, other: PodModel, port: number): Probe {
  const t = podTarget(model, pod);
  const o = podTarget(model, other);
  return {
    path: ID,
    name: `127.0.0.1:${port} of ${pod.name} is not reachable from ${other.name}`,
    from: o.id,
    to: t.id,
    async run(r: ProbeRunner) {
      const inside = parseCurl(...(await runCurl(r, t, `http://127.0.0.1:${port}/hostname`)));
      const outside = parseCurl(...(await runCurl(r, o, `http://${pod.ip}:${port}/hostname`)));
      // Inside must answer (or the negative proves nothing); from outside the kernel must refuse.
      const ok = inside.status === 200 && outside.curlExit === 7;
      return {
        path: ID,
        name: this.name,
        from: o.id,
        to: t.id,
        ok,
        evidence: { insidePod: { status: inside.status, body: inside.body }, fromOtherPod: describeCurlFailure(outside) },
        reason: ok ? undefined : inside.status !== 200 ? 'the localhost-only port does not answer inside its pod' : `from another pod: ${describeCurlFailure(outside)} (expected connection refused)`,
      };
    },
  };
}

async function runCurl(r: ProbeRunner, t: ReturnType<typeof podTarget>, url: string): Promise<[string, number]> {
  const res = await r.run(t, curlArgv(url));
  return [res.stdout, res.exitCode];
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
};
