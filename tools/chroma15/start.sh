#!/usr/bin/env bash
# Starts Chroma 1.5.9 (`chroma run` of the pinned Python package in
# tools/python/venv), the second Chroma the tests run against, on a free
# loopback port with its own data folder; waits until /api/v2/heartbeat
# answers and prints
#   PORT PID
# on stdout. Usage: start.sh DATA_DIR [PORT] [LOG_FILE]
# Same interface as tools/chroma/start.sh. Stop it with stop.sh PID. Needs
# the venv (tools/setup.sh makes it). With WATCH_PID set, the server is also
# stopped when that process ends.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data_dir=${1:?usage: start.sh DATA_DIR [PORT] [LOG_FILE]}
port=${2:-}
log=${3:-$data_dir/chroma.log}
bin=$here/../python/venv/bin/chroma
if [ ! -x "$bin" ]; then
  echo "start.sh: $bin is missing; run tools/setup.sh (it makes tools/python/venv)" >&2
  exit 1
fi
mkdir -p "$data_dir"
source "$here/../server_lib.sh"
[ -n "$port" ] || port=$(free_port)
# No telemetry: the server is on a machine without outside network.
ANONYMIZED_TELEMETRY=False setsid "$bin" run --path "$data_dir" --host 127.0.0.1 --port "$port" \
  >"$log" 2>&1 </dev/null &
pid=$!
heartbeat() { curl -fsS -m 2 "http://127.0.0.1:$port/api/v2/heartbeat"; }
if ! wait_ready "Chroma 1.5.9" "$pid" "$log" 30 heartbeat; then
  stop_group "$pid"
  exit 1
fi
watch_owner "$pid" "$here/stop.sh" "$pid"
echo "$port $pid"
