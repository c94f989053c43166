#!/usr/bin/env bash
# CTest fixture: starts one real PostgreSQL server (PGlite with pgvector) for
# the test run and stops it.
#   pglite_fixture.sh start STATE_DIR   -> writes STATE_DIR/port and STATE_DIR/pid
#   pglite_fixture.sh stop STATE_DIR
# Tests read STATE_DIR from VECGATE_TEST_PGLITE_STATE; each test works in a
# schema of its own.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?start|stop}
state=${2:?STATE_DIR}
case "$cmd" in
  start)
    if [ -f "$state/pid" ]; then "$here/tools/pglite/stop.sh" "$(cat "$state/pid")" || true; fi
    rm -rf "$state"
    mkdir -p "$state"
    read -r port pid < <("$here/tools/pglite/start.sh" "$state/data" "" "$state/pglite.log")
    echo "$port" >"$state/port"
    echo "$pid" >"$state/pid"
    echo "PGlite test server on 127.0.0.1:$port (pid $pid)"
    ;;
  stop)
    if [ -f "$state/pid" ]; then
      "$here/tools/pglite/stop.sh" "$(cat "$state/pid")"
      rm -f "$state/pid" "$state/port"
    fi
    ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
