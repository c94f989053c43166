#!/usr/bin/env bash
# Starts the pinned PGlite server (PostgreSQL 18 in WebAssembly, with
# pgvector) on a free loopback port with its own data folder, waits until it
# listens, and prints
#   PORT PID
# on stdout. Usage: start.sh DATA_DIR [PORT] [LOG_FILE]
# Stop it with stop.sh PID. Needs `npm ci` in this folder (setup.sh does it).
# PGlite runs one backend: connections share it, and a transaction open on
# one connection makes the others wait until it ends. It accepts any user
# and password and ignores the database name.
# With WATCH_PID set, the server is also stopped when that process ends.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data_dir=${1:?usage: start.sh DATA_DIR [PORT] [LOG_FILE]}
port=${2:-}
log=${3:-$data_dir.log}
bin=$here/node_modules/.bin/pglite-server
if [ ! -x "$bin" ]; then
  echo "start.sh: $bin is missing; run 'npm ci' in $here (make setup does it)" >&2
  exit 1
fi
mkdir -p "$(dirname "$data_dir")"
if [ -z "$port" ]; then
  port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
fi
setsid "$bin" -d "$data_dir" -p "$port" -h 127.0.0.1 -m 8 \
  -e @electric-sql/pglite-pgvector:vector >"$log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 1200); do
  if grep -q "listening" "$log" 2>/dev/null; then
    if [ -n "${WATCH_PID:-}" ]; then
      (while kill -0 "$WATCH_PID" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
       "$here/stop.sh" "$pid") </dev/null >/dev/null 2>&1 &
    fi
    echo "$port $pid"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: PGlite exited before listening; its log ($log):" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "start.sh: PGlite did not listen on port $port within 120 s; log: $log" >&2
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
exit 1
