/**
 * The runtime side of the CNI spec (images/cni/cni-exec.py) against fake plugins that record
 * what they were given: environment, stdin, order. Runs python3 on the host, no namespaces.
 */
import { execFileSync, spawnSync } from 'child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const CNI_EXEC = path.resolve(__dirname, '../../images/cni/cni-exec.py');

/** A plugin that appends {type, env, stdin} to calls.jsonl and answers like a plugin would. */
function fakePlugin(dir: string, type: string, opts: { fail?: boolean } = {}): void {
  const file = path.join(dir, type);
  writeFileSync(
    file,
    `#!/usr/bin/env python3
import json, os, sys
conf = json.load(sys.stdin)
rec = {'type': ${JSON.stringify(type)}, 'conf': conf, 'env': {k: os.environ.get(k) for k in ['CNI_COMMAND','CNI_CONTAINERID','CNI_NETNS','CNI_IFNAME','CNI_ARGS','CNI_PATH']}}
open(os.path.join(${JSON.stringify(dir)}, 'calls.jsonl'), 'a').write(json.dumps(rec) + '\\n')
if ${opts.fail ? 'True' : 'False'}:
    print(json.dumps({'cniVersion': '1.0.0', 'code': 11, 'msg': 'sabotaged', 'details': 'by the test'}))
    sys.exit(1)
if os.environ['CNI_COMMAND'] == 'ADD':
    prev = conf.get('prevResult') or {'cniVersion': '1.0.0', 'interfaces': [], 'ips': []}
    if ${JSON.stringify(type)} == 'bridge':
        prev = {'cniVersion': '1.0.0', 'interfaces': [{'name': 'cbr0', 'mac': '0e:00:00:00:00:01'}, {'name': 'veth1234abcd', 'mac': '0e:00:00:00:00:02'}, {'name': 'eth0', 'mac': '0a:00:00:00:00:07', 'sandbox': os.environ['CNI_NETNS']}], 'ips': [{'address': '10.244.0.7/24', 'interface': 2}]}
    print(json.dumps(prev))
`,
  );
  chmodSync(file, 0o755);
}

