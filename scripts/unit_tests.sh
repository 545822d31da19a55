#!/usr/bin/env bash
# The unit tests in QUORUM_UNIT_SHARDS shards side by side (default: two per core: a shard waits on
# etcd and Ansible a third of its time, measured at 136% CPU of 2 cores with one per core), each with
# its own temp directory; prints each shard's output in turn and fails if any shard failed.
set -uo pipefail
cd "$(dirname "$0")/.."
shards=${QUORUM_UNIT_SHARDS:-$(($(nproc) * 2))}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
pids=()
for ((k = 0; k < shards; k++)); do
  QUORUM_TEST_SHARD="$k/$shards" pytest -q --durations=8 --basetemp="$logs/tmp$k" \
    -p no:cacheprovider tests/unit "$@" > "$logs/shard$k.log" 2>&1 &
  pids+=($!)
done
rc=0
for ((k = 0; k < shards; k++)); do
  wait "${pids[$k]}" || rc=1
  echo "--- unit shard $((k + 1)) of $shards"
  cat "$logs/shard$k.log"
done
exit $rc
