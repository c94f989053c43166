#!/usr/bin/env bash
# Stops a PGlite server started by start.sh, by its process id (and its
# process group). Waits up to 10 s, then kills it. Usage: stop.sh PID
set -u
pid=${1:?usage: stop.sh PID}
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || exit 0
  sleep 0.1
done
kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
exit 0
