/**
 * `lab up`'s cluster DNS decisions, made before anything is created: which server the DNS pods
 * run (CoreDNS when its image can be had, else the offline server), where CoreDNS pods keep their
 * host files, and removing those files when the lab could not be built.
 */
import * as path from 'path';
import { rmdirSync, rmSync } from 'fs';
import type { LabModel } from '../model/types';
import { isDnsPod } from '../plan/dns-pod';
import { resolveCoreDnsImage } from '../runtime/coredns-image';
import {
  chooseDnsServer,
  coreDnsImage,
  describeDnsServer,
  needsCoreDnsImage,
  requestedDnsServer,
} from '../topology/dns-server';
import { labDir } from './lab-dir';

/**
 * The model with its DNS server chosen. An explicit coredns whose image cannot be had throws
 * (exit 2); auto falls back to the offline server. `reload` renders the topology again with the
 * DNS pods as CoreDNS pods of the chosen image; `source` names the setting in messages.
 */
export async function chooseLabDnsServer(
  model: LabModel,
  reload: (coreDnsImage: string | undefined) => LabModel,
  source: '--dns-server' | 'cluster.dnsServer',
  log: (m: string) => void,
): Promise<LabModel> {
  if (!model.pods.some(isDnsPod)) return model;
  const requested = requestedDnsServer(model.cluster.dnsServer);
  const available = needsCoreDnsImage(requested)
    ? await resolveCoreDnsImage({ onProgress: (l) => log(`dns: ${l}`) })
    : undefined;
  const choice = chooseDnsServer(requested, available, source, coreDnsImage());
  let next = model;
  if (choice.server === 'coredns') {
    next = reload(choice.image);
    choice.filesDir = path.join(labDir(next.name), 'coredns');
    // Files of an earlier lab of this name (down leaves them) must not shadow this one's serials.
    rmSync(choice.filesDir, { recursive: true, force: true });
  }
  log(describeDnsServer(choice));
  return { ...next, dnsServer: choice };
}

/** After a failed up (its containers are gone): the CoreDNS pods' host files, and the lab directory if empty. */
export function removeDnsServerFiles(model: LabModel): void {
  const dir = model.dnsServer?.filesDir;
  if (!dir) return;
  rmSync(dir, { recursive: true, force: true });
  try {
    rmdirSync(path.dirname(dir));
  } catch {
    // not empty (captures, traces), or already gone
  }
}
