#!/usr/bin/env bash
# .ci/pg.sh — a throwaway PostgreSQL server for CI and for developers.
#
# Usage:
#   .ci/pg.sh start DIR [PORT]   initdb DIR/data (first time only) and start a server
#                                listening on 127.0.0.1:PORT (a free port is picked
#                                when PORT is omitted). Prints the port on the LAST
#                                line of stdout and records it in DIR/port.
#   .ci/pg.sh stop DIR           fast shutdown; a no-op when nothing runs there.
#   .ci/pg.sh status DIR         exit 0 when the server in DIR is running.
#   .ci/pg.sh url DIR [DB]       print postgres://postgres@127.0.0.1:PORT/DB (DB: postgres)
#
# Example (developer, as root or as a normal user):
#   dir=$(mktemp -d) && port=$(.ci/pg.sh start "$dir" | tail -n1)
#   psql -h 127.0.0.1 -p "$port" -U postgres -c 'create database picloud_dev'
#   DATABASE_URL=postgres://postgres@127.0.0.1:$port/picloud_dev deno task start
#   .ci/pg.sh stop "$dir" && rm -rf "$dir"
#
# Details:
# - Auth is `trust` for the superuser `postgres`, on 127.0.0.1 and on a Unix socket
#   in DIR only: never use this for anything but tests and local development.
# - initdb and pg_ctl refuse to run as root, so as root both run as the `postgres`
#   OS user (runuser); DIR is chowned to it and its parents must be traversable
#   by it (mktemp -d under /tmp + chmod 755 is fine; /root/... is not).
#   As a normal user they run as that user.
# - Binaries: initdb/pg_ctl from PATH, else the newest /usr/lib/postgresql/*/bin.
#   Set PG_BIN=/usr/lib/postgresql/15/bin to force one. Nothing is installed here
#   (.ci/run installs the Debian package when they are missing).
# - Server settings: fsync=off, max_connections=200 (tests open many pools).
set -euo pipefail

die() {
  echo "pg.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

find_pg_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then
    [[ -x "$PG_BIN/pg_ctl" ]] || die "PG_BIN=$PG_BIN has no pg_ctl"
    echo "$PG_BIN"
    return
  fi
  local d
  # Prefer the Debian versioned dir (sorted newest first); PATH as a fallback.
  # shellcheck disable=SC2012 # fixed Debian paths, no odd names
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -rn); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
      echo "$d"
      return
    fi
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return
  fi
  die "initdb/pg_ctl not found (apt-get install -y postgresql-15, or set PG_BIN)"
}

# Runs a command as the postgres OS user when we are root, else as ourselves.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  # Ask the kernel for a free port; node is on every machine of this project,
  # python3 and a bash /dev/tcp scan are fallbacks.
  if command -v node >/dev/null 2>&1; then
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})' && return
  fi
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()' && return
  fi
  local p
  for p in $(seq 25432 25532); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "no free port found"
}

cmd_start() {
  local dir="${1:-}" port="${2:-}"
  [[ -n "$dir" ]] || usage
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd -P)"
  [[ ${#dir} -le 80 ]] || die "DIR path too long for a Unix socket path: $dir"
  local bin
  bin="$(find_pg_bin)"

  if [[ $(id -u) -eq 0 ]]; then
    chmod 755 "$dir"
    chown -R postgres "$dir"
    as_pg test -x "$dir" -a -w "$dir" ||
      die "the postgres user cannot reach $dir (a parent directory is not traversable); use a dir under /tmp"
  fi

  if cmd_status "$dir"; then
    die "a server is already running in $dir (port $(cat "$dir/port" 2>/dev/null || echo '?'))"
  fi

  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    echo "pg.sh: initdb $dir/data ($bin)" >&2
    as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
      {
        cat "$dir/initdb.log" >&2
        die "initdb failed"
      }
  fi

  # A free port can be taken between picking and binding: retry a few times
  # when the port was chosen here.
  local tries=1 chosen=0
  if [[ -z "$port" ]]; then
    chosen=1
    tries=5
  fi
  local i
  for ((i = 1; i <= tries; i++)); do
    [[ $chosen -eq 1 ]] && port="$(free_port)"
    echo "pg.sh: starting PostgreSQL on 127.0.0.1:$port (log: $dir/log)" >&2
    if as_pg "$bin/pg_ctl" -D "$dir/data" \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
      -l "$dir/log" -w -t 60 start >&2; then
      echo "$port" >"$dir/port"
      echo "$bin" >"$dir/bin"
      echo "$port"
      return 0
    fi
    echo "pg.sh: start failed on port $port; last log lines:" >&2
    tail -n 20 "$dir/log" >&2 || true
  done
  die "could not start PostgreSQL in $dir"
}

cmd_status() {
  local dir="${1:-}"
  [[ -n "$dir" ]] || usage
  [[ -f "$dir/data/postmaster.pid" ]] || return 1
  local bin
  bin="$(cat "$dir/bin" 2>/dev/null || find_pg_bin)"
  as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

cmd_stop() {
  local dir="${1:-}"
  [[ -n "$dir" ]] || usage
  if [[ ! -f "$dir/data/postmaster.pid" ]]; then
    echo "pg.sh: no server running in $dir" >&2
    return 0
  fi
  local bin
  bin="$(cat "$dir/bin" 2>/dev/null || find_pg_bin)"
  echo "pg.sh: stopping PostgreSQL in $dir" >&2
  if ! as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2; then
    echo "pg.sh: fast stop failed, trying immediate" >&2
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >&2
  fi
}

cmd_url() {
  local dir="${1:-}" db="${2:-postgres}"
  [[ -n "$dir" && -f "$dir/port" ]] || die "no port recorded in ${dir:-DIR}/port (not started?)"
  echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/$db"
}

case "${1:-}" in
  start) cmd_start "${2:-}" "${3:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  status) cmd_status "${2:-}" ;;
  url) cmd_url "${2:-}" "${3:-}" ;;
  *) usage ;;
esac
