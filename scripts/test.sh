#!/usr/bin/env bash
# The test command: installs what is missing, then runs each stage and prints
# its time. `scripts/test.sh [stage...]`, stages: lint unit build molecule.
set -euo pipefail
cd "$(dirname "$0")/.."

timings=()
stage() {
  local name=$1; shift
  local start=$SECONDS
  echo "=== $name"
  "$@"
  timings+=("$(printf '%-22s %4ss' "$name" $((SECONDS - start)))")
}
report() {
  echo "=== stage times"
  printf '%s\n' "${timings[@]}"
}
trap report EXIT

stage deps bash scripts/deps.sh
source scripts/env.sh
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(lint unit build molecule)

for s in "${stages[@]}"; do
  case "$s" in
    lint)
      stage yamllint yamllint -s .
      stage ansible-lint ansible-lint --profile production
      ;;
    unit)
      stage mirror python tests/lab/release_mirror.py build .cache/mirror
      stage unit pytest -q tests/unit
      ;;
    build)
      stage build bash -c 'rm -rf .cache/build && ansible-galaxy collection build --output-path .cache/build . >/dev/null &&
        ansible-galaxy collection install --force -p .cache/build/installed .cache/build/quorum-etcd-*.tar.gz &&
        test -f .cache/build/installed/ansible_collections/quorum/etcd/plugins/modules/release.py'
      ;;
    molecule)
      stage image bash scripts/image.sh
      stage mirror python tests/lab/release_mirror.py build .cache/mirror
      # The lab scenario first: nothing else can pass without it.
      for scenario in lab $(ls molecule | grep -v -x lab); do
        stage "molecule $scenario" molecule test -s "$scenario"
      done
      stage "nothing left behind" bash scripts/leftovers.sh molecule
      ;;
    *) echo "unknown stage $s" >&2; exit 2 ;;
  esac
done
