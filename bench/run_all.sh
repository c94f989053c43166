#!/usr/bin/env bash
# Runs every benchmark program that BUILD_DIR holds, collects their JSON in
# BUILD_DIR/bench_results/ and writes BUILD_DIR/bench_results/summary.md (one
# row per measured ratio or target, with the machine it ran on).
#
# Usage: bench/run_all.sh BUILD_DIR
# Environment:
#   VECGATE_BENCH_FULL=1      validate_scale_bench at 1,000,000 records (about
#                             10 GB per store of jsonl; else 200,000 records)
#   VECGATE_BENCH_WORK_DIR    where validate_scale_bench writes its stores
#                             (default /tmp/vecgate_scale_bench; they are kept
#                             and reused; delete the folder to reclaim the space)
#   VECGATE_BENCH_REPS        repetitions for the programs that take --reps
# A benchmark that is missing is listed as "not built"; one that fails is
# listed with its exit status, and the script goes on. Exit status: 0 when
# every benchmark that ran met its targets, 1 otherwise.
set -uo pipefail
build=${1:?usage: bench/run_all.sh BUILD_DIR}
build=$(cd "$build" && pwd)
results=$build/bench_results
mkdir -p "$results"
reps=${VECGATE_BENCH_REPS:-}
work_dir=${VECGATE_BENCH_WORK_DIR:-/tmp/vecgate_scale_bench}
if [ "${VECGATE_BENCH_FULL:-0}" = "1" ]; then scale_records=1000000; else scale_records=200000; fi

declare -A status
run() {  # run NAME ARGS...: runs BUILD_DIR/bench/NAME if it exists
  local name=$1
  shift
  local bin=$build/bench/$name
  if [ ! -x "$bin" ]; then
    echo "== $name: not built (skipped)"
    status[$name]="not built"
    return
  fi
  echo "== $name $*"
  local start=$SECONDS
  "$bin" "$@" 2>&1 | tee "$results/$name.log"
  local rc=${PIPESTATUS[0]}
  status[$name]="exit $rc, $((SECONDS - start)) s"
  echo "== $name: exit $rc after $((SECONDS - start)) s"
}

rep_args=()
[ -n "$reps" ] && rep_args=(--reps "$reps")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run chroma_bench --out "$results/chroma_bench.json" "${rep_args[@]}"
run snapshot_bench --out "$results/snapshot_bench.json"
run topk_bench --out "$results/topk_bench.json" "${rep_args[@]}"
run validate_chroma_bench --out "$results/validate_chroma_bench.json" "${rep_args[@]}"
run pgvector_bench --out "$results/pgvector_bench.json" "${rep_args[@]}"
run validate_scale_bench --records "$scale_records" --work-dir "$work_dir" \
  --out "$results/validate_scale_bench.json"
# The end-to-end comparison with curl, the chromadb JS client, NumPy and FAISS
# (writes e2e.json and e2e.md beside the others).
if [ -x "$build/bench/e2e_tool" ]; then
  start=$SECONDS
  set +e
  "$(dirname "$0")/e2e_bench.sh" --build "$build" >"$results/e2e.log" 2>&1
  rc=$?
  set -e
  status[e2e_bench]="exit $rc, $((SECONDS - start)) s"
  echo "== e2e_bench: exit $rc after $((SECONDS - start)) s"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# summary.md from the JSON files (python3 is on every machine that builds
# vecgate's Chroma server; the summary is skipped without it).
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
export RESULTS=$results CPU_MODEL=$cpu NPROC=$(nproc) LOAD_BEFORE=$load_before \
  LOAD_AFTER=$load_after
export STATUS_LINES=$(for k in "${!status[@]}"; do echo "$k: ${status[$k]}"; done | sort)
if ! command -v python3 >/dev/null 2>&1; then
  echo "run_all.sh: python3 not found; JSON results are in $results, no summary.md"
  exit 1
fi
python3 - <<'EOF'
import datetime, json, os, pathlib

results = pathlib.Path(os.environ["RESULTS"])
rows = []  # benchmark, baseline, vecgate, ratio, target, pass

def load(name):
    p = results / f"{name}.json"
    try:
        return json.loads(p.read_text())
    except Exception:
        return None

def verdict(ok):
    return "PASS" if ok else "**FAIL**"

cb = load("chroma_bench")
if cb:
    for key, target in (("add", 1.15), ("scan", 1.25)):
        m = cb[key]
        rows.append((f"chroma_bench {key.upper()} ({cb['records']} x {cb['dimension']})",
                     f"raw HTTP {m['raw_seconds_median']:.3f} s",
                     f"adapter {m['adapter_seconds_median']:.3f} s",
                     f"{m['ratio']:.3f}", f"<= {target}", verdict(m["pass"])))

