import { engineUnreachable } from '../../src/runtime/docker';
import { notRunning } from '../../src/runtime/containers';

describe('errors that name the cause', () => {
  it('permission denied on the socket is not "no engine"', () => {
    const e = engineUnreachable(
      Object.assign(new Error('connect EACCES /var/run/docker.sock'), { code: 'EACCES' }),
      undefined,
    );
    expect(e.message).toMatch(/permission denied on the Docker socket \/var\/run\/docker\.sock/);
    expect(e.hint).toMatch(/docker group/);
    expect(e.hint).toMatch(/sudo/);
    expect(e.exitCode).toBe(3);
  });
  it('no socket / refused is "no engine", with how to start one', () => {
    for (const code of ['ENOENT', 'ECONNREFUSED']) {
      const e = engineUnreachable(Object.assign(new Error('x'), { code }), 'unix:///run/x.sock');
      expect(e.message).toBe(`no Docker engine answers at unix:///run/x.sock (${code})`);
      expect(e.hint).toMatch(/start one/);
    }
  });
  it('a stopped lab container names itself, its lab, and both ways out', () => {
    const e = notRunning('k8s-netlab-g-node1', 'exited', 'g');
    expect(e.message).toBe('container k8s-netlab-g-node1 of lab g is not running (state exited)');
    expect(e.hint).toMatch(/lab up --name g/);
    expect(e.hint).toMatch(/lab down --name g/);
  });
});
