/**
 * The scale labs of the lab benchmark: N pods on N/50 nodes (at least 2), in Deployments of 20
 * replicas, each behind a ClusterIP Service (so 1,000 pods = 20 nodes × 50 pods, 50 Services).
 * topologies/scale-1000.yaml is this function's output for 1,000 pods.
 */
export interface ScaleShape {
  pods: number;
  nodes: number;
  services: number;
}

export function scaleShape(pods: number): ScaleShape {
  const services = Math.max(1, Math.round(pods / 20));
  return { pods: services * 20, nodes: Math.max(2, Math.round(pods / 50)), services };
}

export function scaleTopology(name: string, pods: number): string {
  const s = scaleShape(pods);
  const lines = [
    '# yaml-language-server: $schema=../schemas/topology.schema.json',
    '#',
    `# Scale lab (npm run bench -- scale): ${s.nodes} nodes, ${s.pods} pods in ${s.services} Deployments of 20`,
    '# replicas, each behind a ClusterIP Service. Written by src/bench/scale-topology.ts.',
    `name: ${name}`,
    '',
    'vpc:',
    '  subnets:',
    '    - {name: subnet-a, cidr: 10.0.0.0/22}',
    '',
    'nodes:',
    ...Array.from({ length: s.nodes }, (_, i) => `  - {name: node${i + 1}}`),
    '',
    'objects:',
  ];
  for (let i = 0; i < s.services; i++) {
    const app = `app${i}`;
    lines.push(
      '  - apiVersion: apps/v1',
      '    kind: Deployment',
      `    metadata: {name: ${app}}`,
      '    spec:',
      '      replicas: 20',
      `      selector: {matchLabels: {app: ${app}}}`,
      '      template:',
      `        metadata: {labels: {app: ${app}}}`,
      '        spec:',
      '          containers:',
      '            - name: web',
      '              image: registry.k8s.io/e2e-test-images/agnhost:2.47',
      '              args: [netexec, --http-port=8080, --udp-port=8081]',
      '              ports: [{name: http, containerPort: 8080}]',
      '  - apiVersion: v1',
      '    kind: Service',
      `    metadata: {name: ${app}}`,
      '    spec:',
      `      selector: {app: ${app}}`,
      '      ports: [{name: http, port: 80, targetPort: http}]',
    );
  }
  return lines.join('\n') + '\n';
}
