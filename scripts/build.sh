#!/usr/bin/env bash
# Build the collection's tarball (.cache/build), install it beside, and check what it holds:
# what users run, the license, and none of the repository's dev and test content.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

rm -rf .cache/build
ansible-galaxy collection build --output-path .cache/build . >/dev/null
tarball=$(ls .cache/build/quorum-etcd-*.tar.gz)
# Installed where nothing else looks for collections (named so, ansible-galaxy does not warn of it).
ANSIBLE_COLLECTIONS_PATH=$PWD/.cache/build/installed ansible-galaxy collection install --force -p .cache/build/installed "$tarball" >/dev/null
installed=.cache/build/installed/ansible_collections/quorum/etcd
for file in plugins/modules/release.py COPYING CHANGELOG.rst meta/execution-environment.yml meta/ee-requirements.txt \
    tests/sanity/ignore-2.19.txt; do
  [ -f "$installed/$file" ] || { echo "build: $file is missing from $tarball"; exit 1; }
done
dev=$(tar -tzf "$tarball" | grep -E "^(molecule|tests/(unit|integration|lab|output)|scripts|benchmarks|ee)/|^(Makefile|ansible.cfg|requirements.txt)$" || true)
[ -z "$dev" ] || { echo "build: $tarball holds dev content:"; echo "$dev" | head; exit 1; }
echo "build: $tarball ($(du -k "$tarball" | cut -f1) KiB), no dev content"
