#!/usr/bin/env bash
# CTest fixture: starts one real server for the whole test run and stops it.
#   server_fixture.sh SERVER start STATE_DIR  -> STATE_DIR/port, STATE_DIR/pid
#   server_fixture.sh SERVER stop STATE_DIR
# SERVER is chroma (the pinned npm Chroma), chroma15 (Chroma 1.5.9 of the
# pinned Python venv) or pglite (the pinned PGlite, PostgreSQL with
# pgvector), each through its tools/SERVER/start.sh. Tests find STATE_DIR in
# VECGATE_TEST_CHROMA_STATE (either Chroma; VECGATE_TEST_CHROMA_SERVER says
# which) / VECGATE_TEST_PGLITE_STATE and each works in a database or schema
# of its own, so tests may run in parallel on one server.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
server=${1:?chroma|chroma15|pglite}
cmd=${2:?start|stop}
state=${3:?STATE_DIR}
case "$server" in
  chroma) name=Chroma ;;
  chroma15) name="Chroma 1.5.9" ;;
  pglite) name=PGlite ;;
  *) echo "usage: $0 chroma|chroma15|pglite start|stop STATE_DIR" >&2; exit 2 ;;
esac
tools=$here/tools/$server
case "$cmd" in
  start)
    if [ -f "$state/pid" ]; then "$tools/stop.sh" "$(cat "$state/pid")" || true; fi
    rm -rf "$state"
    mkdir -p "$state"
    read -r port pid < <("$tools/start.sh" "$state/data" "" "$state/$server.log")
    echo "$port" >"$state/port"
    echo "$pid" >"$state/pid"
    echo "$name test server on 127.0.0.1:$port (pid $pid)"
    ;;
  stop)
    if [ -f "$state/pid" ]; then
      "$tools/stop.sh" "$(cat "$state/pid")"
      rm -f "$state/pid" "$state/port"
    fi
    ;;
  *) echo "usage: $0 chroma|chroma15|pglite start|stop STATE_DIR" >&2; exit 2 ;;
esac
