#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the server tests: trust auth for user "pingshen" on 127.0.0.1, a free
# port, fsync off, everything in one temporary folder.
#   scripts/postgres.sh start [DIR]   initdb + start; prints the URL (postgres://pingshen@127.0.0.1:PORT/postgres)
#   scripts/postgres.sh stop DIR      stop the cluster and delete DIR
# initdb refuses to run as root: as root, the cluster belongs to the "postgres" system user (created by the
# Debian package) and runs under it.
set -euo pipefail

find_bin() {
  local name=$1
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$d/$name" ]; then echo "$d/$name"; return 0; fi
  done
  command -v "$name" || return 1
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd=${1:-}
case "$cmd" in
  start)
    dir=${2:-$(mktemp -d /tmp/pingshen-pg.XXXXXX)}
    mkdir -p "$dir"
    initdb=$(find_bin initdb) || { echo "postgres.sh: initdb not found (apt-get install postgresql)" >&2; exit 1; }
    pg_ctl=$(find_bin pg_ctl) || { echo "postgres.sh: pg_ctl not found" >&2; exit 1; }
    if [ "$(id -u)" -eq 0 ]; then
      id postgres >/dev/null 2>&1 || { echo "postgres.sh: no 'postgres' user to run the cluster as" >&2; exit 1; }
      chown postgres "$dir"
      chmod 700 "$dir"
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    as_owner "$initdb" -D "$dir/data" -U pingshen --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >"$dir/pg_ctl.log" 2>&1 || { cat "$dir/pg_ctl.log" "$dir/server.log" >&2; exit 1; }
    echo "postgres.sh: cluster in $dir (stop with: scripts/postgres.sh stop $dir)" >&2
    echo "postgres://pingshen@127.0.0.1:$port/postgres"
    ;;
  stop)
    dir=${2:?usage: postgres.sh stop DIR}
    pg_ctl=$(find_bin pg_ctl) || exit 0
    if [ -d "$dir/data" ]; then
      as_owner "$pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: scripts/postgres.sh start [DIR] | stop DIR" >&2
    exit 2
    ;;
esac
