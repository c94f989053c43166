#!/usr/bin/env bash
# Stops a PostgreSQL server started by start.sh, by its process id (and its
# process group), and removes its cluster folder. Waits up to 10 s, then
# kills it. Usage: stop.sh PID [CLUSTER_DIR]
set -u
pid=${1:?usage: stop.sh PID [CLUSTER_DIR]}
cluster=${2:-}
stopped() {
  case "$cluster" in
    /tmp/vecgate-postgres.*) rm -rf "$cluster" ;;
  esac
  exit 0
}
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || stopped
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || stopped
  sleep 0.1
done
kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
sleep 0.2
stopped
