/** Render time and size of the cluster zone for 1,000 services (half headless with 3 endpoints each). */
import { performance } from 'perf_hooks';
import type { PodModel, ServiceModel } from '../../src/model/types';
import { computeEndpoints } from '../../src/proxy/endpoints';
import { parseZone } from '../../src/dns/parse-zone';
import { renderReverseZones } from '../../src/dns/reverse';
import { renderClusterZone } from '../../src/dns/zone';
import { labModel, pod, service } from './fixtures';

function bigModel() {
  const services: ServiceModel[] = [];
  const pods: PodModel[] = [];
  for (let i = 0; i < 1000; i++) {
    const ns = `ns${i % 10}`;
    const name = `svc-${i}`;
    const headless = i % 2 === 1;
    const vip = `10.96.${Math.floor(i / 250) + 1}.${(i % 250) + 1}`;
    services.push(
      service(ns, name, headless ? 'None' : vip, [
        { name: 'http', port: 80, targetPort: 8080 },
        { name: 'grpc', port: 9000, targetPort: 9000 },
      ]),
    );
    for (let k = 0; k < 3; k++) {
      const n = i * 3 + k;
      pods.push(
        pod(
          ns,
          `${name}-${k}`,
          'n1',
          `10.244.${Math.floor(n / 250)}.${(n % 250) + 2}`,
          { app: name },
          headless && k === 0 ? { hostname: `${name}-${k}`, subdomain: name } : {},
        ),
      );
    }
  }
  return labModel(services, pods);
}

it('renders 1,000 services (500 headless x 3 endpoints) quickly', () => {
  const m = bigModel();
  const eps = computeEndpoints(m);
  const t0 = performance.now();
  const text = renderClusterZone(m, eps, { serial: 1 });
  const t1 = performance.now();
  const rev = renderReverseZones(m, eps, { serial: 1 });
  const t2 = performance.now();
  const records = parseZone(text).records;
  const t3 = performance.now();
  const revBytes = rev.reduce((n, z) => n + Buffer.byteLength(z.text), 0);
  console.log(
    `1000 services (500 headless x 3 endpoints, 3000 pods): forward zone ${records.length} records, ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB in ${(t1 - t0).toFixed(0)} ms; ` +
      `reverse zones ${(revBytes / 1024).toFixed(0)} KiB in ${(t2 - t1).toFixed(0)} ms; parse back ${(t3 - t2).toFixed(0)} ms`,
  );
  // 500 A + 1000 SRV (ClusterIP); 1500 A + 1500 hostname A + 3000 SRV (headless); 3000 pods; header 4; builtins 6
  expect(records.length).toBe(500 + 1000 + 1500 + 1500 + 3000 + 3000 + 4 + 6);
});