function setup(failing?: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'cni-exec-'));
  for (const t of ['bridge', 'portmap', 'loopback']) fakePlugin(dir, t, { fail: t === failing });
  const conf = path.join(dir, '10-kubenet.conflist');
  writeFileSync(
    conf,
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'kubenet',
      plugins: [
        { type: 'bridge', bridge: 'cbr0', ipam: { type: 'host-local' } },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    }),
  );
  const cache = path.join(dir, 'results');
  const run = (cmd: string, extra: string[] = []) =>
    spawnSync(
      'python3',
      [
        CNI_EXEC,
        cmd,
        '--config',
        conf,
        '--containerid',
        'abc123',
        '--netns',
        '/run/netns/pod1',
        '--ifname',
        'eth0',
        '--args',
        'IgnoreUnknown=1;IP=10.244.0.7',
        ...extra,
      ],
      {
        env: { ...process.env, CNI_PATH: dir, CNI_CACHE_DIR: cache },
        encoding: 'utf8',
      },
    );
  const calls = () =>
    existsSync(path.join(dir, 'calls.jsonl'))
      ? readFileSync(path.join(dir, 'calls.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
      : [];
  return { dir, cache, run, calls };
}

describe('cni-exec.py (the CNI spec, runtime side)', () => {
  it("ADD runs the list in order with the spec's environment, name, cniVersion and prevResult; caches and prints the result", () => {
    const t = setup();
    const r = t.run('ADD', [
      '--runtime-config',
      JSON.stringify({ portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], bandwidth: {} }),
    ]);
    expect(r.status).toBe(0);
    const calls = t.calls();
    expect(calls.map((c) => c.type)).toEqual(['bridge', 'portmap']);
    for (const c of calls)
      expect(c.env).toEqual({
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: 'abc123',
        CNI_NETNS: '/run/netns/pod1',
        CNI_IFNAME: 'eth0',
        CNI_ARGS: 'IgnoreUnknown=1;IP=10.244.0.7',
        CNI_PATH: t.dir,
      });
    expect(calls[0].conf).toMatchObject({ cniVersion: '1.0.0', name: 'kubenet', type: 'bridge' });
    expect(calls[0].conf.prevResult).toBeUndefined();
    expect(calls[0].conf.runtimeConfig).toBeUndefined(); // bridge declares no capabilities
    // portmap gets the bridge's result and only the capability it declares.
    expect(calls[1].conf.prevResult.ips).toEqual([{ address: '10.244.0.7/24', interface: 2 }]);
    expect(calls[1].conf.runtimeConfig).toEqual({
      portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    });
    expect(JSON.parse(r.stdout).ips[0].address).toBe('10.244.0.7/24');
    const cached = JSON.parse(readFileSync(path.join(t.cache, 'kubenet-abc123-eth0'), 'utf8'));
    expect(cached).toMatchObject({ kind: 'cniCacheV1', containerId: 'abc123', ifName: 'eth0', networkName: 'kubenet' });
    expect(cached.result.interfaces.map((i: { name: string }) => i.name)).toEqual(['cbr0', 'veth1234abcd', 'eth0']);
  });

  it("--summary gives the address, the host end of the link (not the bridge, not the pod's end), the pod's MAC and the gateway's (the bridge's)", () => {
    const r = setup().run('ADD', ['--summary']);
    expect(r.stdout.trim()).toBe('ip=10.244.0.7/24 host=veth1234abcd mac=0a:00:00:00:00:07 gwmac=0e:00:00:00:00:01');
  });

  it('CHECK runs in order with the cached result; DEL runs in reverse with it and drops the cache', () => {
    const t = setup();
    expect(t.run('ADD').status).toBe(0);
    expect(t.run('CHECK').status).toBe(0);
    expect(t.run('DEL').status).toBe(0);
    const calls = t.calls();
    expect(calls.map((c) => `${c.env.CNI_COMMAND} ${c.type}`)).toEqual([
      'ADD bridge',
      'ADD portmap',
      'CHECK bridge',
      'CHECK portmap',
      'DEL portmap',
      'DEL bridge',
    ]);
    for (const c of calls.slice(2)) expect(c.conf.prevResult.interfaces[1].name).toBe('veth1234abcd');
    expect(existsSync(path.join(t.cache, 'kubenet-abc123-eth0'))).toBe(false);
    // DEL again (nothing cached) still calls the plugins and succeeds: DEL is idempotent.
    expect(t.run('DEL').status).toBe(0);
  });

  it('CHECK without an ADD fails, naming the missing result', () => {
    const r = setup().run('CHECK');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no cached ADD result/);
  });

  it('a plugin error stops the list with its code and message, and nothing is cached', () => {
    const t = setup('portmap');
    const r = t.run('ADD');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ADD portmap \(kubenet, eth0\) failed: code 11: sabotaged by the test/);
    expect(existsSync(path.join(t.cache, 'kubenet-abc123-eth0'))).toBe(false);
  });

  it('runs a single-plugin .conf (loopback) as a list of one', () => {
    const t = setup();
    const lo = path.join(t.dir, '99-loopback.conf');
    writeFileSync(lo, JSON.stringify({ cniVersion: '1.0.0', name: 'cni-loopback', type: 'loopback' }));
    execFileSync(
      'python3',
      [CNI_EXEC, 'ADD', '--config', lo, '--containerid', 'abc123', '--netns', '/run/netns/pod1', '--ifname', 'lo'],
      { env: { ...process.env, CNI_PATH: t.dir, CNI_CACHE_DIR: t.cache } },
    );
    expect(t.calls()[0]).toMatchObject({
      type: 'loopback',
      conf: { name: 'cni-loopback', cniVersion: '1.0.0' },
      env: { CNI_IFNAME: 'lo' },
    });
  });

  it("--batch: many attachments from stdin, a pod's lo then eth0 in order; ADD prints cni-result lines, CHECK one line per pod, ok or fail", () => {
    const t = setup();
    const lo = path.join(t.dir, '99-loopback.conf');
    writeFileSync(lo, JSON.stringify({ cniVersion: '1.0.0', name: 'cni-loopback', type: 'loopback' }));
    const conf = path.join(t.dir, '10-kubenet.conflist');
    const items = (cmd: string) =>
      ['a', 'b'].flatMap((p) =>
        (cmd === 'ADD' ? ['lo', 'eth0'] : ['eth0']).map((ifname) => ({
          config: ifname === 'lo' ? lo : conf,
          containerid: `id-${p}`,
          netns: `/run/netns/${p}`,
          ifname,
          args: '',
          label: p,
          ...(ifname === 'eth0' ? { summary: true } : {}),
        })),
      );
    const run = (cmd: string, input: unknown) =>
      spawnSync('python3', ['-S', CNI_EXEC, cmd, '--batch'], {
        input: JSON.stringify(input),
        env: { ...process.env, CNI_PATH: t.dir, CNI_CACHE_DIR: t.cache },
        encoding: 'utf8',
      });
    // CHECK before any ADD: every pod fails, with the reason, and the run itself succeeds.
    const early = run('CHECK', items('CHECK'));
    expect(early.status).toBe(0);
    expect(early.stdout.trim().split('\n').sort()).toEqual([
      expect.stringMatching(/^cni-check a fail .*no cached ADD result/),
      expect.stringMatching(/^cni-check b fail .*no cached ADD result/),
    ]);
    const add = run('ADD', items('ADD'));
    expect(add.status).toBe(0);
    expect(add.stdout.trim().split('\n').sort()).toEqual([
      // The gateway's MAC is the bridge's (the pod's gateway lives on cbr0), the pod's its eth0's.
      'cni-result a ip=10.244.0.7/24 host=veth1234abcd mac=0a:00:00:00:00:07 gwmac=0e:00:00:00:00:01',
      'cni-result b ip=10.244.0.7/24 host=veth1234abcd mac=0a:00:00:00:00:07 gwmac=0e:00:00:00:00:01',
    ]);
    for (const p of ['a', 'b']) {
      const mine = t.calls().filter((c) => c.env.CNI_CONTAINERID === `id-${p}`);
      expect(mine.map((c) => `${c.env.CNI_IFNAME} ${c.type}`)).toEqual(['lo loopback', 'eth0 bridge', 'eth0 portmap']);
    }
    const check = run('CHECK', items('CHECK'));
    expect(check.stdout.trim().split('\n').sort()).toEqual(['cni-check a ok', 'cni-check b ok']);
  });
});
