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
    # Last, where a CI page's tail shows them: why each failed scenario failed (its whole log printed
    # above), then the list of failed stages.
    local why
    for why in "$why_dir"/*; do
      [ -f "$why" ] || continue
      echo "=== why molecule $(basename "$why") failed:"
      cat "$why"
    done
    echo "=== ${#failed[@]} stage(s) failed: ${failed[*]}"
  else
    echo "=== every stage passed"
  fi
}
# The stages run beside the unit tests leave their log, times and failures here.
beside_dir=$(mktemp -d)
# A failed scenario's telling lines (scripts/failure_digest.py), for the report.
why_dir=$(mktemp -d)
trap 'report; rm -rf "$beside_dir" "$why_dir"' EXIT

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

# Scenarios, slowest first (their stage times): in lanes, the longest start early and the short
# ones fill in at the end. A scenario not listed runs after these.
slowest_first=(recover tls scale rolling upgrade pseudo container downgrade maintain backup_restore
               mirror preflight migrate discovery dns_srv default)

# One scenario into its log, and its stage time. A failed one may leave hosts behind (the next starts
# clean) and leaves the lines that say why for the report. Molecule's frame is as wide as COLUMNS:
# wide enough, a log line is one line.
run_scenario() {
  local name=$1 log=$2
  COLUMNS=${COLUMNS:-200} stage "molecule $name" molecule test -s "$name" > "$log" 2>&1
  [ "$last_rc" -eq 0 ] && return 0
  molecule destroy -s "$name" >/dev/null 2>&1 || true
  python3 scripts/failure_digest.py "$log" > "$why_dir/$name"
}

# The lab scenario first, alone: it proves the lab the others run on. The others run in
# QUORUM_TEST_LANES lanes (2 by default): each lane takes the next scenario from one queue.
# A lone scenario leaves about a quarter of the two cores idle while etcd elects, restarts and
# answers (vmstat); two lanes fill it. Each scenario's log prints whole when it ends.
run_scenarios() {
  local lanes=${QUORUM_TEST_LANES:-2} queue=() s lane
  if [[ " $* " == *" lab "* ]]; then
    local log
    log=$(mktemp)
    run_scenario lab "$log"
    cat "$log"
    rm -f "$log"
  fi
  for s in "${slowest_first[@]}"; do [[ " $* " != *" $s "* ]] || queue+=("$s"); done
  for s in "$@"; do [[ "$s" == lab || " ${queue[*]} " == *" $s "* ]] || queue+=("$s"); done
  [ ${#queue[@]} -gt 0 ] || return 0
  local dir pids=()
  dir=$(mktemp -d)
  printf '%s\n' "${queue[@]}" > "$dir/queue"
  for lane in $(seq "$lanes"); do
    run_lane "$dir" "$lane" &
    pids+=($!)
  done
  wait "${pids[@]}"
  local more
  mapfile -t more < <(cat "$dir"/timings.* 2>/dev/null | grep .)
  timings+=("${more[@]}")
  mapfile -t more < <(cat "$dir"/failed.* 2>/dev/null | grep .)
  failed+=("${more[@]}")
  rm -rf "$dir"
}
run_lane() {
  local dir=$1 lane=$2 s
  trap - EXIT
  timings=() failed=()
  while s=$(flock "$dir/lock" bash -c 'head -n 1 "$1"; sed -i 1d "$1"' _ "$dir/queue") && [ -n "$s" ]; do
    echo "=== molecule $s: started in lane $lane"
    run_scenario "$s" "$dir/log.$s"
    flock "$dir/lock" bash -c 'cat "$1"; printf "%s\n" "$2"' _ "$dir/log.$s" "${timings[-1]}"
  done
  printf '%s\n' "${timings[@]}" > "$dir/timings.$lane"
  printf '%s\n' "${failed[@]}" > "$dir/failed.$lane"
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
        run_scenarios "${scenarios[@]}"
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