sb = load("snapshot_bench")
if sb:
    # Format owned by snapshot_bench; show what it says about itself.
    rows.append(("snapshot_bench", "see snapshot_bench.json", "", "",
                 "", verdict(sb.get("pass", False)) if "pass" in sb else "see JSON"))

tk = load("topk_bench")
if tk:
    for space, m in tk["spaces"].items():
        name = f"topk_bench {space} ({tk['queries']} q x {tk['rows']} x {tk['dimension']}, k={tk['k']})"
        if tk.get("faiss_available"):
            rows.append((name, f"FAISS {m['faiss_seconds_median']:.3f} s",
                         f"{m['vecgate_seconds_median']:.3f} s (GEMM {m['gemm_only_seconds_median']:.3f} s)",
                         f"{m['ratio']:.3f} (CPU {m['cpu_ratio']:.3f}); recall {m['recall_with_ties']:.4f}",
                         "<= 1.25, recall >= 0.999", verdict(m["pass"])))
        else:
            rows.append((name, "FAISS not installed", f"{m['vecgate_seconds_median']:.3f} s",
                         "-", "<= 1.25", "not measured"))

vc = load("validate_chroma_bench")
if vc:
    rows.append((f"validate_chroma_bench ({vc['records_per_store']} x {vc['dimension']}, nine checks, live index)",
                 f"raw fetch of both stores {vc['raw_fetch_seconds_median']:.3f} s",
                 f"{vc['validate_seconds_median']:.3f} s ({vc['overall_status']}); reference validator {vc['seed_validator_seconds']} s",
                 f"{vc['ratio']:.3f}", f"<= {vc['target_ratio']}", verdict(vc["pass"])))

pb = load("pgvector_bench")
if pb:
    sc, va = pb["scan"], pb["validate"]
    rows.append((f"pgvector_bench SCAN ({pb['records']} x {pb['dimension']}, PGlite)",
                 f"psql -At SELECT {sc['psql_seconds_median']:.3f} s",
                 f"{sc['vecgate_seconds_median']:.3f} s",
                 f"{sc['ratio']:.3f}", f"<= {sc['target_ratio']}", verdict(sc["pass"])))
    rows.append((f"pgvector_bench VALIDATE Chroma -> pgvector ({pb['records']} x {pb['dimension']}, nine checks, live index)",
                 f"raw fetch of both stores {va['raw_fetch_seconds_median']:.3f} s",
                 f"{va['validate_seconds_median']:.3f} s ({va['overall_status']}, {va['live_index_queries']} live queries); "
                 f"without the live index {va['no_live_index_seconds_median']:.3f} s (ratio {va['no_live_index_ratio']:.3f})",
                 f"{va['ratio']:.3f}", f"<= {va['target_ratio']}", verdict(va["pass"])))

vs = load("validate_scale_bench")
if vs:
    ch = vs["child"]
    rows.append((f"validate_scale_bench ({vs['records']} x {vs['dimension']} jsonl, {(vs['old_bytes'] + vs['new_bytes']) / 1e9:.1f} GB)",
                 "-", f"{ch['validation_seconds']:.1f} s ({ch['overall_status']}), peak RSS {vs['peak_rss_mb']:.0f} MB",
                 "-", "peak RSS < 1024 MB", verdict(vs["pass"])))

now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
lines = [
    "# vecgate benchmark summary", "",
    f"- date: {now}",
    f"- machine: {os.environ['NPROC']} CPUs (`nproc`), {os.environ['CPU_MODEL']}",
    f"- load average (1/5/15 min) before: {os.environ['LOAD_BEFORE']}, after: {os.environ['LOAD_AFTER']}",
    "- medians of interleaved repetitions; baseline and vecgate measured in the same run", "",
    "| benchmark | baseline | vecgate | ratio | target | result |",
    "| --- | --- | --- | --- | --- | --- |",
]
for r in rows:
    lines.append("| " + " | ".join(str(c) for c in r) + " |")
lines += ["", "Runs:", ""]
for line in os.environ.get("STATUS_LINES", "").splitlines():
    lines.append(f"- {line}")
lines.append("")
(results / "summary.md").write_text("\n".join(lines))
print("\n".join(lines))
ok = all(r[5] in ("PASS", "not measured", "see JSON") for r in rows)
raise SystemExit(0 if ok else 1)
EOF
