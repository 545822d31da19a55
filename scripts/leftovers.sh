#!/usr/bin/env bash
# Fails when lab hosts, networks, mirror or DNS servers are left behind.
#   scripts/leftovers.sh molecule   what molecule scenarios create (quorum-mol-*)
#   scripts/leftovers.sh all        also the demo and benchmark labs
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
pattern='^quorum-mol-'
[ "${1:-molecule}" = all ] && pattern='^quorum-'

containers=$(podman ps -a --filter label=quorum-etcd-lab --format '{{.Names}} {{.Labels}}' | grep -E "quorum-etcd-lab:${pattern#^}" || true)
networks=$(podman network ls --format '{{.Name}}' | grep -E "$pattern" || true)
servers=$(pgrep -af "release_mirror.py serve|cache/dnsmasq/" | grep -v pgrep || true)
if [ "${1:-molecule}" != all ]; then
  # Mirror servers of the demo lab belong to it; only the scenarios' must be gone.
  servers=$(for pid in $(cat .cache/run/{mirror,dns}-quorum-mol-*.pid 2>/dev/null); do ps -p "$pid" -o pid=,args= || true; done)
fi
# S3 test servers (tests/lab/s3_server.py) of the scenarios: their pid files name them.
for pid in $(cat .cache/run/s3-quorum-mol-*.json.pid 2>/dev/null); do
  servers="$servers$(ps -p "$pid" -o pid=,args= || true)"
done
if [ -n "$containers$networks$servers" ]; then
  echo "left behind:"
  printf '%s\n' "$containers" "$networks" "$servers" | sed '/^$/d; s/^/  /'
  exit 1
fi
echo "nothing left behind"
