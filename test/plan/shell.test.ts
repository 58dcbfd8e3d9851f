import { spawnSync } from 'child_process';
import { heredoc, q, runPython, waitUntil, writeFileLines } from '../../src/plan/shell';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const sh = (s: string) => spawnSync('sh', ['-c', s], { encoding: 'utf8' });

describe('shell helpers', () => {
  it('heredoc: the content verbatim (no expansion), the tag made unique against it', () => {
    const content = 'a $HOME `x`\nK8S_NETLAB_EOF\n';
    const lines = heredoc('cat', content);
    expect(lines[0]).toBe("cat <<'K8S_NETLAB_EOF_'");
    expect(sh(lines.join('\n')).stdout).toBe(content);
  });

  it('writeFileLines: makes the directory, writes atomically, content intact', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shell-'));
    const file = path.join(dir, 'sub', 'f.json');
    const r = sh(writeFileLines(file, '{"a": "$x"}', { mkdir: true, atomic: true }).join('\n'));
    expect(r.status).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a": "$x"}\n');
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
  });

  it('runPython: the program on stdin, its arguments quoted', () => {
    const r = sh(runPython('import sys\nprint(sys.argv[1:])', ['a b', 3]));
    expect(r.stdout).toBe("['a b', '3']\n");
  });

  it('waitUntil: returns once the condition holds', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wait-'));
    const f = path.join(dir, 'ready');
    const r = sh(`(sleep 0.3; touch ${q(f)}) & ${waitUntil(`[ -e ${q(f)} ]`, { what: 'ready file' })}; echo done`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('done\n');
  });

  it('waitUntil: times out with one message naming what did not happen, the extra output, exit 1', () => {
    const r = sh(`${waitUntil('false', { what: 'server up', timeoutSec: 1, onTimeout: 'echo log >&2' })}; echo after`);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('server up: not after 1 s\nlog\n');
    expect(r.stdout).toBe('');
  });

  it('waitUntil then continue: a best-effort wait goes on after the deadline', () => {
    const r = sh(`${waitUntil('false', { what: 'x', timeoutSec: 1, then: 'continue' })}; echo after`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('after\n');
  });
});
