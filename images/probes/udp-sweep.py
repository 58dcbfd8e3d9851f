#!/usr/bin/env python3
"""K UDP datagrams, each from a new socket (src/observe/sweep.ts renders the command line).

A new socket is a new source port, so a new conntrack entry and a fresh load-balancing choice
for each datagram. One line per datagram: `0 200 <answer>`, or `1 0 ` when no answer came
within a second.

  udp-sweep.py IP PORT MESSAGE K
"""
import socket
import sys


def sweep(ip, port, msg, k, timeout=1.0):
    for _ in range(k):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        try:
            s.sendto(msg.encode(), (ip, port))
            print("0 200 " + s.recv(2048).decode(), flush=True)
        except Exception:
            print("1 0 ", flush=True)
        finally:
            s.close()


if __name__ == "__main__":
    sweep(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
