/** Where a lab's files go on the host: `./lab-<name>/captures/<stamp>/`, `./lab-<name>/traces/<path>-<stamp>/`. */
import * as path from 'path';

/** UTC time as a file-name-safe stamp with milliseconds: 20261126T065100.123Z (sorts by time). */
export function utcStamp(d: Date = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '');
}

export function labDir(lab: string, cwd = process.cwd()): string {
  return path.resolve(cwd, `lab-${lab}`);
}

export function captureDir(lab: string, d: Date = new Date(), cwd = process.cwd()): string {
  return path.join(labDir(lab, cwd), 'captures', utcStamp(d));
}

export function traceDir(lab: string, pathId: string, d: Date = new Date(), cwd = process.cwd()): string {
  return path.join(labDir(lab, cwd), 'traces', `${pathId}-${utcStamp(d)}`);
}
