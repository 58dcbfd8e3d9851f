#!/usr/bin/env python3
"""K HTTP GETs of one URL, each on a new TCP connection, in one process (src/observe/sweep.ts).

A new connection is a new source port, so a new conntrack entry and a fresh load-balancing
choice for each request, as K curl runs would give, without K processes. Up to PARALLEL requests
are in flight at once. One line per request, in the order they were sent, as the curl sweep
printed them:

  <exit> <body, newlines as spaces> __CURL__ <status> <remote ip:port> <local ip:port>

exit is what curl would exit with: 0 (an HTTP answer, whatever its status), 7 (could not
connect: refused, unreachable), 28 (the TIMEOUT seconds ran out), 52 (the connection closed
without an answer), 56 (reset while reading), 6 (the name did not resolve), 8 (not HTTP).
With GIVE_UP > 0 the sweep stops sending once that many requests in a row have failed (a dead
path need not cost K timeouts). With RETRY=1 a request that timed out is sent once more, on a
new connection, and `~` is printed before its line (under load a slow answer is not a lost one).

  http-sweep.py URL K TIMEOUT PARALLEL GIVE_UP RETRY [SOURCE_IP] [HEADER...]
"""
import errno
import http.client
import socket
import sys
import threading
import time
import urllib.parse


def get(url, timeout, source):
    """One GET on a new connection: (exit, status, body, remote, local)."""
    u = urllib.parse.urlsplit(url)
    port = u.port or 80
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    deadline = time.monotonic() + timeout
    remote, local = ":", ":"
    try:
        addr = socket.gethostbyname(u.hostname)
    except OSError:
        return 6, 0, "", remote, local
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if source:
            s.bind((source, 0))
        s.settimeout(timeout)
        try:
            s.connect((addr, port))
        except socket.timeout:
            return 28, 0, "", remote, local
        except OSError as e:
            return (28 if e.errno == errno.ETIMEDOUT else 7), 0, "", remote, local
        remote = "%s:%d" % s.getpeername()
        local = "%s:%d" % s.getsockname()
        c = http.client.HTTPConnection(u.hostname, port)
        c.sock = s
        try:
            s.settimeout(max(0.001, deadline - time.monotonic()))
            own_host = any(h.partition(":")[0].strip().lower() == "host" for h in HEADERS)
            c.putrequest("GET", path, skip_host=own_host, skip_accept_encoding=True)
            for h in HEADERS:
                k, _, v = h.partition(":")
                c.putheader(k.strip(), v.strip())
            c.putheader("User-Agent", "k8s-netlab-sweep")
            c.putheader("Accept", "*/*")
            c.endheaders()
            r = c.getresponse()
            s.settimeout(max(0.001, deadline - time.monotonic()))
            body = r.read().decode("utf-8", "replace")
            return 0, r.status, body, remote, local
        except socket.timeout:
            return 28, 0, "", remote, local
        except http.client.RemoteDisconnected:
            return 52, 0, "", remote, local
        except http.client.HTTPException:
            return 8, 0, "", remote, local
        except ConnectionResetError:
            return 56, 0, "", remote, local
        except OSError:
            return 56, 0, "", remote, local
    finally:
        s.close()


def line(res):
    x, status, body, remote, local = res
    text = body.replace("\n", " ").rstrip(" ")
    return "%d %s __CURL__ %03d %s %s" % (x, text, status, remote, local)


HEADERS = []


def main():
    url, k, timeout, parallel, give_up, retry = sys.argv[1:7]
    k, timeout, parallel, give_up = int(k), float(timeout), max(1, int(parallel)), int(give_up)
    source = sys.argv[7] if len(sys.argv) > 7 else ""
    HEADERS.extend(sys.argv[8:])
    out = [None] * k
    lock = threading.Lock()
    state = {"next": 0, "fails": 0, "stop": False}

    def worker():
        while True:
            with lock:
                if state["stop"] or state["next"] >= k:
                    return
                i = state["next"]
                state["next"] += 1
            res = get(url, timeout, source)
            text = line(res)
            if retry == "1" and res[0] == 28:
                res = get(url, timeout, source)
                text = "~\n" + line(res)
            with lock:
                out[i] = text
                state["fails"] = state["fails"] + 1 if res[0] != 0 else 0
                if give_up > 0 and state["fails"] >= give_up:
                    state["stop"] = True

    threads = [threading.Thread(target=worker) for _ in range(min(parallel, k))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sys.stdout.write("".join(t + "\n" for t in out if t is not None))


if __name__ == "__main__":
    main()
