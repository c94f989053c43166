#!/usr/bin/env bash
# `make demo`: the whole story on a real local Chroma that this script starts
# and stops itself:
#   1. load the bundled fixture corpus (4 collections, 9,832 records) into
#      the "old" database and print the counts read back through the adapter;
#   2. migrate it cleanly into a "new" database and validate: PASSED;
#   3. migrate it again with injected faults and validate: FAILED, with the
#      reasons, and where the reports are.
# Usage: tools/demo.sh PATH/TO/vecgate
set -euo pipefail
vecgate=$(realpath "${1:?usage: demo.sh PATH/TO/vecgate}")
root=$(cd "$(dirname "$0")/.." && pwd)
work=${DEMO_DIR:-$root/demo_work}
dim=${DEMO_DIM:-384}
rm -rf "$work"
mkdir -p "$work"

read -r port pid < <("$root/tools/chroma/start.sh" "$work/chroma" "" "$work/chroma.log")
trap '"$root/tools/chroma/stop.sh" "$pid"' EXIT
base="chroma://127.0.0.1:$port/default_tenant"
echo "== A real Chroma server is running on 127.0.0.1:$port (pid $pid, data in $work/chroma)"

step() { printf '\n== %s\n' "$*"; }

step "1. Load the fixture corpus (seed 42, $dim dimensions) into $base/old"
"$vecgate" fixtures load --store "$base/old" --dimension "$dim" --create-database
step "   Counts read back through the chroma:// adapter"
"$vecgate" inspect --store "$base/old"

if "$vecgate" --help | grep -q '^ *validate'; then
  step "2. A clean migration old -> new_clean, then the gate"
  "$vecgate" fixtures migrate --from "$base/old" --to "$base/new_clean" --create-database
  set +e
  "$vecgate" validate --old "$base/old" --new "$base/new_clean" \
    --suite "$root/suites/seeds.json" --report-dir "$work/reports_clean"
  rc=$?
  set -e
  echo "   exit code: $rc (0 = PASSED)"

  step "3. A faulty migration (NaN embeddings, dropped records, lost metadata), then the gate"
  "$vecgate" fixtures migrate --from "$base/old" --to "$base/new_faulty" --create-database \
    --inject nan:0.002,drop:0.01,missing_field:0.005
  set +e
  "$vecgate" validate --old "$base/old" --new "$base/new_faulty" \
    --suite "$root/suites/seeds.json" --report-dir "$work/reports_faulty"
  rc=$?
  set -e
  echo "   exit code: $rc (2 = FAILED)"
  step "Reports: $work/reports_clean/ and $work/reports_faulty/ (Markdown, JSON, JUnit)"
fi
