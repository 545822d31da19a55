#!/usr/bin/env bash
# The local lab: N Debian hosts with systemd on an internal podman network,
# the release mirror on its bridge, and an inventory for them.
#   scripts/lab.sh up [N]   start N hosts (default 3), write .cache/$LAB_NAME/inventory.yml
#   scripts/lab.sh down     remove hosts, mirror server and network
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# Another lab beside this one (benchmarks): LAB_NAME=bench LAB_PREFIX=10.213.21
name=${LAB_NAME:-lab}
prefix=${LAB_PREFIX:-10.213.0}
network=quorum-$name
host_prefix=${LAB_HOST_PREFIX:-etcd}
labdir=.cache/$name

write_platforms() {
  local count=$1
  mkdir -p "$labdir"
  {
    echo "lab_platforms:"
    for i in $(seq 1 "$count"); do
      echo "  - {name: $host_prefix$i, network: $network, ip: $prefix.$((10 + i))}"
    done
  } > "$labdir/platforms.yml"
}

write_inventory() {
  {
    echo "# Written by scripts/lab.sh: the lab's hosts, reached through podman."
    echo "etcd:"
    echo "  hosts:"
    grep -o 'name: [^,]*' "$labdir/platforms.yml" | sed 's/name: \(.*\)/    \1:/'
    echo "  vars:"
    echo "    ansible_connection: lab_podman"
    echo "    ansible_python_interpreter: /usr/bin/python3"
    echo "    # An absolute remote tmp saves the round trip that expands ~ on every task."
    echo "    ansible_remote_tmp: /var/tmp/.ansible-tmp"
    echo "    etcd_release_base_url: http://$prefix.1:8079"
  } > "$labdir/inventory.yml"
}

case "${1:-}" in
  up)
    bash scripts/image.sh
    "$VENV/bin/python" tests/lab/release_mirror.py build .cache/mirror
    if [ -f "$labdir/platforms.yml" ]; then
      # An earlier lab of another size is replaced, not merged.
      ansible-playbook tests/lab/destroy.yml -e "@$labdir/platforms.yml" > /dev/null
    fi
    write_platforms "${2:-3}"
    ansible-playbook tests/lab/create.yml -e "@$labdir/platforms.yml"
    write_inventory
    echo "lab: inventory in $labdir/inventory.yml"
    ;;
  down)
    if [ -f "$labdir/platforms.yml" ]; then
      ansible-playbook tests/lab/destroy.yml -e "@$labdir/platforms.yml"
      rm -f "$labdir/platforms.yml" "$labdir/inventory.yml"
    fi
    ;;
  *)
    echo "usage: $0 up [N] | down" >&2
    exit 2
    ;;
esac
