#!/usr/bin/env bash
# Starts the pinned real Chroma server on a free loopback port with its own
# data folder, waits until /api/v2/heartbeat answers, and prints
#   PORT PID
# on stdout. Usage: start.sh DATA_DIR [PORT] [LOG_FILE]
# Stop it with stop.sh PID. Needs `npm ci` in this folder (setup.sh does it).
# With WATCH_PID set, the server is also stopped when that process ends (a
# test program that crashed or was killed does not leave a server behind).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data_dir=${1:?usage: start.sh DATA_DIR [PORT] [LOG_FILE]}
port=${2:-}
log=${3:-$data_dir/chroma.log}
bin=$here/node_modules/.bin/chroma
if [ ! -x "$bin" ]; then
  echo "start.sh: $bin is missing; run 'npm ci' in $here (make setup does it)" >&2
  exit 1
fi
mkdir -p "$data_dir"
if [ -z "$port" ]; then
  port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
fi
# setsid: the server gets its own process group, so stop.sh can end it and
# any child it spawned, and a test runner's signals do not reach it twice.
setsid "$bin" run --path "$data_dir" --host 127.0.0.1 --port "$port" >"$log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 300); do
  if curl -fsS -m 2 "http://127.0.0.1:$port/api/v2/heartbeat" >/dev/null 2>&1; then
    if [ -n "${WATCH_PID:-}" ]; then
      (while kill -0 "$WATCH_PID" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
       "$here/stop.sh" "$pid") </dev/null >/dev/null 2>&1 &
    fi
    echo "$port $pid"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: Chroma exited before answering; its log ($log):" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "start.sh: Chroma did not answer /api/v2/heartbeat on port $port within 30 s; log: $log" >&2
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
exit 1
