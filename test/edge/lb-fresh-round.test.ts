/** renderLbFreshRound run by sh against a state file written as images/lb/checker.py writes it. */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderLbFreshRound } from '../../src/edge/lb';
import { script } from '../../src/plan/shell';

const state = (started: number) => JSON.stringify({ started, updated: started + 0.01, services: {} }, null, 1);

function run(dir: string, timeoutSec: number): Promise<{ out: string; ms: number }> {
  const text = script(
    renderLbFreshRound({ config: path.join(dir, 'conf.json'), state: path.join(dir, 'state.json'), timeoutSec }),
  );
  const t0 = Date.now();
  return new Promise((resolve, reject) =>
    execFile('sh', ['-c', text], (err, stdout) =>
      err ? reject(err) : resolve({ out: stdout.trim(), ms: Date.now() - t0 }),
    ),
  );
}

describe('renderLbFreshRound', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lbf-'));
    fs.writeFileSync(path.join(dir, 'conf.json'), '{}');
  });

  it('touches the config, and is fresh once a round began after the touch', async () => {
    const before = fs.statSync(path.join(dir, 'conf.json')).mtimeMs;
    fs.writeFileSync(path.join(dir, 'state.json'), state(Date.now() / 1000 - 5));
    // The checker's next round, as it would start once it saw the touch.
    const later = setTimeout(() => fs.writeFileSync(path.join(dir, 'state.json'), state(Date.now() / 1000)), 400);
    const r = await run(dir, 5);
    clearTimeout(later);
    expect(r.out).toBe('fresh');
    expect(r.ms).toBeGreaterThanOrEqual(300);
    expect(fs.statSync(path.join(dir, 'conf.json')).mtimeMs).toBeGreaterThanOrEqual(before);
  });

  it('is stale when the last round began before the touch, after the bound', async () => {
    fs.writeFileSync(path.join(dir, 'state.json'), state(Date.now() / 1000 - 0.5));
    const r = await run(dir, 1);
    expect(r.out).toBe('stale');
  });

  it('is stale when there is no state file', async () => {
    expect((await run(dir, 1)).out).toBe('stale');
  });
});
