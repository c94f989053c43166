#!/usr/bin/env bash
# End-to-end benchmark: vecgate against what a user would otherwise use, in
# one run, on the same data, on a real Chroma server.
#
#   fetch  every record (ids, documents, metadatas, embeddings) of one
#          collection in pages of 1,000:
#            curl         raw POST .../get pages, one curl process with --next
#                         (one kept-alive connection), bodies to /dev/null:
#                         the transfer floor
#            chromadb-js  the official JavaScript client (chromadb@3.0.10,
#                         pinned in tools/chroma): getCollection, count, get
#            vecgate      ChromaStore::Open + Scan (bench/e2e/e2e_tool scan)
#   topk   exact l2 top-k (k = 10) of 1,000 queries (rows of the collection)
#          over the same vectors, dumped once to raw float32:
#            numpy        brute force, Debian's python3-numpy
#                         (bench/e2e/numpy_topk.py)
#            faiss        IndexFlatL2 add + search, Debian's libfaiss-dev
#            vecgate      ExactTopK (validators/topk.h)
#
# Rounds are interleaved (every peer once per round, the order rotating) and
# repeated; the medians and the ratios vecgate/peer go to
# OUT_DIR/e2e.json and OUT_DIR/e2e.md. A fetch warm-up round is discarded.
# Each fetch and top-k time is taken inside its program (process start,
# module loading and file reading excluded); top-k programs run a warm-up
# search before the timed one.
#
# Peers are benchmark-only and optional: a missing peer (node's chromadb
# package, numpy, libfaiss-dev at configure time) is skipped with a note.
# `tools/setup.sh --bench` installs them.
#
# Usage:
#   bench/e2e_bench.sh [--build DIR] [--records N] [--dim D] [--reps R]
#                      [--queries Q] [--k K] [--page P] [--out-dir DIR]
#   bench/e2e_bench.sh --compare OLD.json NEW.json [--tolerance PCT] [--build DIR]
# Defaults: --build build, 9,832 records x 1,536 dims, 5 rounds, 1,000
# queries, k 10, pages of 1,000, OUT_DIR = BUILD/bench_results.
# --compare prints each vecgate/peer ratio's change and exits 1 when one grew
# by more than PCT percent (default 10).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

