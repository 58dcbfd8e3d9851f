#!/usr/bin/env bash
# Makes a Docker engine answer on this Debian/Ubuntu host (run as root). Idempotent: does
# nothing when `docker info` already answers. Also installs debootstrap, which the offline
# image builder (scripts/build-image-debootstrap.sh) needs, and gcc with the static libc, which
# both image builders need to compile the pod test server (images/netexec/build.sh).
#
# Overrides (for tests and unusual hosts):
#   DOCKER_PIDFILE      dockerd's pid file       (default /var/run/docker.pid)
#   CONTAINERD_PIDFILE  containerd's pid file    (default /var/run/docker/containerd/containerd.pid)
#   DOCKERD_LOG         dockerd's log            (default /var/log/k8s-netlab-dockerd.log)
#   DOCKER_WAIT_SECONDS how long to wait for the socket (default 60)
set -euo pipefail

DOCKER_PIDFILE="${DOCKER_PIDFILE:-/var/run/docker.pid}"
CONTAINERD_PIDFILE="${CONTAINERD_PIDFILE:-/var/run/docker/containerd/containerd.pid}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/k8s-netlab-dockerd.log}"
DOCKER_WAIT_SECONDS="${DOCKER_WAIT_SECONDS:-60}"

log() { echo "setup-docker: $*"; }
die() { echo "setup-docker: $*" >&2; exit 1; }

engine_answers() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* yourself (this script supports Debian/Ubuntu)"
  if [ "$apt_updated" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# A pid file whose process is gone makes dockerd/containerd refuse to start; remove it.
# A live pid is left alone: never touch a running engine.
clear_stale_pidfile() {
  local f="$1" pid
  [ -f "$f" ] || return 0
  pid="$(tr -dc '0-9' <"$f" || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    log "$f: pid $pid is running, kept"
    return 0
  fi
  log "removing stale pid file $f (pid ${pid:-none} not running)"
  rm -f "$f"
}

ensure_debootstrap() {
  if ! command -v debootstrap >/dev/null 2>&1 && [ ! -x /usr/sbin/debootstrap ]; then
    log "installing debootstrap"
    apt_install debootstrap
  fi
  if ! command -v cc >/dev/null 2>&1 || ! dpkg-query -W -f='${Status}' libc6-dev 2>/dev/null | grep -q 'install ok installed'; then
    log "installing gcc and libc6-dev (the pod test server is compiled static)"
    apt_install gcc libc6-dev
  fi
}

main() {
  # Test hook: only clear stale pid files (no engine check, no install, no start).
  if [ "${1:-}" = "--clear-stale-pidfiles" ]; then
    clear_stale_pidfile "$DOCKER_PIDFILE"
    clear_stale_pidfile "$CONTAINERD_PIDFILE"
    return 0
  fi

  [ "$(uname -s)" = Linux ] || die "needs Linux (elsewhere, use Docker Desktop and point DOCKER_HOST at it)"

  if engine_answers; then
    log "Docker engine answers ($(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?')); nothing to do"
    if [ "$(id -u)" = 0 ]; then ensure_debootstrap; fi
    return 0
  fi

  [ "$(id -u)" = 0 ] || die "no Docker engine answers; run me as root to install/start one"

  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing docker.io from the distribution"
    apt_install docker.io
  fi
  ensure_debootstrap

  clear_stale_pidfile "$DOCKER_PIDFILE"
  clear_stale_pidfile "$CONTAINERD_PIDFILE"

  # No iptables/ip6tables management: lab containers use network mode none and the lab
  # wires them with its own veth links, so the engine needs no host NAT or port mapping,
  # and the host's netfilter rules stay untouched.
  log "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  nohup dockerd --iptables=false --ip6tables=false >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local pid=$! i
  for ((i = 0; i < DOCKER_WAIT_SECONDS; i++)); do
    if docker info >/dev/null 2>&1; then
      log "Docker engine answers (dockerd pid $pid)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 1
  done
  echo "setup-docker: dockerd did not answer within ${DOCKER_WAIT_SECONDS}s; last lines of $DOCKERD_LOG:" >&2
  tail -n 30 "$DOCKERD_LOG" >&2 || true
  exit 1
}

main "$@"
