#!/usr/bin/env python3
"""
Escape attempts from inside a lab container (run by test/e2e/security.test.ts through `lab exec`,
fed on stdin). Prints one JSON line per attempt: {"attempt", "blocked", "detail"}.

Harmless by construction, on the real host of everyone's work:
- nothing is ever written to a sysctl, a cgroup file or a device: "could write" is proven by
  open(O_WRONLY) and an immediate close, which changes nothing;
- a mount that unexpectedly succeeds is read-only where the kernel allows it, only looked at
  (does release_agent exist, may it be opened for writing) and unmounted at once;
- init_module gets an empty image (nothing can load), finit_module a bad descriptor;
- setns targets PID 1's namespaces only after checking they are not the host's (argv), and runs
  in a forked child that exits immediately;
- connections to host addresses are TCP connects with a short timeout; no byte is sent.

argv: JSON {"hostNs": {"mnt": "mnt:[...]", ...}, "hostAddrs": ["192.0.2.2", ...], "ports": [22, ...]}
"""
import ctypes
import errno
import json
import os
import select
import socket
import sys
import tempfile

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
MS_RDONLY, MS_BIND = 1, 4096
NR_INIT_MODULE, NR_FINIT_MODULE = 175, 313  # x86_64
CLONE_NEWNS = 0x00020000

ARGS = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
HOST_NS = ARGS.get("hostNs", {})


def report(attempt, blocked, detail):
    print(json.dumps({"attempt": attempt, "blocked": bool(blocked), "detail": detail}), flush=True)


def err_name(e):
    return errno.errorcode.get(e, str(e))


def mount(src, target, fstype, flags=0, data=None):
    r = libc.mount(src.encode(), target.encode(), fstype.encode() if fstype else None, flags, data.encode() if data else None)
    return 0 if r == 0 else ctypes.get_errno()


def umount(target):
    libc.umount2(target.encode(), 2)  # MNT_DETACH


