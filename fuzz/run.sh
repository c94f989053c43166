#!/usr/bin/env bash
# Runs each libFuzzer target of BUILD/fuzz for SECONDS, starting from its
# checked-in corpus (fuzz/corpus/NAME, never modified) plus the inputs it
# found in earlier runs (BUILD/fuzz/work/NAME). Crash reproducers go to
# BUILD/fuzz/artifacts/. Prints, per target, the executions, the corpus
# size and whether it crashed; exits 1 when any target crashed.
# Usage: fuzz/run.sh BUILD SECONDS TARGET...
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1
seconds=$2
shift 2
[ "$seconds" -ge 1 ] 2>/dev/null || { echo "fuzz: SECONDS must be a whole number >= 1, got '$seconds'" >&2; exit 3; }
mkdir -p "$build/fuzz/artifacts" "$build/fuzz/logs"
summary=()
failed=0
for name in "$@"; do
  bin="$build/fuzz/fuzz_$name"
  [ -x "$bin" ] || { echo "fuzz: $bin is missing; build it with make fuzz" >&2; exit 3; }
  work="$build/fuzz/work/$name"
  mkdir -p "$work"
  log="$build/fuzz/logs/$name.log"
  echo "fuzz: $name for ${seconds}s (log: $log)"
  # -rss_limit_mb and -malloc_limit_mb bound memory per input, -timeout
  # bounds time per input: an input over either is a finding.
  # FUZZ_RUNS (with a fixed seed) makes a pass repeatable: CI runs the same
  # inputs every time instead of however many fit in the time on that day.
  runs=()
  [ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS" -seed=1)
  "$bin" "${runs[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz/artifacts/$name-" \
    "$work" "$root/fuzz/corpus/$name" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  units=$(ls "$work" | wc -l)
  if [ $rc -eq 0 ]; then
    verdict="no crash"
  else
    verdict="CRASH (exit $rc): $(ls -t "$build/fuzz/artifacts/$name-"* 2>/dev/null | head -1)"
    failed=1
    grep -m1 -A12 -E 'ERROR: |runtime error|fuzz invariant' "$log" >&2
  fi
  summary+=("$(printf '%-14s %12s execs  %6s new inputs  %s' "$name" "${execs:-?}" "$units" "$verdict")")
done
echo "fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
exit $failed
