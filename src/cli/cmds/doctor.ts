/** `lab doctor`: is there an engine, is the lab image built, and which modes does this kernel allow. */
import type { Argv } from 'yargs';
import { engineVersion, pingEngine } from '../../runtime/docker';
import { imageInfo, imageTag, listLabImages } from '../../runtime/images';
import { FEATURES, FEATURE_NEEDS, modeRequirements, probeLab } from '../../runtime/kernel';
import { DoctorReport, formatDoctorReport } from '../../images/doctor-report';
import { resolveCoreDnsImage } from '../../runtime/coredns-image';

export const command = 'doctor';
export const describe = 'Check the Docker engine, the lab image and the kernel features each CNI/proxy mode needs';

interface DoctorArgs {
  json?: boolean;
}

export function builder(y: Argv): Argv<DoctorArgs> {
  return y.option('json', { type: 'boolean', default: false, describe: 'print the findings as JSON' });
}

/** Gathers the report; only an unreachable engine makes it throw (after `report.engine` says so). */
export async function runDoctor(): Promise<DoctorReport> {
  const where = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  const tag = imageTag();
  const report: DoctorReport = { engine: { reachable: false, where }, image: { tag, present: false } };
  try {
    await pingEngine();
    report.engine = { reachable: true, where, ...(await engineVersion()) };
  } catch (err) {
    report.engine.error = (err as Error).message;
    return report;
  }

  // Only looked for: doctor neither pulls nor builds.
  const dns = await resolveCoreDnsImage({ pull: false, build: false });
  report.coredns = dns.available ? { image: dns.image, reason: dns.reason } : { reason: dns.reason };
  const info = await imageInfo(tag);
  report.image.present = info !== undefined;
  report.image.sizeBytes = info?.sizeBytes;
  // Without the current image, an older lab image still tells us what the kernel allows.
  let probeImage: string | undefined = info ? tag : undefined;
  if (!probeImage) {
    const older = (await listLabImages())[0];
    if (older) {
      probeImage = older.tag;
      report.image.probedWith = older.tag;
    }
  }
  if (!probeImage) {
    report.kernelSkipped = 'no lab image to run the probe in; run `lab images build`, then `lab doctor` again';
    return report;
  }
  try {
    const { features, tools } = await probeLab(probeImage);
    if (info) report.image.tools = tools;
    report.kernel = { features, modes: modeRequirements(features) };
  } catch (err) {
    report.kernelSkipped = `the probe helper failed: ${(err as Error).message}`;
  }
  return report;
}

export async function handler(argv: DoctorArgs): Promise<void> {
  const report = await runDoctor();
  console.log(argv.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report, FEATURES, FEATURE_NEEDS));
  // Optional modes missing is fine (exit 0); no engine means nothing can run.
  if (!report.engine.reachable) await pingEngine();
}
