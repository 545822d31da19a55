#!/usr/bin/env bash
# Build the lab's host image: Debian with systemd as PID 1, python3 for
# Ansible, and firewalld. Cached by the hash of this recipe: rebuilt only
# when the recipe changes.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONTAINERS_CONF="$PWD/tests/lab/containers.conf"

suite=bookworm
base_packages=systemd,systemd-sysv,python3,dbus,iproute2,procps,sudo,ca-certificates
# firewalld needs logind through polkitd, which debootstrap cannot order: apt does it.
extra_packages=(netbase nftables firewalld)
recipe_hash=$(cat "$0" tests/lab/containers.conf | sha256sum | cut -c1-12)
image="localhost/quorum-etcd-host:$recipe_hash"

# The variant for etcd in a container (etcd_runtime: podman): the same host with podman in it, storing
# images with the vfs driver (no overlay mounts inside the lab host's own overlay).
podman_image="localhost/quorum-etcd-host-podman:$recipe_hash"
podman_packages=(podman crun)

# apt-get install in a root filesystem, through this machine's resolver; apt's caches removed after.
apt_install() {  # rootfs, packages...
  local rootfs=$1
  shift
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  mount -t proc proc "$rootfs/proc"
  chroot "$rootfs" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  umount "$rootfs/proc"
  : > "$rootfs/etc/resolv.conf"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
}

import_rootfs() {  # rootfs, image (also tagged latest)
  tar -C "$1" -c . | podman import --change 'CMD ["/sbin/init"]' - "$2" >/dev/null
  podman tag "$2" "${2%:*}:latest"
  echo "image: built $2"
}

build_podman_variant() {
  if podman image exists "$podman_image"; then
    podman tag "$podman_image" localhost/quorum-etcd-host-podman:latest
    return 0
  fi
  rootfs=$(mktemp -d /var/tmp/quorum-etcd-rootfs-podman.XXXXXX)
  local container
  container=$(podman create "$image")
  podman export "$container" | tar -C "$rootfs" -x
  podman rm "$container" >/dev/null
  apt_install "$rootfs" "${podman_packages[@]}"
  printf '[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n' \
    > "$rootfs/etc/containers/storage.conf"
  # podman's API socket and its services for restart policies are not used by the lab.
  rm -f "$rootfs"/etc/systemd/system/*.wants/podman*
  import_rootfs "$rootfs" "$podman_image"
}

# Whichever root filesystem is being built goes away, also on failure.
rootfs=""
trap '[ -z "$rootfs" ] || { umount "$rootfs/proc" 2>/dev/null || true; rm -rf "$rootfs"; }' EXIT

if podman image exists "$image"; then
  echo "image: $image is up to date"
  podman tag "$image" localhost/quorum-etcd-host:latest
  build_podman_variant
  exit 0
fi

# The Debian mirror apt already uses: deb822 sources first, then the classic list.
debian_mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$uri" ] || { echo "image: no Debian mirror found in /etc/apt" >&2; exit 1; }
  echo "$uri"
}

rootfs=$(mktemp -d /var/tmp/quorum-etcd-rootfs.XXXXXX)
echo "image: debootstrap $suite into $rootfs"
if ! debootstrap --variant=minbase --include="$base_packages" "$suite" "$rootfs" "$(debian_mirror)" > "$rootfs.log" 2>&1; then
  tail -n 20 "$rootfs.log" "$rootfs/debootstrap/debootstrap.log" >&2 || true
  echo "image: debootstrap failed" >&2
  exit 1
fi
rm -f "$rootfs.log"
apt_install "$rootfs" "${extra_packages[@]}"
# The container's own machine-id is generated at boot; journald keeps logs in memory.
: > "$rootfs/etc/machine-id"
import_rootfs "$rootfs" "$image"
rm -rf "$rootfs"
build_podman_variant
