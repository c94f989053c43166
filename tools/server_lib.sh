# Shared by the start.sh and stop.sh scripts of tools/chroma, tools/chroma15,
# tools/pglite and tools/postgres (sourced, not run). Each server is started
# with setsid, so it leads a process group of its own: stop_group ends it and
# any child it spawned, and a test runner's signals do not reach it twice.

# Prints a free TCP port on 127.0.0.1 (node is there for the npm servers).
free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# wait_ready NAME PID LOG SECONDS CHECK...: runs the command CHECK every
# 0.1 s until it succeeds (0). When process PID exits first, or SECONDS
# pass, says so on stderr with the end of LOG and returns 1; the caller
# stops what is left.
wait_ready() {
  local name=$1 pid=$2 log=$3 seconds=$4
  shift 4
  local i
  for ((i = 0; i < seconds * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "start.sh: $name exited before it was ready; its log ($log):" >&2
      tail -20 "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "start.sh: $name was not ready within $seconds s; log: $log" >&2
  return 1
}

# watch_owner PID STOP...: with WATCH_PID set, runs the command STOP once
# process WATCH_PID has ended (a test program that crashed or was killed
# does not leave its server behind), unless server PID ended first.
watch_owner() {
  local pid=$1
  shift
  [ -n "${WATCH_PID:-}" ] || return 0
  (while kill -0 "$WATCH_PID" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
   "$@") </dev/null >/dev/null 2>&1 &
}

# stop_group PID: TERM to the process group PID leads (or to PID alone),
# up to 10 s for it to end, then KILL. Succeeds when nothing is left.
stop_group() {
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
  sleep 0.2
  return 0
}
