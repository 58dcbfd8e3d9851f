#!/usr/bin/env python3
"""The probe agent: one process per lab container for a whole `lab verify` (src/lab/probe-agent.ts).

A `docker exec` costs tens of milliseconds of engine work (and more on a loaded machine); a probe
makes several. The agent is started with one exec per container and runs every command the
probes send it, so a command costs a fork inside the container instead of an exec.

Protocol, one JSON object a line:
  stdin   {"id": 1, "argv": ["curl", ...], "timeout": 60}
  stdout  {"ready": true}                         once, when it reads requests
          {"id": 1, "exit": 0, "stdout": "...", "stderr": "...", "timedOut": false}
Each command runs as docker exec runs it: stdin /dev/null, the agent's environment, its own
process group (killed whole after `timeout` seconds: exit -1, timedOut true). Commands run side
by side, at most MAX_RUNNING at once (the rest wait their turn). When stdin closes the agent
answers what is running and exits.

  agent.py [MAX_RUNNING]
"""
import json
import os
import signal
import subprocess
import sys
import threading

write_lock = threading.Lock()


def emit(obj):
    line = json.dumps(obj) + "\n"
    with write_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def run(req, slots):
    rid = req.get("id")
    with slots:
        try:
            p = subprocess.Popen(
                req["argv"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except Exception as e:  # no such program: what docker exec reports as exit 127
            emit({"id": rid, "exit": 127, "stdout": "", "stderr": str(e) + "\n", "timedOut": False})
            return
        timed_out = False
        try:
            out, err = p.communicate(timeout=req.get("timeout") or 60)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = p.communicate()
        emit(
            {
                "id": rid,
                # A signal's death as a shell (and docker exec) reports it: 128 + the signal.
                "exit": -1 if timed_out else (128 - p.returncode if p.returncode < 0 else p.returncode),
                "stdout": out.decode("utf-8", "replace"),
                "stderr": err.decode("utf-8", "replace"),
                "timedOut": timed_out,
            }
        )


def main():
    slots = threading.BoundedSemaphore(int(sys.argv[1]) if len(sys.argv) > 1 else 32)
    threads = []
    emit({"ready": True})
    for line in iter(sys.stdin.readline, ""):
        if not line.strip():
            continue
        try:
            req = json.loads(line)
        except ValueError as e:
            emit({"error": "bad request: %s" % e})
            continue
        t = threading.Thread(target=run, args=(req, slots), daemon=True)
        t.start()
        threads.append(t)
        threads = [x for x in threads if x.is_alive()]
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
