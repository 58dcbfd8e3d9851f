#!/usr/bin/env python3
"""
The container runtime's side of the CNI specification (v1.0.0), as kubelet reaches it through
the CRI runtime's libcni: runs the plugins of one network configuration for one container.

  cni-exec.py ADD|DEL|CHECK --config FILE --containerid ID --netns PATH --ifname IF
              [--args 'K=V;K=V'] [--runtime-config JSON] [--summary]
  cni-exec.py ADD|DEL|CHECK --batch < attachments.json     (see batch())

ADD runs the plugins of a .conflist in order, each given the previous plugin's result as
prevResult, prints the last result and caches it (libcni: /var/lib/cni/results/<network>-<id>-<if>).
DEL runs them in reverse order with the cached result as prevResult, then drops the cache.
CHECK runs them in order with the cached result as prevResult (skipped when the list says
disableCheck). A .conf file is a list of one plugin. Each plugin gets the list's name and
cniVersion, and runtimeConfig holding only the capabilities it declares. The environment is
CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS and CNI_PATH; the configuration
goes on stdin. With --summary, ADD prints `ip=<address/prefix> host=<host-side interface> mac=<pod MAC> gwmac=<gateway MAC>` (what
the kubelet records as the pod's status) instead of the result. A plugin's error (exit status != 0, an error object on stdout) ends the run with
exit status 1 and the error on stderr.
"""
import argparse
import json
import os
import subprocess
import sys

CNI_PATH = os.environ.get('CNI_PATH', '/usr/lib/cni:/opt/cni/bin')
CACHE_DIR = os.environ.get('CNI_CACHE_DIR', '/var/lib/cni/results')


class CniError(Exception):
    pass


def fail(msg):
    raise CniError(msg)


def load_list(path):
    with open(path) as f:
        conf = json.load(f)
    if 'plugins' in conf:
        return conf
    # A single-plugin .conf is a list of one.
    return {'cniVersion': conf.get('cniVersion'), 'name': conf.get('name'), 'plugins': [conf]}


def find_plugin(kind):
    for d in CNI_PATH.split(':'):
        p = os.path.join(d, kind)
        if os.access(p, os.X_OK):
            return p
    fail(f'plugin "{kind}" not found in CNI_PATH {CNI_PATH}')


def plugin_conf(netlist, plugin, runtime_config, prev):
    conf = dict(plugin)
    conf['cniVersion'] = netlist['cniVersion']
    conf['name'] = netlist['name']
    caps = [k for k, v in (plugin.get('capabilities') or {}).items() if v]
    rc = {k: runtime_config[k] for k in caps if k in runtime_config}
    if rc:
        conf['runtimeConfig'] = rc
    if prev is not None:
        conf['prevResult'] = prev
    return conf


def run_plugin(command, opts, netlist, plugin, runtime_config, prev):
    env = dict(os.environ)
    env.update({
        'CNI_COMMAND': command,
        'CNI_CONTAINERID': opts.containerid,
        'CNI_NETNS': opts.netns,
        'CNI_IFNAME': opts.ifname,
        'CNI_ARGS': opts.args,
        'CNI_PATH': CNI_PATH,
    })
    stdin = json.dumps(plugin_conf(netlist, plugin, runtime_config, prev))
    p = subprocess.run([find_plugin(plugin['type'])], input=stdin, capture_output=True, text=True, env=env)
    out = p.stdout.strip()
    parsed = None
    if out:
        try:
            parsed = json.loads(out)
        except ValueError:
            parsed = None
    if p.returncode != 0:
        detail = parsed if isinstance(parsed, dict) else {'msg': out}
        fail(f'{command} {plugin["type"]} ({netlist["name"]}, {opts.ifname}) failed: '
             f'code {detail.get("code", "?")}: {detail.get("msg", "")} {detail.get("details", "")} {p.stderr.strip()}'.rstrip())
    return parsed


def cache_path(netlist, opts):
    return os.path.join(CACHE_DIR, f'{netlist["name"]}-{opts.containerid}-{opts.ifname}')


def summary(netlist, result):
    """
    The pod's address, the host end of its link, the pod interface's MAC and the MAC of the host
    side that answers for the pod's gateway (the bridge when there is one, else the host veth), from
    the final result: what the node needs to know both ends of the link by address and MAC.
    """
    result = result or {}
    bridges = {p.get('bridge') for p in netlist['plugins'] if p.get('type') == 'bridge'}
    ifaces = result.get('interfaces') or []
    hosts = [i for i in ifaces if not i.get('sandbox') and i.get('name') not in bridges]
    pods = [i for i in ifaces if i.get('sandbox')]
    gws = [i for i in ifaces if i.get('name') in bridges] or hosts
    ips = [i.get('address') for i in result.get('ips') or []]

    def first(xs, key):
        return (xs[0].get(key) if xs else None) or '-'

    return (f'ip={ips[0] if ips else "-"} host={first(hosts, "name")} '
            f'mac={first(pods, "mac")} gwmac={first(gws, "mac")}')


