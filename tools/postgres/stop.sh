#!/usr/bin/env bash
# Stops a PostgreSQL server started by start.sh, by its process id (and its
# process group), and removes its cluster folder. Waits up to 10 s, then
# kills it. Usage: stop.sh PID [CLUSTER_DIR]
set -u
source "$(dirname "$0")/../server_lib.sh"
stop_group "${1:?usage: stop.sh PID [CLUSTER_DIR]}"
case "${2:-}" in
  /tmp/vecgate-postgres.*) rm -rf "$2" ;;
esac
exit 0
