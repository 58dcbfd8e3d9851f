import { execFileSync } from 'child_process';
import { parseCurlTimes, parseThroughput, senderScript, sinkScript } from '../../src/bench/cni';

describe('cni bench tools', () => {
  it('computes Mbit/s from what the sender sent, only when the sink counted the same', () => {
    expect(parseThroughput('125000000 1.0\n', '125000000\n')).toBeCloseTo(1000);
    expect(() => parseThroughput('100 1.0', '90')).toThrow(/sink counted 90 bytes, sender sent 100/);
    expect(() => parseThroughput('', '0')).toThrow(/sender printed/);
  });
  it('parses curl time_total lines into milliseconds', () => {
    expect(parseCurlTimes('0.001200\n0.002000\n\n')).toEqual([1.2, 2]);
  });
  it('the sender and sink scripts move bytes over loopback', async () => {
    const port = 20000 + (process.pid % 20000);
    const { spawn } = await import('child_process');
    const sink = spawn('sh', ['-c', sinkScript(port, 10)]);
    let sinkOut = '';
    sink.stdout.on('data', (d) => (sinkOut += d));
    const done = new Promise((r) => sink.on('close', r));
    const sender = execFileSync('sh', ['-c', senderScript('127.0.0.1', 0.2, port)]).toString();
    await done;
    expect(parseThroughput(sender, sinkOut)).toBeGreaterThan(0);
  });
});