def attach(command, opts, runtime_config, want_summary=False):
    """One command on one attachment (network configuration, container, interface); returns what to print."""
    netlist = load_list(opts.config)
    cache = cache_path(netlist, opts)

    if command == 'ADD':
        prev = None
        for plugin in netlist['plugins']:
            prev = run_plugin('ADD', opts, netlist, plugin, runtime_config, prev)
        os.makedirs(CACHE_DIR, exist_ok=True)
        with open(cache, 'w') as f:
            json.dump({'kind': 'cniCacheV1', 'containerId': opts.containerid, 'ifName': opts.ifname,
                       'networkName': netlist['name'], 'config': netlist, 'result': prev}, f)
        return summary(netlist, prev) if want_summary else json.dumps(prev)

    cached = None
    try:
        with open(cache) as f:
            cached = json.load(f).get('result')
    except (OSError, ValueError):
        cached = None

    if command == 'CHECK':
        if netlist.get('disableCheck'):
            return None
        if cached is None:
            fail(f'CHECK {netlist["name"]} {opts.containerid} {opts.ifname}: no cached ADD result in {cache}')
        for plugin in netlist['plugins']:
            run_plugin('CHECK', opts, netlist, plugin, runtime_config, cached)
        return None

    # DEL: reverse order; a missing cache is no error (DEL must be idempotent).
    for plugin in reversed(netlist['plugins']):
        run_plugin('DEL', opts, netlist, plugin, runtime_config, cached)
    try:
        os.remove(cache)
    except FileNotFoundError:
        pass
    return None


class Item:
    def __init__(self, d):
        self.config = d['config']
        self.containerid = d['containerid']
        self.netns = d['netns']
        self.ifname = d['ifname']
        self.args = d.get('args', '')
        self.runtime_config = d.get('runtimeConfig') or {}
        self.label = d.get('label', d['netns'])
        self.summary = bool(d.get('summary'))


def batch(command):
    """
    Many attachments from a JSON list on stdin (what a node's kubelet does for the pods it starts at
    once: one runtime process, the attachments run concurrently, each by the spec). One line per
    item: ADD `cni-result <label> ip=… host=…` (items with summary), CHECK `cni-check <label> ok` or
    `cni-check <label> fail <error>`, DEL nothing; exit status 1 if any item failed (ADD, DEL).
    Items sharing a label (a pod's lo and eth0) run in order: DEL in the order given, others too.
    """
    items = [Item(d) for d in json.load(sys.stdin)]
    groups = {}
    for it in items:
        groups.setdefault(it.label, []).append(it)

    def run_group(group):
        out = []
        for it in group:
            try:
                res = attach(command, it, it.runtime_config, it.summary)
                if command == 'ADD' and it.summary:
                    out.append((True, f'cni-result {it.label} {res}'))
                elif command == 'CHECK':
                    out.append((True, f'cni-check {it.label} ok'))
            except CniError as e:
                msg = ' '.join(str(e).split())
                out.append((False, f'cni-check {it.label} fail {msg}' if command == 'CHECK' else f'cni-exec: {it.label}: {msg}'))
                if command != 'CHECK':
                    break
        return out

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run_group, groups.values()))
    failed = False
    for lines in results:
        for ok, line in lines:
            if ok or command == 'CHECK':
                print(line)
            else:
                failed = True
                sys.stderr.write(line + '\n')
    sys.exit(1 if failed else 0)


def main():
    ap = argparse.ArgumentParser(description='run the CNI plugins of one network configuration')
    ap.add_argument('command', choices=['ADD', 'DEL', 'CHECK'])
    ap.add_argument('--batch', action='store_true', help='attachments as a JSON list on stdin')
    ap.add_argument('--config')
    ap.add_argument('--containerid')
    ap.add_argument('--netns')
    ap.add_argument('--ifname')
    ap.add_argument('--args', default='')
    ap.add_argument('--runtime-config', default='{}')
    ap.add_argument('--summary', action='store_true')
    opts = ap.parse_args()
    if opts.batch:
        batch(opts.command)
        return
    for k in ('config', 'containerid', 'netns', 'ifname'):
        if getattr(opts, k) is None:
            ap.error(f'--{k} is required without --batch')
    try:
        out = attach(opts.command, opts, json.loads(opts.runtime_config), opts.summary)
    except CniError as e:
        sys.stderr.write(f'cni-exec: {e}\n')
        sys.exit(1)
    if out is not None:
        print(out)


if __name__ == '__main__':
    main()
