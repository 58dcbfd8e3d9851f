/** Services and Ingress objects shared by the ingress unit tests. */
import type { ServiceModel } from '../../src/model/types';
import type { IngressSource } from '../../src/ingress/parse';
import { webService } from '../fixtures/web-service';

export function svc(name: string, nodePort: number | undefined, opts: Partial<ServiceModel> = {}): ServiceModel {
  return webService({
    name,
    type: nodePort === undefined ? 'ClusterIP' : 'NodePort',
    selector: undefined,
    ports: [
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, ...(nodePort !== undefined ? { nodePort } : {}) },
    ],
    ...opts,
  });
}

export const backend = (name: string, port: number | string = 80) => ({
  service: { name, port: typeof port === 'number' ? { number: port } : { name: port } },
});

export const path = (p: string, pathType: string, name: string, port: number | string = 80) => ({
  path: p,
  pathType,
  backend: backend(name, port),
});

export function ingress(name: string, spec: unknown, namespace?: string): unknown {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec,
  };
}

export const sources = (...objects: unknown[]): IngressSource[] =>
  objects.map((object, i) => ({ object, path: `objects[${i}]` }));
