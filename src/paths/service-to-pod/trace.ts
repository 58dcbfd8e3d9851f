/** How `lab trace` follows this path: who sends the probe, its marker, the capture points in order (pure). */
import { servicePlan } from '../pod-to-service/trace';

export const serviceToPodTrace = servicePlan(
  'service-to-pod',
  "replies from a backend reach the caller with the VIP as source (conntrack un-DNAT on the client's node)",
  'clientip',
);
