import { computeEndpoints } from '../../../src/proxy/endpoints';
import { endpointChanges } from '../../../src/lab/watch/endpoint-changes';
import { clock } from '../../../src/lab/watch/log-time';
import { LabModel } from '../../../src/model/types';
import { fixtureModel } from '../../fixtures/model';
import { webService } from '../../fixtures/web-service';

function withService(): LabModel {
  const m = fixtureModel();
  for (const p of m.pods) if (p.name !== 'client') p.labels = { app: 'web' };
  m.services = [webService({ clusterIP: '10.96.0.20' })];
  return m;
}

describe('endpointChanges', () => {
  it('names the endpoints that left (and why) and those that came', () => {
    const m = withService();
    const all = computeEndpoints(m, () => true);
    const unready = computeEndpoints(m, (p) => p.name !== 'pod3');
    expect(endpointChanges(all, unready, m)).toEqual(['default/web:http -10.244.1.2:8080 (not ready)']);
    expect(endpointChanges(unready, all, m)).toEqual(['default/web:http +10.244.1.2:8080']);
    expect(endpointChanges(all, all, m)).toEqual([]);
  });

  it('says a pod was deleted when its endpoint is gone from the slice', () => {
    const m = withService();
    const before = computeEndpoints(m, () => true);
    const next = { ...m, pods: m.pods.filter((p) => p.name !== 'pod4') };
    expect(
      endpointChanges(
        before,
        computeEndpoints(next, () => true),
        next,
      ),
    ).toEqual(['default/web:http -10.244.1.3:8080 (pod deleted)']);
    const noSvc = { ...m, services: [] };
    expect(endpointChanges(before, computeEndpoints(noSvc), noSvc)[0]).toMatch(
      /^default\/web:http -10\.244\.0\.2:8080 \(service deleted\)/,
    );
  });

  it('lists every endpoint as new on the first sync', () => {
    const m = withService();
    expect(endpointChanges(undefined, computeEndpoints(m), m)).toEqual([
      'default/web:http +10.244.0.2:8080 +10.244.0.3:8080 +10.244.1.2:8080 +10.244.1.3:8080',
    ]);
  });
});

describe('clock', () => {
  it('prints HH:MM:SS', () => {
    expect(clock(new Date(2024, 0, 1, 9, 5, 7))).toBe('09:05:07');
  });
});
