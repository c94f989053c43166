#!/usr/bin/env bash
# `make demo`: the whole story on a real local Chroma that this script starts
# and stops itself:
#   1. load the bundled fixture corpus (4 collections, 9,832 records) into
#      the "old" database and print the counts read back through the adapter;
#   2. migrate it cleanly into a "new" database and validate: PASSED;
#   3. snapshot it, verified;
#   4. migrate it again with injected faults and validate against the
#      snapshot: FAILED, and the new store is rolled back automatically;
#   5. validate again: PASSED; the failed migration is kept aside;
#   6. Chroma -> PostgreSQL with pgvector: a real PGlite server (started and
#      stopped here too, as the tests do) gets the corpus by
#      `fixtures migrate` into a schema, and the gate says PASSED;
#   and where the reports are.
# Usage: tools/demo.sh PATH/TO/vecgate
set -euo pipefail
vecgate=$(realpath "${1:?usage: demo.sh PATH/TO/vecgate}")
root=$(cd "$(dirname "$0")/.." && pwd)
work=${DEMO_DIR:-$root/demo_work}
dim=${DEMO_DIM:-384}
rm -rf "$work"
mkdir -p "$work"

pg_pid=""
stop_servers() {
  "$root/tools/chroma/stop.sh" "$pid"
  if [ -n "$pg_pid" ]; then "$root/tools/pglite/stop.sh" "$pg_pid"; fi
}
read -r port pid < <("$root/tools/chroma/start.sh" "$work/chroma" "" "$work/chroma.log")
trap stop_servers EXIT
base="chroma://127.0.0.1:$port/default_tenant"
echo "== A real Chroma server is running on 127.0.0.1:$port (pid $pid, data in $work/chroma)"

step() { printf '\n== %s\n' "$*"; }

step "1. Load the fixture corpus (seed 42, $dim dimensions) into $base/old"
"$vecgate" fixtures load --store "$base/old" --dimension "$dim" --create-database
step "   Counts read back through the chroma:// adapter"
"$vecgate" inspect --store "$base/old"

export SNAPSHOT_DIR="$work/snapshots"

step "2. Snapshot the old store before migrating (verified, into $SNAPSHOT_DIR)"
id=$("$vecgate" snapshot create --store "$base/old" --name pre_migration)
"$vecgate" snapshot verify "$id" --deep

step "3. A clean migration old -> new_clean, then the gate"
"$vecgate" fixtures migrate --from "$base/old" --to "$base/new_clean" --create-database
set +e
"$vecgate" validate --old "$base/old" --new "$base/new_clean" \
  --suite "$root/suites/seeds.json" --report-dir "$work/reports_clean"
rc=$?
set -e
echo "   exit code: $rc (0 = PASSED)"

step "4. A faulty migration old -> new_faulty (NaN embeddings, dropped records, lost metadata)"
"$vecgate" fixtures migrate --from "$base/old" --to "$base/new_faulty" --create-database \
  --inject nan:0.002,drop:0.01,missing_field:0.005 --fault-log "$work/faults.json"
step "   The gate, against the snapshot, rolling back on FAILED"
set +e
"$vecgate" validate --old "snapshot:$id" --new "$base/new_faulty" \
  --suite "$root/suites/seeds.json" --report-dir "$work/reports_faulty" \
  --on-fail rollback --snapshot "$id" --yes
rc=$?
set -e
echo "   exit code: $rc (2 = FAILED, and the rollback succeeded)"

step "5. After the rollback: new_faulty holds the snapshot again; the failed migration is kept aside"
"$vecgate" inspect --store "$base/new_faulty"
set +e
"$vecgate" --quiet validate --old "snapshot:$id" --new "$base/new_faulty" \
  --suite "$root/suites/seeds.json" --report-dir "$work/reports_after_rollback" \
  --fail-on warning
rc=$?
set -e
echo "   re-validation exit code: $rc (0 = PASSED: the store is back to its pre-migration state)"
"$vecgate" audit-log --limit 3

step "6. Chroma -> PostgreSQL with pgvector: a real PGlite server (PostgreSQL 18, pgvector 0.8)"
read -r pg_port pg_pid < <("$root/tools/pglite/start.sh" "$work/pglite" "" "$work/pglite.log")
# PGlite accepts any user and password; a real server reads the password from
# PGPASSWORD or ~/.pgpass, never from the URI.
pg="postgresql://postgres@127.0.0.1:$pg_port/postgres?schema=migrated"
echo "   running on 127.0.0.1:$pg_port (pid $pg_pid, data in $work/pglite)"
step "   Migrate $base/old into $pg (one table per collection, HNSW index, schema created)"
"$vecgate" fixtures migrate --from "$base/old" --to "$pg"
"$vecgate" inspect --store "$pg"
step "   The gate, old Chroma against new pgvector"
set +e
"$vecgate" validate --old "$base/old" --new "$pg" \
  --suite "$root/suites/seeds.json" --report-dir "$work/reports_pgvector"
rc=$?
set -e
echo "   exit code: $rc (0 = PASSED)"

step "Reports (Markdown, JSON, JUnit):"
for d in reports_clean reports_faulty reports_after_rollback reports_pgvector; do
  echo "   $work/$d/validation_report.md"
done
