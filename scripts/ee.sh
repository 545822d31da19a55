#!/usr/bin/env bash
# An execution environment with this collection (ee/execution-environment.yml): checks what
# ansible-builder would install for it (only meta/ee-requirements.txt, none of the test tools),
# writes the build context to .cache/ee/context, and builds the image with podman when the
# base image EE_BASE_IMAGE is on this machine (ansible-builder build pulls nothing else then
# the Python packages and the collection's dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

[ -n "$(ls .cache/build/quorum-etcd-*.tar.gz 2>/dev/null)" ] || bash scripts/build.sh
introspected=$(ansible-builder introspect .cache/build/installed 2>/dev/null)
echo "$introspected"
if echo "$introspected" | grep -qiE "molecule|moto|pytest|testinfra|ansible-lint|yamllint"; then
  echo "ee: the collection would put test tools into the execution environment"; exit 1
fi
echo "$introspected" | grep -q "cryptography" || { echo "ee: cryptography is missing from the introspection"; exit 1; }

rm -rf .cache/ee && mkdir -p .cache/ee/collections
cp ee/execution-environment.yml ee/requirements.yml .cache/ee/
cp .cache/build/quorum-etcd-*.tar.gz .cache/ee/collections/quorum-etcd.tar.gz
# The ansible-core the tests run on (requirements.txt).
core=$(grep -E "^ansible-core==" requirements.txt)
sed -i "s/package_pip: ansible-core$/package_pip: $core/" .cache/ee/execution-environment.yml
base=${EE_BASE_IMAGE:-localhost/quorum-etcd-ee-base:latest}
sed -i "s|name: localhost/quorum-etcd-ee-base:latest|name: $base|" .cache/ee/execution-environment.yml
ansible-builder create -f .cache/ee/execution-environment.yml -c .cache/ee/context --output-filename Containerfile
[ -f .cache/ee/context/_build/collections/quorum-etcd.tar.gz ] && grep -q "^ARG ANSIBLE_INSTALL_REFS=\"$core " \
  .cache/ee/context/Containerfile || { echo "ee: the build context lacks the collection or $core"; exit 1; }
if podman image exists "$base" 2>/dev/null; then
  ansible-builder build -f .cache/ee/execution-environment.yml -c .cache/ee/context -t "${EE_TAG:-quorum-etcd-ee:latest}" \
    --container-runtime podman
else
  echo "ee: context written to .cache/ee/context; no image built: the base image $base is not on this machine" \
       "(EE_BASE_IMAGE=<image> make ee)"
fi
