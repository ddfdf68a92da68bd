# shellcheck shell=bash
# .ci/postgres.sh — a throwaway PostgreSQL for the state store's contract
# tests. Source it (`. .ci/postgres.sh`); it exports FOREWARN_TEST_PG_DSN.
#
# - Installs PostgreSQL from Debian packages with apt-get when no server
#   binaries are found.
# - Runs its own cluster (not the distribution's) in a directory under /tmp,
#   listening on 127.0.0.1 only, as a non-root user (the "postgres" system
#   user when run as root; initdb refuses root).
# - Idempotent: a second source on the same machine reuses the running
#   cluster; a stale directory (server gone, e.g. after a reboot) is rebuilt.
# - Works under `set -euo pipefail` with no stdin; never prints the password.
#
# Environment (all optional):
#   FOREWARN_PG_DIR   cluster directory (default /tmp/forewarn-pg-<uid>)
#   FOREWARN_PG_PORT  first port to try (default 54329)
#   FOREWARN_PG_STOP=1  stop the cluster and remove its directory instead
#
# Cost: about 3 s to start a new cluster, well under 1 s to reuse one; the
# package install (when needed) takes a minute or two.

_fwpg_log() { printf 'postgres.sh: %s\n' "$*" >&2; }

# _fwpg_bindir prints the newest installed server's bin directory.
_fwpg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
    printf '%s\n' "$d"
  fi
}

# _fwpg_as runs a command as the cluster's owner.
_fwpg_as() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# _fwpg_port_free reports whether nothing listens on 127.0.0.1:$1.
_fwpg_port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_fwpg_main() {
  local bin dir data port pw owner i
  bin=$(_fwpg_bindir)
  if [ -z "$bin" ]; then
    if [ "$(id -u)" != 0 ]; then
      _fwpg_log "PostgreSQL is not installed and installing it needs root (apt-get install postgresql)"
      return 1
    fi
    _fwpg_log "installing PostgreSQL from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >&2
    apt-get install -y -qq --no-install-recommends postgresql postgresql-client </dev/null >&2
    bin=$(_fwpg_bindir)
    if [ -z "$bin" ]; then
      _fwpg_log "apt-get installed postgresql but no server binaries were found under /usr/lib/postgresql"
      return 1
    fi
  fi

  dir=${FOREWARN_PG_DIR:-/tmp/forewarn-pg-$(id -u)}
  data=$dir/data
  if [ "$(id -u)" = 0 ]; then
    owner=postgres
    if ! id postgres >/dev/null 2>&1; then
      _fwpg_log "running as root but there is no postgres system user to run the server as"
      return 1
    fi
  else
    owner=$(id -un)
  fi

  if [ "${FOREWARN_PG_STOP:-}" = 1 ]; then
    if [ -d "$data" ]; then
      _fwpg_as "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    unset FOREWARN_TEST_PG_DSN
    _fwpg_log "stopped and removed $dir"
    return 0
  fi

  # Reuse a running cluster of ours.
  if [ -f "$dir/port" ] && [ -f "$dir/password" ] && [ -d "$data" ] &&
    _fwpg_as "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    port=$(cat "$dir/port")
    pw=$(cat "$dir/password")
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 10; then
      export FOREWARN_TEST_PG_DSN="postgres://forewarn:${pw}@127.0.0.1:${port}/forewarn_test?sslmode=disable"
      _fwpg_log "reusing the cluster in $dir on 127.0.0.1:$port"
      return 0
    fi
  fi

  # Otherwise build a new one; a leftover directory is stale.
  if [ -d "$dir" ]; then
    if [ -d "$data" ]; then
      _fwpg_as "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
  fi
  mkdir -m 700 "$dir"
  pw=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  (umask 077 && printf '%s\n' "$pw" >"$dir/password")
  chown -R "$owner" "$dir"

  port=${FOREWARN_PG_PORT:-54329}
  for i in $(seq 0 50); do
    if _fwpg_port_free "$port"; then
      break
    fi
    if [ "$i" = 50 ]; then
      _fwpg_log "no free port from ${FOREWARN_PG_PORT:-54329} on 127.0.0.1"
      return 1
    fi
    port=$((port + 1))
  done
  printf '%s\n' "$port" >"$dir/port"

  _fwpg_log "starting a throwaway cluster in $dir on 127.0.0.1:$port (PostgreSQL $("$bin/postgres" -V | awk '{print $3}'))"
  # Local socket connections (in $dir, mode 700) are trusted; TCP needs the
  # password, so the tests exercise real authentication.
  if ! _fwpg_as "$bin/initdb" -D "$data" -U forewarn --pwfile="$dir/password" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1; then
    _fwpg_log "initdb failed:"
    cat "$dir/initdb.log" >&2
    return 1
  fi
  if ! _fwpg_as "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
    start >/dev/null; then
    _fwpg_log "the server did not start; its log:"
    tail -n 40 "$dir/server.log" >&2 || true
    return 1
  fi
  if ! _fwpg_as "$bin/psql" -q -h "$dir" -p "$port" -U forewarn -d postgres -v ON_ERROR_STOP=1 \
    -c 'CREATE DATABASE forewarn_test' </dev/null >/dev/null; then
    _fwpg_log "creating the test database failed"
    return 1
  fi
  export FOREWARN_TEST_PG_DSN="postgres://forewarn:${pw}@127.0.0.1:${port}/forewarn_test?sslmode=disable"
  _fwpg_log "ready: FOREWARN_TEST_PG_DSN exported (password not shown)"
}

_fwpg_main
