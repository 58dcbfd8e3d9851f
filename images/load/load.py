#!/usr/bin/env python3
"""Steady, bounded HTTP load run inside a lab namespace (stdlib only), for `lab load`.

Usage: load.py IP PORT PATH RATE SECONDS TIMEOUT
Opens a new TCP connection per request (so each request gets its own kube-proxy load-balancing
decision, as a new client would), RATE requests a second on a fixed schedule for SECONDS, each
one given at most TIMEOUT seconds. A slow request never delays the next one: requests run in
threads, at most RATE x (TIMEOUT + 1) at once.
Prints JSON lines as it goes (so a source that dies mid-run still tells what it saw):
{"start": epoch ms}, then one [ms since start, kind, text] per request as it ends, then
{"done": requests}. kind is ok (text: the answer, e.g. the backend's hostname), refused, timeout, reset, unreachable,
http (a status other than 200) or error. Classifying the answer (wrong backend) is the caller's.
"""
import errno
import json
import socket
import sys
import threading
import time


def request(ip, port, path, timeout):
    s = socket.create_connection((ip, port), timeout=timeout)
    try:
        s.settimeout(timeout)
        s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, ip)).encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    if not data:
        return "reset", "connection closed without an answer"
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1:2]
    if status != [b"200"]:
        return "http", "HTTP %s" % (status[0].decode() if status else "?")
    return "ok", body.decode(errors="replace")[:64]


def classify(e):
    if isinstance(e, socket.timeout):
        return "timeout", "no answer within the timeout"
    if isinstance(e, ConnectionRefusedError):
        return "refused", "connection refused"
    if isinstance(e, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return "reset", type(e).__name__
    if isinstance(e, OSError) and e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "unreachable", e.strerror or str(e)
    return "error", "%s: %s" % (type(e).__name__, e)


def main():
    ip, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rate, seconds, timeout = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    lock = threading.Lock()
    slots = threading.BoundedSemaphore(max(1, int(rate * (timeout + 1))))
    start = time.time()
    out = sys.stdout
    out.write(json.dumps({"start": round(start * 1000)}) + "\n")
    out.flush()

    def one(at):
        try:
            kind, text = request(ip, port, path, timeout)
        except Exception as e:  # every failure is a result, never a crash
            kind, text = classify(e)
        finally:
            slots.release()
        with lock:
            out.write(json.dumps([round(at * 1000), kind, text]) + "\n")
            out.flush()

    threads, n = [], int(rate * seconds)
    for i in range(n):
        at = i / rate
        delay = start + at - time.time()
        if delay > 0:
            time.sleep(delay)
        slots.acquire()
        t = threading.Thread(target=one, args=(at,), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(timeout + 2)
    with lock:
        out.write(json.dumps({"done": n}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
