#!/usr/bin/env bash
# Install what the lab and the tests need: podman, runc and debootstrap from
# Debian, and the pinned Python tools in a project-local venv.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(podman runc debootstrap python3-venv)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv=.venv
stamp="$venv/.requirements.sha256"
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "deps: building $venv from requirements.txt"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >/dev/null
  "$venv/bin/pip" install -q -r requirements.txt
  echo "$want" > "$stamp"
fi

# Make this checkout visible to Ansible as the collection quorum.etcd.
mkdir -p .cache/collections/ansible_collections/quorum
ln -sfn "$PWD" .cache/collections/ansible_collections/quorum/etcd

# Debian packages unpacked, not installed: the tests run them as plain processes, and installing
# would start a service. Prometheus and promtool for the monitoring role, dnsmasq for the lab's
# DNS server (SRV records for etcd_bootstrap dns_srv).
unpack() {  # package, directory, a file it must hold
  [ ! -x "$2/$3" ] || return 0
  echo "deps: unpacking Debian's $1 into $2"
  local work
  work=$(mktemp -d)
  (cd "$work" && { apt-get download "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get download "$1" >/dev/null; }; })
  mkdir -p "$2"
  dpkg-deb -x "$work/$1"_*.deb "$2"
  rm -rf "$work"
}
unpack prometheus .cache/prometheus usr/bin/promtool
unpack dnsmasq-base .cache/dnsmasq usr/sbin/dnsmasq
