import { renderStatus, serviceExternalIP, StatusReport } from '../../src/lab/status';

describe('lab status EXTERNAL-IP (as kubectl get services)', () => {
  it('LoadBalancer: the load balancer IP, or <pending> without one; ExternalName its name; else <none>', () => {
    expect(serviceExternalIP({ type: 'LoadBalancer' })).toBe('<pending>');
    expect(serviceExternalIP({ type: 'LoadBalancer', loadBalancerIP: '203.0.113.129' })).toBe('203.0.113.129');
    expect(serviceExternalIP({ type: 'ExternalName', externalName: 'db.example.com' })).toBe('db.example.com');
    expect(serviceExternalIP({ type: 'ClusterIP' })).toBe('<none>');
    expect(serviceExternalIP({ type: 'NodePort' })).toBe('<none>');
  });

  it('renders the column between CLUSTER-IP and PORTS', () => {
    const s: StatusReport = {
      lab: 'x',
      proxy: 'iptables',
      cni: 'vpc-routes',
      containers: [],
      nodes: [{ name: 'n1', ip: '10.0.1.10', podCIDR: '10.244.1.0/24', subnet: 's', state: 'running' }],
      pods: [],
      links: [],
      services: [
        {
          name: 'web',
          namespace: 'default',
          type: 'LoadBalancer',
          clusterIP: '10.96.0.20',
          externalIP: '<pending>',
          ports: ['http:80/TCP:30080'],
        },
      ],
    };
    const lines = renderStatus(s).split('\n');
    const head = lines.find((l) => l.startsWith('SERVICE'))!;
    expect(head).toMatch(/CLUSTER-IP\s+EXTERNAL-IP\s+PORTS/);
    expect(lines[lines.indexOf(head) + 1]).toMatch(
      /^web\s+default\s+LoadBalancer\s+10\.96\.0\.20\s+<pending>\s+http:80\/TCP:30080$/,
    );
  });
});

describe('nodeStatus', () => {
  const { nodeStatus } = jest.requireActual('../../src/lab/status');
  it('is Ready only with the container running and eth0 up', () => {
    expect(nodeStatus('running', 'up')).toBe('Ready');
    expect(nodeStatus('paused', undefined)).toBe('NotReady (container paused)');
    expect(nodeStatus('exited', undefined)).toBe('NotReady (container exited)');
    expect(nodeStatus('running', 'missing')).toMatch(/^NotReady \(eth0 gone/);
    expect(nodeStatus('running', 'down')).toBe('NotReady (eth0 down)');
  });
});