build=${BUILD:-build}
records=9832 dim=1536 reps=5 queries=1000 k=10 page=1000 out_dir=""
compare=() tolerance=10
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --dim) dim=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --queries) queries=$2; shift 2 ;;
    --k) k=$2; shift 2 ;;
    --page) page=$2; shift 2 ;;
    --out-dir) out_dir=$2; shift 2 ;;
    --compare) compare=("$2" "$3"); shift 3 ;;
    --tolerance) tolerance=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "e2e_bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$build" in /*) ;; *) build=$root/$build ;; esac
tool=$build/bench/e2e_tool
if [ ! -x "$tool" ]; then
  echo "e2e_bench: $tool is missing; build it: cmake --build $build --target e2e_tool" >&2
  exit 2
fi

if [ ${#compare[@]} -eq 2 ]; then
  exec "$tool" compare "${compare[0]}" "${compare[1]}" --tolerance "$tolerance"
fi

out_dir=${out_dir:-$build/bench_results}
mkdir -p "$out_dir"
work=$(mktemp -d /tmp/vecgate_e2e_XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then "$root/tools/chroma/stop.sh" "$server_pid" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

meta=$work/meta.tsv results=$work/results.tsv
: >"$meta"; : >"$results"
note() { printf 'note\t%s\n' "$*" >>"$meta"; echo "e2e_bench: $*" >&2; }
put() { printf '%s\t%s\n' "$1" "$2" >>"$meta"; }
field() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'; }
now() { date +%s.%N; }

put machine.date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
put machine.nproc "$(nproc)"
put machine.cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
put machine.loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
for key in records dim reps queries k page; do put "config.$key" "${!key}"; done

# ------------------------------------------------------------ server, data
read -r port server_pid < <(WATCH_PID=$$ "$root/tools/chroma/start.sh" "$work/data" "" "$work/chroma.log") || true
if [ -z "${server_pid:-}" ]; then echo "e2e_bench: could not start Chroma (tools/chroma/start.sh)" >&2; exit 1; fi
base=http://127.0.0.1:$port
coll=e2e_bench
uri=chroma://127.0.0.1:$port/default_tenant/default_database
put machine.chroma_server "$(curl -fsS "$base/api/v2/version" | tr -d '"') (tools/chroma)"
echo "e2e_bench: Chroma on port $port; loading $records x $dim ..." >&2
"$tool" load --uri "$uri" --collection "$coll" --records "$records" --dim "$dim" >"$work/load.out"
put config.load_seconds "$(field load_seconds <"$work/load.out")"
cpath=/api/v2/tenants/default_tenant/databases/default_database/collections
cid=$(curl -fsS "$base$cpath/$coll" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')

# ------------------------------------------------------------------- fetch
pages=$(( (records + page - 1) / page ))
curl_args=()
for ((p = 0; p < pages; p++)); do
  [ $p -gt 0 ] && curl_args+=(--next)
  curl_args+=(-sS -o /dev/null -w '%{http_code} %{size_download}\n'
    -H 'content-type: application/json'
    -d "{\"limit\":$page,\"offset\":$((p * page)),\"include\":[\"embeddings\",\"documents\",\"metadatas\"]}"
    "$base$cpath/$cid/get")
done

fetch_curl() {
  local t0 t1
  t0=$(now)
  curl "${curl_args[@]}" >"$work/curl.out"
  t1=$(now)
  if [ "$(grep -c '^200 ' "$work/curl.out")" -ne "$pages" ]; then
    echo "curl: not every page answered 200: $(sort "$work/curl.out" | uniq -c | head -3)" >&2
    return 1
  fi
  echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }'
}
fetch_program() {  # command...: prints its "seconds", checks its "records"
  local out
  out=$("$@") || return 1
  if [ "$(field records <<<"$out")" != "$records" ]; then
    echo "$1: read $(field records <<<"$out") records, expected $records" >&2
    return 1
  fi
  field seconds <<<"$out"
}
fetch_chromadb-js() { fetch_program node "$root/bench/e2e/chromadb_js_fetch.cjs" "$root/tools/chroma" "$port" "$coll" "$page"; }
fetch_vecgate() { fetch_program "$tool" scan --uri "$uri" --collection "$coll" --page "$page"; }

fetch_peers=(vecgate curl)
if [ -d "$root/tools/chroma/node_modules/chromadb" ] && command -v node >/dev/null; then
  fetch_peers+=(chromadb-js)
  put machine.js_client "chromadb@$(node -p "require('$root/tools/chroma/node_modules/chromadb/package.json').version"), node $(node --version)"
else
  note "chromadb JS client skipped: tools/chroma/node_modules/chromadb missing (run tools/setup.sh)"
fi
put machine.curl "$(curl --version | head -1 | cut -d' ' -f1-2)"

run_round() {  # task round peers...
  local task=$1 round=$2; shift 2
  local peer seconds
  for peer in "$@"; do
    if seconds=$("${task}_$peer"); then
      [ "$round" -gt 0 ] && printf '%s %s %d %s\n' "$task" "$peer" "$round" "$seconds" >>"$results"
      echo "e2e_bench: $task round $round $peer ${seconds}s" >&2
    else
      note "$task/$peer failed in round $round; see the messages above"
    fi
  done
}
for ((r = 0; r <= reps; r++)); do  # round 0: warm-up, not recorded
  n=${#fetch_peers[@]} order=()
  for ((i = 0; i < n; i++)); do order+=("${fetch_peers[$(( (i + r) % n ))]}"); done
  run_round fetch "$r" "${order[@]}"
done
note "curl fetched $pages pages, $(awk '{ s += $2 } END { printf "%.1f", s / 1e6 }' "$work/curl.out") MB of JSON"

# -------------------------------------------------------------------- topk
"$tool" dump --uri "$uri" --collection "$coll" --vectors "$work/x.f32" \
  --queries-out "$work/q.f32" --queries "$queries" >/dev/null
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set in this environment and
# hold OpenBLAS back; the peers' BLAS runs with its own defaults.
blas_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
python=""
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import numpy' 2>/dev/null; then python=$p; break; fi
done
if [ -z "$python" ]; then
  note "NumPy skipped: no python3 with numpy (install python3-numpy: tools/setup.sh --bench)"
fi
# Debian's numpy links libblas.so.3, which the alternatives system may point
# at the reference BLAS (about 30x slower here); with OpenBLAS installed,
# NumPy gets it, as FAISS does, so that vecgate is not flattered.
openblas_dir=/usr/lib/x86_64-linux-gnu/openblas-pthread
numpy_env=("${blas_env[@]}")
if [ -e "$openblas_dir/libblas.so.3" ]; then
  numpy_env+=(LD_LIBRARY_PATH="$openblas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
fi
faiss_ok=1
for ((r = 1; r <= reps; r++)); do
  first=vecgate; [ $((r % 2)) -eq 0 ] && first=faiss
  run_cpp() {
    local out
    out=$("${blas_env[@]}" "$tool" topk --vectors "$work/x.f32" --queries-in "$work/q.f32" \
      --dim "$dim" --k "$k" --first "$first" --ids-dir "$work")
    printf 'topk vecgate %d %s\n' "$r" "$(field vecgate <<<"$out")" >>"$results"
    if [ -n "$(field faiss <<<"$out")" ]; then
      printf 'topk faiss %d %s\n' "$r" "$(field faiss <<<"$out")" >>"$results"
      agree_faiss=$(field agree_faiss <<<"$out") faiss_blas=$(field faiss_blas <<<"$out")
    else
      faiss_ok=0
    fi
    threads=$(field threads <<<"$out")
    echo "e2e_bench: topk round $r vecgate $(field vecgate <<<"$out")s faiss $(field faiss <<<"$out")s" >&2
  }
  run_numpy() {
    [ -n "$python" ] || return 0
    local out
    if out=$("${numpy_env[@]}" "$python" "$root/bench/e2e/numpy_topk.py" "$work/x.f32" "$work/q.f32" \
        "$dim" "$k" "$work/vecgate.i64"); then
      printf 'topk numpy %d %s\n' "$r" "$(field seconds <<<"$out")" >>"$results"
      numpy_blas=$(field blas <<<"$out") numpy_version=$(field numpy <<<"$out")
      agree_numpy=$(field agree_vecgate <<<"$out")
      echo "e2e_bench: topk round $r numpy $(field seconds <<<"$out")s" >&2
    else
      note "NumPy failed in round $r"
    fi
  }
  # vecgate.i64 must exist before NumPy compares with it: C++ first in round 1.
  if [ $((r % 2)) -eq 1 ]; then run_cpp; run_numpy; else run_numpy; run_cpp; fi
done
put machine.topk_threads "${threads:-?} (vecgate ExactTopK, FAISS OpenMP + OpenBLAS, NumPy OpenBLAS)"
if [ "$faiss_ok" = 1 ]; then
  put machine.faiss_blas "$faiss_blas"
  note "FAISS top-k ids agree with vecgate's for a share of $agree_faiss"
else
  note "FAISS skipped: e2e_tool was built without libfaiss-dev (tools/setup.sh --bench, then reconfigure)"
fi
if [ -n "$python" ] && [ -n "${numpy_version:-}" ]; then
  put machine.numpy "numpy $numpy_version ($python), BLAS: $numpy_blas"
  note "NumPy top-k ids agree with vecgate's for a share of $agree_numpy"
fi
note "BLAS of FAISS and NumPy ran with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset"
put machine.loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"

"$tool" report --results "$results" --meta "$meta" --json "$out_dir/e2e.json" --md "$out_dir/e2e.md"
echo "e2e_bench: wrote $out_dir/e2e.json and $out_dir/e2e.md" >&2
