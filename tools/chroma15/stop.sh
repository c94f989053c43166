#!/usr/bin/env bash
# Stops a Chroma 1.5.9 server started by start.sh, by its process id (and
# its process group). Waits up to 10 s, then kills it. Usage: stop.sh PID
set -u
source "$(dirname "$0")/../server_lib.sh"
stop_group "${1:?usage: stop.sh PID}"
