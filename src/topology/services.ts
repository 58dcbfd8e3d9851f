/**
 * Services -> ServiceModel: the apiserver's Service validation (with its messages) and its
 * ClusterIP / NodePort allocators, made deterministic. User-chosen IPs and ports are taken
 * first, in file order, then the rest are allocated (see src/net/allocator.ts).
 */
import type { ServiceModel, ServicePortModel } from '../model/types';
import { NODE_PORT_BAND, RangeAllocator, SERVICE_IP_BAND } from '../net/allocator';
import { Cidr, broadcast, canonicalCidr, formatCidr, formatIp, parseIp } from '../net/ipv4';
import { DEFAULT_AFFINITY_TIMEOUT } from './defaults';
import { Issues, at } from './issues';
import { dns1035LabelProblem, dns1123SubdomainProblem, portNameProblem } from './names';
import type { RawService } from './raw';

export interface ServiceInput {
  service: RawService;
  /** Field path of the object (`objects[4]`). */
  path: string;
  namespace: string;
}

export interface ServiceContext {
  /** Service CIDR; undefined when it is invalid (already reported), which skips IP allocation. */
  serviceNet?: Cidr;
  dnsIP?: string;
  /** NodePort range; undefined when invalid. */
  nodePortRange?: [number, number];
}

/** The address of the `kubernetes` Service (first address of the range), always reserved. */
export function kubernetesServiceIP(net: Cidr): string {
  return formatIp(net.network + 1);
}

interface Pending {
  input: ServiceInput;
  model: ServiceModel;
  needsClusterIP: boolean;
  /** Indexes of ports that need a NodePort allocated. */
  needNodePort: number[];
  needHealthCheck: boolean;
}

const spec = (p: string, rest: string) => at(p, `spec.${rest}`);

