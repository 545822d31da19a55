#!/usr/bin/env bash
# The test command: installs what is missing, then runs each stage and prints
# its time. `scripts/test.sh [stage...]`, stages: lint unit build molecule
# (build: the tarball, the execution environment's context, ansible-test sanity);
# `scripts/test.sh molecule default tls` runs only those scenarios.
# Every stage runs even when an earlier one failed (each failure hides no
# other); the run fails at the end and lists every stage that failed.
set -uo pipefail
cd "$(dirname "$0")/.."

timings=()
failed=()
last_rc=0
stage() {
  local name=$1; shift
  local start=$SECONDS rc=0
  echo "=== $name"
  "$@" || rc=$?
  last_rc=$rc
  local verdict=ok
  [ "$rc" -eq 0 ] || { verdict="FAILED (exit $rc)"; failed+=("$name"); }
  timings+=("$(printf '%-26s %5ss  %s' "$name" $((SECONDS - start)) "$verdict")")
  return 0
}
report() {
  echo "=== stage times (total ${SECONDS}s)"
  printf '%s\n' "${timings[@]}"
  if [ "${#failed[@]}" -gt 0 ]; then
    echo "=== ${#failed[@]} stage(s) failed: ${failed[*]}"
  else
    echo "=== every stage passed"
  fi
}
# The stages run beside the unit tests leave their log, times and failures here.
beside_dir=$(mktemp -d)
trap 'report; rm -rf "$beside_dir"' EXIT

# Nothing else can run without the tools.
echo "=== deps"
bash scripts/deps.sh || exit 1
source scripts/env.sh
stages=()
scenarios=()
for arg in "$@"; do
  case "$arg" in
    lint|unit|build|molecule) stages+=("$arg") ;;
    *) scenarios+=("$arg") ;;
  esac
done
[ ${#stages[@]} -gt 0 ] || stages=(lint unit build molecule)
# The lab scenario first: it proves the lab the others run on.
[ ${#scenarios[@]} -gt 0 ] || scenarios=(lab $(ls molecule | grep -v -x lab))

# The lint and build stages, one core's work, run beside the unit tests, which leave about a
# third of the two cores idle while their etcd members start and elect (measured with vmstat);
# their output and times follow the unit tests'.
beside=()
if [[ " ${stages[*]} " == *" unit "* ]]; then
  for s in lint build; do
    [[ " ${stages[*]} " != *" $s "* ]] || beside+=("$s")
  done
fi
run_beside() {
  trap - EXIT
  timings=() failed=()
  run_stages "${beside[@]}" > "$beside_dir/log" 2>&1
  printf '%s\n' "${timings[@]}" > "$beside_dir/timings"
  printf '%s\n' "${failed[@]}" > "$beside_dir/failed"
}
join_beside() {
  wait "$beside_pid"
  cat "$beside_dir/log"
  mapfile -t more < "$beside_dir/timings"
  timings+=("${more[@]/%/  (beside unit)}")
  mapfile -t more < <(grep . "$beside_dir/failed")
  failed+=("${more[@]}")
}

run_stages() {
  local s
  for s in "$@"; do
    case "$s" in
      lint)
        stage yamllint yamllint -s .
        stage ansible-lint ansible-lint --offline --profile production
        # The docs a docs site is built from, through the collection as Ansible finds it (scripts/deps.sh).
        stage docs bash -c 'cd .cache/collections/ansible_collections/quorum/etcd && antsibull-docs lint-collection-docs --plugin-docs .'
        stage changelog antsibull-changelog lint
        ;;
      unit)
        stage mirror python tests/lab/release_mirror.py build .cache/mirror
        stage unit bash scripts/unit_tests.sh
        ;;
      build)
        stage build bash scripts/build.sh
        stage ee bash scripts/ee.sh
        stage sanity bash scripts/sanity.sh
        ;;
      molecule)
        stage image bash scripts/image.sh
        stage mirror python tests/lab/release_mirror.py build .cache/mirror
        for scenario in "${scenarios[@]}"; do
          stage "molecule $scenario" molecule test -s "$scenario"
          # A failed scenario may leave hosts behind; the next one starts clean.
          [ "$last_rc" -eq 0 ] || molecule destroy -s "$scenario" >/dev/null 2>&1 || true
        done
        stage "nothing left behind" bash scripts/leftovers.sh molecule
        ;;
    esac
  done
}

if [ ${#beside[@]} -gt 0 ]; then
  run_beside &
  beside_pid=$!
fi
for s in "${stages[@]}"; do
  [[ " ${beside[*]} " == *" $s "* ]] && continue
  run_stages "$s"
  [ "$s" != unit ] || [ ${#beside[@]} -eq 0 ] || join_beside
done
[ "${#failed[@]}" -eq 0 ]
