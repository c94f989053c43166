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
source "$here/../server_lib.sh"
[ -n "$port" ] || port=$(free_port)
setsid "$bin" -d "$data_dir" -p "$port" -h 127.0.0.1 -m 8 \
  -e @electric-sql/pglite-pgvector:vector >"$log" 2>&1 </dev/null &
pid=$!
listening() { grep -q "listening" "$log"; }
if ! wait_ready PGlite "$pid" "$log" 120 listening; then
  stop_group "$pid"
  exit 1
fi
watch_owner "$pid" "$here/stop.sh" "$pid"
echo "$port $pid"
