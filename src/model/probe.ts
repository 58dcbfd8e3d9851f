/**
 * A container's probes as the kubelet runs them (core/v1 Probe, defaults applied at load:
 * periodSeconds 10, timeoutSeconds 1, successThreshold 1, failureThreshold 3,
 * initialDelaySeconds 0; docs/reference/kubelet-probes.md).
 */
export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export type ProbeHandler =
  | {
      httpGet: {
        path: string;
        port: number;
        scheme: 'HTTP' | 'HTTPS';
        host?: string;
        headers: Array<{ name: string; value: string }>;
      };
    }
  | { tcpSocket: { port: number; host?: string } }
  | { exec: { command: string[] } };

export interface ProbeSpec {
  handler: ProbeHandler;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export type ContainerProbes = Partial<Record<ProbeKind, ProbeSpec>>;