export function resolveServices(inputs: ServiceInput[], ctx: ServiceContext, issues: Issues): ServiceModel[] {
  const net = ctx.serviceNet;
  // Valid ClusterIPs exclude the network and broadcast addresses.
  const ips = net ? new RangeAllocator(net.network + 1, broadcast(net) - 1, SERVICE_IP_BAND) : undefined;
  const rangeText = net ? formatCidr(net) : '';
  if (net && ips) {
    ips.allocateFixed(net.network + 1); // the `kubernetes` Service
    const dns = ctx.dnsIP !== undefined ? parseIp(ctx.dnsIP) : undefined;
    if (dns !== undefined) ips.allocateFixed(dns); // kube-dns
  }
  const npr = ctx.nodePortRange;
  const ports = npr ? new RangeAllocator(npr[0], npr[1], NODE_PORT_BAND) : undefined;
  const portRangeText = npr ? `${npr[0]}-${npr[1]}` : '';

  const seen = new Set<string>();
  const pending: Pending[] = [];

  const fixedPort = (value: number, field: string): boolean => {
    if (!ports) return false;
    const r = ports.allocateFixed(value);
    if (r === 'out-of-range')
      issues.add(
        field,
        `Invalid value: ${value}: provided port is not in the valid range. The range of valid ports is ${portRangeText}`,
        `pick a port in ${portRangeText} (cluster.nodePortRange), or leave it out to have one allocated`,
      );
    else if (r === 'allocated')
      issues.add(
        field,
        `Invalid value: ${value}: provided port is already allocated`,
        'pick another port, or leave it out to have one allocated',
      );
    return r === 'ok';
  };

  for (const input of inputs) {
    const { service: svc, path, namespace } = input;
    const s = svc.spec ?? {};
    const name = svc.metadata.name ?? '';
    const nameProblem = dns1035LabelProblem(name);
    if (nameProblem)
      issues.add(
        at(path, 'metadata.name'),
        nameProblem,
        'Service names must be DNS-1035 labels: start with a letter, e.g. web or my-svc',
      );
    const key = `${namespace}/${name}`;
    if (seen.has(key))
      issues.add(
        at(path, 'metadata.name'),
        `services "${name}" already exists in namespace ${namespace}`,
        'give each Service of a namespace a different name',
      );
    seen.add(key);
    if (namespace === 'default' && name === 'kubernetes')
      issues.add(
        at(path, 'metadata.name'),
        'services "kubernetes" already exists: default/kubernetes is the API server Service',
        'use another name',
      );

    const type = (s.type ?? 'ClusterIP') as ServiceModel['type'];
    const external = type === 'NodePort' || type === 'LoadBalancer';

    // --- clusterIP / clusterIPs / families
    let clusterIP = s.clusterIP;
    if (s.clusterIPs && s.clusterIPs.length > 0) {
      if (s.clusterIPs.length > 1)
        issues.add(
          spec(path, 'clusterIPs'),
          'dual-stack Services are not supported by the lab (IPv4 only)',
          'give at most one clusterIPs entry',
        );
      if (clusterIP !== undefined && clusterIP !== s.clusterIPs[0])
        issues.add(
          spec(path, 'clusterIPs[0]'),
          `Invalid value: "${s.clusterIPs[0]}": must match clusterIP when set`,
          'make clusterIP and clusterIPs[0] equal, or drop one',
        );
      clusterIP ??= s.clusterIPs[0];
    }
    if (s.ipFamilies?.includes('IPv6'))
      issues.add(
        spec(path, 'ipFamilies'),
        'IPv6 is not supported by the lab',
        'use ipFamilies: [IPv4] or leave it out',
      );
    if (s.ipFamilyPolicy === 'RequireDualStack')
      issues.add(
        spec(path, 'ipFamilyPolicy'),
        'RequireDualStack is not supported by the lab (IPv4 only)',
        'use SingleStack or leave it out',
      );

    let needsClusterIP = false;
    let modelIP = 'None';
    if (type === 'ExternalName') {
      if (clusterIP !== undefined && clusterIP !== '')
        issues.add(spec(path, 'clusterIP'), 'Forbidden: may not be set for ExternalName services', 'remove clusterIP');
      const ext = s.externalName;
      if (ext === undefined || ext === '')
        issues.add(
          spec(path, 'externalName'),
          'Required value',
          'set externalName to the DNS name this Service aliases (e.g. example.com)',
        );
      else {
        const problem = dns1123SubdomainProblem(ext.replace(/\.$/, ''));
        if (problem)
          issues.add(
            spec(path, 'externalName'),
            `Invalid value: "${ext}": ${problem}`,
            'use a DNS name such as www.example.com',
          );
      }
    } else if (clusterIP === 'None') {
      if (external)
        issues.add(
          spec(path, 'clusterIP'),
          `Invalid value: "None": may not be set to 'None' for ${type} services`,
          'remove clusterIP, or use type ClusterIP for a headless Service',
        );
    } else if (clusterIP === undefined || clusterIP === '') {
      needsClusterIP = true;
    } else if (parseIp(clusterIP) === undefined) {
      issues.add(
        spec(path, 'clusterIP'),
        `Invalid value: "${clusterIP}": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`,
        'use an IPv4 address, "None" (headless) or leave it out',
      );
    } else if (ips && net) {
      const r = ips.allocateFixed(parseIp(clusterIP)!);
      if (r === 'out-of-range')
        issues.add(
          spec(path, 'clusterIP'),
          `Invalid value: "${clusterIP}": provided IP is not in the valid range. The range of valid IPs is ${rangeText}`,
          `pick an address inside cluster.serviceCIDR ${rangeText}, or leave clusterIP out to have one allocated`,
        );
      // The dnsIP is reserved for kube-system/kube-dns: that Service (the DNS add-on) takes it.
      else if (r === 'allocated' && !(namespace === 'kube-system' && name === 'kube-dns' && clusterIP === ctx.dnsIP))
        issues.add(
          spec(path, 'clusterIP'),
          `Invalid value: "${clusterIP}": provided IP is already allocated`,
          `pick another address (${kubernetesServiceIP(net)} is the kubernetes Service, ${ctx.dnsIP ?? ''} the cluster DNS), or leave clusterIP out`,
        );
      modelIP = clusterIP;
    }

    // --- ports
    const rawPorts = s.ports ?? [];
    if (rawPorts.length === 0 && type !== 'ExternalName' && clusterIP !== 'None')
      issues.add(
        spec(path, 'ports'),
        'Required value',
        'add at least one port, e.g. ports: [{port: 80, targetPort: 8080}]',
      );
    const portNames = new Set<string>();
    const portProto = new Set<string>();
    const svcNodePorts = new Map<number, Set<string>>();
    const needNodePort: number[] = [];
    const allocNodePorts =
      type === 'NodePort' || (type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
    const modelPorts: ServicePortModel[] = rawPorts.map((p, i) => {
      const pp = spec(path, `ports[${i}]`);
      const protocol = (p.protocol ?? 'TCP') as string;
      if (protocol === 'SCTP') issues.add(at(pp, 'protocol'), 'SCTP is not supported by the lab', 'use TCP or UDP');
      if (p.name === undefined || p.name === '') {
        if (rawPorts.length > 1)
          issues.add(at(pp, 'name'), 'Required value', 'name every port when a Service has several (e.g. http, udp)');
      } else if (portNames.has(p.name))
        issues.add(at(pp, 'name'), `Duplicate value: "${p.name}"`, 'give each port of the Service a different name');
      if (p.name) portNames.add(p.name);
      const pk = `${p.port}/${protocol}`;
      if (portProto.has(pk)) issues.add(pp, `Duplicate value: "${pk}"`, 'each port and protocol pair may appear once');
      portProto.add(pk);
      if (typeof p.targetPort === 'string') {
        const problem = portNameProblem(p.targetPort);
        if (problem)
          issues.add(
            at(pp, 'targetPort'),
            `Invalid value: "${p.targetPort}": ${problem}`,
            'use a container port name or a number',
          );
      }
      const m: ServicePortModel = {
        ...(p.name ? { name: p.name } : {}),
        protocol: protocol as ServicePortModel['protocol'],
        port: p.port,
        targetPort: p.targetPort ?? p.port,
      };
      if (p.nodePort !== undefined) {
        if (!external)
          issues.add(
            at(pp, 'nodePort'),
            `Forbidden: may not be used when \`type\` is '${type}'`,
            'remove nodePort, or use type NodePort or LoadBalancer',
          );
        else {
          const prev = svcNodePorts.get(p.nodePort);
          if (prev?.has(protocol))
            issues.add(
              at(pp, 'nodePort'),
              `Duplicate value: ${p.nodePort}`,
              'each port of the Service needs its own nodePort (TCP and UDP may share one)',
            );
          else if (prev)
            prev.add(protocol); // same Service, other protocol: one allocation serves both
          else if (fixedPort(p.nodePort, at(pp, 'nodePort'))) svcNodePorts.set(p.nodePort, new Set([protocol]));
          m.nodePort = p.nodePort;
        }
      } else if (allocNodePorts) needNodePort.push(i);
      return m;
    });

    // --- traffic policies, affinity, source ranges
    const etp = (s.externalTrafficPolicy ?? 'Cluster') as ServiceModel['externalTrafficPolicy'];
    if (s.externalTrafficPolicy !== undefined && !external)
      issues.add(
        spec(path, 'externalTrafficPolicy'),
        `Invalid value: "${s.externalTrafficPolicy}": may only be set for externally-accessible services`,
        'remove it, or use type NodePort or LoadBalancer',
      );
    const lbLocal = type === 'LoadBalancer' && etp === 'Local';
    let needHealthCheck = false;
    let healthCheckNodePort: number | undefined;
    if (s.healthCheckNodePort !== undefined) {
      if (!lbLocal)
        issues.add(
          spec(path, 'healthCheckNodePort'),
          `Invalid value: ${s.healthCheckNodePort}: may only be set when \`type\` is 'LoadBalancer' and \`externalTrafficPolicy\` is 'Local'`,
          'remove healthCheckNodePort',
        );
      else if (fixedPort(s.healthCheckNodePort, spec(path, 'healthCheckNodePort')))
        healthCheckNodePort = s.healthCheckNodePort;
    } else if (lbLocal) needHealthCheck = true;

    const affinity = (s.sessionAffinity ?? 'None') as ServiceModel['sessionAffinity'];
    const timeout = s.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (affinity === 'None' && s.sessionAffinityConfig !== undefined)
      issues.add(
        spec(path, 'sessionAffinityConfig'),
        'Forbidden: must not be set when session affinity is None',
        'remove sessionAffinityConfig, or set sessionAffinity: ClientIP',
      );
    if (timeout !== undefined && !(timeout > 0 && timeout <= 86400))
      issues.add(
        spec(path, 'sessionAffinityConfig.clientIP.timeoutSeconds'),
        `Invalid value: ${timeout}: must be greater than 0 and less than 86400`,
        'use 1..86400 seconds',
      );

    let sourceRanges: string[] | undefined;
    if (s.loadBalancerSourceRanges !== undefined) {
      if (type !== 'LoadBalancer')
        issues.add(
          spec(path, 'loadBalancerSourceRanges'),
          "Forbidden: may only be used when `type` is 'LoadBalancer'",
          'remove it, or use type LoadBalancer',
        );
      sourceRanges = s.loadBalancerSourceRanges.map((r, i) => {
        const c = canonicalCidr(r.trim());
        if (!c)
          issues.add(
            spec(path, `loadBalancerSourceRanges[${i}]`),
            `Invalid value: "${r}": must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24`,
            'write each entry as an IPv4 CIDR',
          );
        return c ?? r;
      });
    }

    const model: ServiceModel = {
      name,
      namespace,
      type,
      clusterIP: modelIP,
      // An empty selector selects nothing, as no selector does (endpoints managed by hand).
      ...(type !== 'ExternalName' && s.selector && Object.keys(s.selector).length
        ? { selector: { ...s.selector } }
        : {}),
      ports: modelPorts,
      sessionAffinity: affinity,
      affinityTimeoutSeconds:
        affinity === 'ClientIP' ? (timeout ?? DEFAULT_AFFINITY_TIMEOUT) : DEFAULT_AFFINITY_TIMEOUT,
      internalTrafficPolicy: (s.internalTrafficPolicy ?? 'Cluster') as ServiceModel['internalTrafficPolicy'],
      externalTrafficPolicy: etp,
      ...(type === 'ExternalName' && s.externalName ? { externalName: s.externalName.replace(/\.$/, '') } : {}),
      ...(healthCheckNodePort !== undefined ? { healthCheckNodePort } : {}),
      ...(sourceRanges ? { loadBalancerSourceRanges: sourceRanges } : {}),
      publishNotReadyAddresses: s.publishNotReadyAddresses ?? false,
    };
    pending.push({ input, model, needsClusterIP, needNodePort, needHealthCheck });
  }

  // Second pass: allocate what was not given, now that every fixed value is reserved.
  for (const p of pending) {
    const key = `${p.input.namespace}/${p.model.name}`;
    if (p.needsClusterIP && ips) {
      const n = ips.allocateNext(key);
      if (n === undefined)
        issues.add(
          at(p.input.path, 'spec.clusterIP'),
          `failed to allocate a serviceIP: range is full (${rangeText})`,
          'use a larger cluster.serviceCIDR',
        );
      else p.model.clusterIP = formatIp(n);
    }
    if (ports) {
      for (const i of p.needNodePort) {
        const n = ports.allocateNext(`${key}/${p.model.ports[i].name ?? i}`);
        if (n === undefined)
          issues.add(
            at(p.input.path, `spec.ports[${i}].nodePort`),
            `failed to allocate a nodePort: range is full (${portRangeText})`,
            'widen cluster.nodePortRange',
          );
        else p.model.ports[i].nodePort = n;
      }
      if (p.needHealthCheck) {
        const n = ports.allocateNext(`${key}/healthz`);
        if (n === undefined)
          issues.add(
            at(p.input.path, 'spec.healthCheckNodePort'),
            `failed to allocate a nodePort: range is full (${portRangeText})`,
            'widen cluster.nodePortRange',
          );
        else p.model.healthCheckNodePort = n;
      }
    }
  }
  return pending.map((p) => p.model);
}
