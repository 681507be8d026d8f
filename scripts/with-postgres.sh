#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a real PostgreSQL server:
#   1. the one at 127.0.0.1:5432 (database "test", trust auth) if it answers;
#   2. otherwise one started here with the machine's PostgreSQL binaries, as a non-root user,
#      in a temporary directory (stopped again afterwards);
#   3. otherwise one from Debian's postgresql package, installed and then started as in 2.
# Fails loudly when no server can be had.
set -euo pipefail

if [ -n "${TEST_DATABASE_URL:-}" ]; then exec "$@"; fi

answers() { PGCONNECT_TIMEOUT=3 psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

url="postgres://postgres@127.0.0.1:5432/test"
if command -v psql >/dev/null && answers "$url"; then
  echo "Using the PostgreSQL server at 127.0.0.1:5432." >&2
  TEST_DATABASE_URL="$url" exec "$@"
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "No PostgreSQL binaries found: installing Debian's postgresql package." >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; fi
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "FATAL: no PostgreSQL server available for the integration tests." >&2
  exit 1
fi

dir=$(mktemp -d /tmp/npq-ops-pg.XXXXXX)
port=55432
runas=()
if [ "$(id -u)" = 0 ]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown -R postgres "$dir"
  runas=(runuser -u postgres --)
fi
cleanup() { "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
"${runas[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
"${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1" -l "$dir/log" -w start >/dev/null
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres test
echo "Started a temporary PostgreSQL server on port $port." >&2
TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/test" "$@"
