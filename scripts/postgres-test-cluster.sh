#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the backend tests, under /tmp on a free port.
#
#   eval "$(scripts/postgres-test-cluster.sh start)"   # exports LINLI_TEST_POSTGRES_URL (and _DIR)
#   scripts/postgres-test-cluster.sh stop              # stops it and deletes its files
#
# Prints nothing and succeeds when PostgreSQL is not installed: the tests then run on SQLite
# only. As root (CI) the server runs as the `postgres` user, which refuses to run as root.
set -euo pipefail

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
  return 0
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
  else
    "$@"
  fi
}

start() {
  if [ -n "${LINLI_TEST_POSTGRES_URL:-}" ]; then
    echo "export LINLI_TEST_POSTGRES_URL='$LINLI_TEST_POSTGRES_URL'"
    return
  fi
  local bin; bin=$(find_bin)
  if [ -z "$bin" ]; then
    echo "==> PostgreSQL not installed: backend tests run on SQLite only" >&2
    return
  fi
  local dir port
  dir=$(mktemp -d /tmp/linli-pg-XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  # Durability is pointless for a throwaway cluster; without it tests run much faster.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
    "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  echo "==> PostgreSQL test cluster on 127.0.0.1:$port ($dir)" >&2
  echo "export LINLI_TEST_POSTGRES_DIR='$dir'"
  echo "export LINLI_TEST_POSTGRES_URL='postgresql+psycopg://postgres@127.0.0.1:$port/postgres'"
}

stop() {
  local dir="${LINLI_TEST_POSTGRES_DIR:-}"
  [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
  local bin; bin=$(find_bin)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
