#!/usr/bin/env bash
# Starts Debian's PostgreSQL 15 (package postgresql-15, which setup.sh
# installs) on a free loopback port with its own data folder, waits until
# it accepts connections, and prints
#   PORT PID CLUSTER_DIR
# on stdout. Usage: start.sh DATA_DIR PASSWORD
# DATA_DIR gets the logs; the cluster itself lives in CLUSTER_DIR, a new
# folder under /tmp, since as root DATA_DIR may sit in a folder the
# "postgres" user cannot enter. stop.sh PID CLUSTER_DIR removes it.
# The superuser "postgres" gets PASSWORD, and every TCP connection must give
# it (scram-sha-256): PGlite accepts any password, so the tests of wrong and
# missing credentials need this server. It has no pgvector (bookworm does
# not package it); tables use real[] embeddings.
# PostgreSQL refuses to run as root: as root, the server runs as the
# "postgres" user the package created, and DATA_DIR is given to it.
# Stop it with stop.sh PID CLUSTER_DIR. With WATCH_PID set, it is also stopped when that
# process ends.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data_dir=${1:?usage: start.sh DATA_DIR PASSWORD}
password=${2:?usage: start.sh DATA_DIR PASSWORD}
bin=/usr/lib/postgresql/15/bin
if [ ! -x "$bin/postgres" ]; then
  echo "start.sh: $bin/postgres is missing; install postgresql-15 (tools/setup.sh does it)" >&2
  exit 1
fi
as=()
if [ "$(id -u)" -eq 0 ]; then
  as=(runuser -u postgres --)
fi
mkdir -p "$data_dir"
cluster=$(mktemp -d /tmp/vecgate-postgres.XXXXXX)
[ ${#as[@]} -eq 0 ] || chown postgres: "$cluster"
pwfile=$cluster/pwfile
(umask 077 && printf '%s\n' "$password" >"$pwfile")
[ ${#as[@]} -eq 0 ] || chown postgres: "$pwfile"
log=$data_dir/server.log
touch "$log"
[ ${#as[@]} -eq 0 ] || chown postgres: "$log"
if ! "${as[@]}" "$bin/initdb" -D "$cluster/data" -U postgres --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
    >"$data_dir/initdb.log" 2>&1; then
  echo "start.sh: initdb failed; its log ($data_dir/initdb.log):" >&2
  tail -20 "$data_dir/initdb.log" >&2
  rm -rf "$cluster"
  exit 1
fi
rm -f "$pwfile"
source "$here/../server_lib.sh"
port=$(free_port)
setsid "${as[@]}" "$bin/postgres" -D "$cluster/data" -p "$port" -c listen_addresses=127.0.0.1 \
  -c unix_socket_directories="$cluster" -c fsync=off -c shared_buffers=16MB \
  >>"$log" 2>&1 </dev/null &
pid=$!
if ! wait_ready PostgreSQL "$pid" "$log" 60 "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  "$here/stop.sh" "$pid" "$cluster"
  exit 1
fi
watch_owner "$pid" "$here/stop.sh" "$pid" "$cluster"
echo "$port $pid $cluster"
