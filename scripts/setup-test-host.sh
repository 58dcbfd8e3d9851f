#!/usr/bin/env bash
# Host tools some unit tests use to check rendered text with the real programs, always inside
# throwaway network namespaces (`unshare --net`) or on loopback, never on the host's own network:
# iptables-restore/nft/ipset (proxy rules), tcpdump/tshark (pcap parsing), knot/unbound/dig (zones),
# nginx (ingress config), graphviz (lab graph's DOT to SVG), chromium (Mermaid and the lab ui page in a
# real browser, driven by puppeteer-core). Without them those tests skip, so CI installs them. Debian/Ubuntu, root.
set -euo pipefail
PKGS=(iptables nftables conntrack ipset ipvsadm tcpdump knot unbound dnsmasq-base bind9-dnsutils bind9-utils nginx-light util-linux tshark graphviz chromium)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-test-host: all test tools present"
  exit 0
fi
command -v apt-get >/dev/null || { echo "setup-test-host: no apt-get; install ${missing[*]} yourself (tests that need them skip)" >&2; exit 0; }
echo "setup-test-host: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# policy-rc.d keeps the servers these packages ship from starting on the host.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.k8s-netlab
had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
if [ $had_policy = 0 ]; then cp /usr/sbin/policy-rc.d.k8s-netlab /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/k8s-netlab-apt.log 2>&1 || { tail -20 /tmp/k8s-netlab-apt.log >&2; exit 1; }
if [ $had_policy = 0 ]; then rm -f /usr/sbin/policy-rc.d; fi
rm -f /usr/sbin/policy-rc.d.k8s-netlab