def can_open_for_write(path):
    """True when the file may be opened for writing; nothing is written."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        return False, err_name(e.errno)
    os.close(fd)
    return True, "opened for writing (nothing written)"


def tmpdir():
    return tempfile.mkdtemp(prefix="k8s-netlab-escape-")


def cgroup_v1_release_agent():
    details = []
    writable = []
    # Any release_agent already visible (the container's own cgroup mounts).
    for root, _dirs, files in os.walk("/sys/fs/cgroup"):
        if "release_agent" in files:
            ok, why = can_open_for_write(os.path.join(root, "release_agent"))
            details.append("%s/release_agent: %s" % (root, why))
            if ok:
                writable.append(root)
    mounted = []
    for ctrl in ("memory", "pids", "rdma"):
        d = tmpdir()
        e = mount("cgroup", d, "cgroup", 0, ctrl)
        if e == 0:
            mounted.append(ctrl)
            ra = os.path.join(d, "release_agent")
            if os.path.exists(ra):
                ok, why = can_open_for_write(ra)
                details.append("mount -t cgroup -o %s: mounted; release_agent %s" % (ctrl, why))
                if ok:
                    writable.append(ctrl)
            else:
                details.append("mount -t cgroup -o %s: mounted, no release_agent (private cgroup namespace)" % ctrl)
            umount(d)
        else:
            details.append("mount -t cgroup -o %s: %s" % (ctrl, err_name(e)))
        os.rmdir(d)
    report("cgroup v1 mount + release_agent", not writable, "; ".join(details))


def cgroup_v2_notify_on_release():
    details = []
    d = tmpdir()
    e = mount("cgroup2", d, "cgroup2")
    if e == 0:
        details.append("mount -t cgroup2: mounted")
        umount(d)
    else:
        details.append("mount -t cgroup2: %s" % err_name(e))
    os.rmdir(d)
    writable = []
    for root, _dirs, files in os.walk("/sys/fs/cgroup"):
        if "notify_on_release" in files:
            ok, why = can_open_for_write(os.path.join(root, "notify_on_release"))
            if ok:
                writable.append(root)
            if len(details) < 4:
                details.append("%s/notify_on_release: %s" % (root, why))
    report("cgroup v2 mount / notify_on_release", e != 0 and not writable, "; ".join(details))


HOST_SYSCTLS = ["kernel/core_pattern", "kernel/modprobe", "kernel/panic", "kernel/sysrq", "vm/stat_interval", "vm/drop_caches", "fs/file-max"]


def host_sysctls():
    for name in HOST_SYSCTLS:
        p = "/proc/sys/" + name
        ok, why = can_open_for_write(p)
        report("write %s" % name.replace("/", "."), not ok, why)
    # Every part of /proc/sys but net (per network namespace) is on a read-only mount.
    rw = []
    for entry in sorted(os.listdir("/proc/sys")):
        if entry == "net":
            continue
        if not os.statvfs("/proc/sys/" + entry).f_flag & os.ST_RDONLY:
            rw.append(entry)
    report("/proc/sys read-only except net", not rw, "writable: %s" % ",".join(rw) if rw else "every entry but net is read-only")


def fresh_proc():
    d = tmpdir()
    e = mount("proc", d, "proc")
    if e == 0:
        ok, why = can_open_for_write(os.path.join(d, "sys/kernel/core_pattern"))
        umount(d)
        report("mount a fresh /proc (unmasked) and write core_pattern", not ok, "mounted; core_pattern %s" % why)
    else:
        report("mount a fresh /proc (unmasked) and write core_pattern", True, "mount -t proc: %s" % err_name(e))
    os.rmdir(d)


def block_devices():
    details = []
    opened = mounted = False
    disks = []
    with open("/proc/partitions") as f:
        for line in f.read().split("\n")[2:]:
            parts = line.split()
            if len(parts) == 4:
                disks.append((int(parts[0]), int(parts[1]), parts[3]))
    for major, minor, name in disks[:2]:
        node = os.path.join(tmpdir(), name)
        try:
            os.mknod(node, 0o600 | 0o060000, os.makedev(major, minor))
            details.append("mknod %s: ok" % name)
        except OSError as e:
            details.append("mknod %s: %s" % (name, err_name(e.errno)))
            os.rmdir(os.path.dirname(node))
            continue
        try:
            fd = os.open(node, os.O_RDONLY)
            os.close(fd)
            opened = True
            details.append("open %s read-only: ok" % name)
        except OSError as e:
            details.append("open %s: %s" % (name, err_name(e.errno)))
        d = tmpdir()
        e = mount(node, d, "ext4", MS_RDONLY)
        if e == 0:
            mounted = True
            umount(d)
        details.append("mount -o ro %s: %s" % (name, "mounted" if e == 0 else err_name(e)))
        os.rmdir(d)
        os.unlink(node)
        os.rmdir(os.path.dirname(node))
    report("mount the host's block devices", not opened and not mounted, "; ".join(details) or "no block device listed")


def proc1_root():
    d = tmpdir()
    e = mount("/proc/1/root", d, None, MS_BIND)
    if e == 0:
        umount(d)
    os.rmdir(d)
    report("bind-mount /proc/1/root", e != 0, "mount --bind /proc/1/root: %s" % ("mounted" if e == 0 else err_name(e)))


def docker_socket():
    details = []
    reached = False
    for path in ["/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock", "/var/run/docker/containerd/containerd.sock"]:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(1)
        try:
            s.connect(path)
            reached = True
            details.append("%s: connected" % path)
        except OSError as e:
            details.append("%s: %s" % (path, err_name(e.errno) if e.errno else str(e)))
        finally:
            s.close()
    report("reach the Docker socket", not reached, "; ".join(details))


def kernel_modules():
    e1 = 0 if libc.syscall(NR_INIT_MODULE, None, ctypes.c_ulong(0), b"") == 0 else ctypes.get_errno()
    e2 = 0 if libc.syscall(NR_FINIT_MODULE, -1, b"", 0) == 0 else ctypes.get_errno()
    # Only EPERM proves the capability check refused: EINVAL/EBADF would mean it got past it.
    report("load a kernel module", e1 == errno.EPERM and e2 == errno.EPERM, "init_module: %s; finit_module: %s" % (err_name(e1), err_name(e2)))


def nsenter_pid1():
    details = []
    host_seen = []
    for ns in ("mnt", "net", "pid", "cgroup", "ipc", "uts"):
        try:
            mine = os.readlink("/proc/1/ns/" + ns)
        except OSError as e:
            details.append("%s: %s" % (ns, err_name(e.errno)))
            continue
        if HOST_NS.get(ns) == mine:
            host_seen.append(ns)
    readable = len(HOST_NS) and not any(d.endswith("EACCES") or d.endswith("EPERM") for d in details)
    if host_seen:
        details.append("PID 1 here shares the host's %s namespaces" % ",".join(host_seen))
    elif readable:
        details.append("PID 1 here shares no namespace with the host")
    # setns into PID 1's mount namespace, in a child that exits at once.
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open("/proc/1/ns/mnt", os.O_RDONLY)
            r = libc.setns(fd, CLONE_NEWNS)
            os._exit(0 if r == 0 else min(ctypes.get_errno(), 255))
        except OSError as e:
            os._exit(min(e.errno or 1, 255))
    _, status = os.waitpid(pid, 0)
    code = os.WEXITSTATUS(status)
    details.append("setns(/proc/1/ns/mnt): %s" % ("entered" if code == 0 else err_name(code)))
    own_cgroup = os.readlink("/proc/self/ns/cgroup")
    if HOST_NS.get("cgroup") == own_cgroup:
        host_seen.append("own-cgroup")
        details.append("this process is in the host's cgroup namespace")
    report("nsenter into PID 1's namespaces", not host_seen and code != 0, "; ".join(details))


def host_addresses():
    addrs = ARGS.get("hostAddrs", [])
    ports = ARGS.get("ports", [22, 2375])
    pending = {}
    results = []
    for a in addrs:
        for p in ports:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            e = s.connect_ex((a, p))
            if e in (errno.EINPROGRESS, 0):
                pending[s.fileno()] = (s, a, p)
            else:
                results.append("%s:%d %s" % (a, p, err_name(e)))
                s.close()
    reached = []
    deadline = 2.0
    while pending and deadline > 0:
        _, w, _ = select.select([], [s for s, _, _ in pending.values()], [], 0.2)
        deadline -= 0.2
        for s in w:
            _, a, p = pending.pop(s.fileno())
            e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if e == 0:
                reached.append("%s:%d" % (a, p))
            results.append("%s:%d %s" % (a, p, "connected" if e == 0 else err_name(e)))
            s.close()
    for s, a, p in pending.values():
        results.append("%s:%d timed out" % (a, p))
        s.close()
    report("reach a host address", not reached, "; ".join(sorted(results)))


def capabilities():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:") or line.startswith("CapEff:"):
                print(json.dumps({"status": line.split(":")[0], "value": line.split()[1]}), flush=True)


for f in (cgroup_v1_release_agent, cgroup_v2_notify_on_release, host_sysctls, fresh_proc, block_devices, proc1_root, docker_socket, kernel_modules, nsenter_pid1, host_addresses, capabilities):
    try:
        f()
    except Exception as e:  # an attempt that crashed proves nothing either way
        report(f.__name__, False, "attempt crashed: %r" % (e,))
