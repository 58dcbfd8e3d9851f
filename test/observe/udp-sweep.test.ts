/** The UDP sweep as the lab runs it (sh feeding images/probes/udp-sweep.py to python3), against loopback. */
import { spawn } from 'child_process';
import * as dgram from 'dgram';
import { parseUdpSweep, renderUdpSweep, tally } from '../../src/observe/sweep';

const run = (cmd: string) =>
  new Promise<string>((resolve) => {
    const p = spawn('sh', ['-c', cmd]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', () => resolve(out));
  });

describe('UDP sweep program', () => {
  it('one datagram per socket: each answer on its own line, from a new source port each time', async () => {
    const ports = new Set<number>();
    const srv = dgram.createSocket('udp4');
    srv.on('message', (msg, from) => {
      ports.add(from.port);
      srv.send(`web-${ports.size % 2 ? 'a' : 'b'} got ${msg}`, from.port, from.address);
    });
    await new Promise<void>((r) => srv.bind(0, '127.0.0.1', r));
    const out = await run(renderUdpSweep('127.0.0.1', srv.address().port, 'hostname', 4));
    srv.close();
    expect(parseUdpSweep(out)).toHaveLength(4);
    expect(tally(parseUdpSweep(out))).toEqual({ 'web-a got hostname': 2, 'web-b got hostname': 2 });
    expect(ports.size).toBe(4);
  });

  it('no answer: a failed line per datagram, nothing to tally as an answer', async () => {
    const srv = dgram.createSocket('udp4');
    srv.on('message', () => undefined); // receives, never answers
    await new Promise<void>((r) => srv.bind(0, '127.0.0.1', r));
    const out = await run(renderUdpSweep('127.0.0.1', srv.address().port, 'hostname', 2));
    srv.close();
    expect(out).toBe('1 0 \n1 0 \n');
    expect(tally(parseUdpSweep(out))).toEqual({ '(failed: exit 1)': 2 });
  });
});
