#!/usr/bin/env bash
# start-postgres.sh — start a throw-away PostgreSQL server for align's tests.
#
# Idempotent: installs the Debian `postgresql` package only when no server
# binaries are found, creates a cluster only once, starts it only when it is not
# already running. The server listens on 127.0.0.1 only (port $ALIGN_PG_PORT,
# default 54329), trusts loopback connections and holds a database and role
# named align_test. The DSN is printed, and written to
# $ALIGN_ASSETS/postgres.dsn (default <repo>/.assets/postgres.dsn), where the
# tests of internal/feedback find it (or set ALIGN_TEST_POSTGRES yourself).
#
# Usage: scripts/start-postgres.sh          start (or reuse) the server
#        scripts/start-postgres.sh stop     stop it
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
assets="${ALIGN_ASSETS:-$repo/.assets}"
mkdir -p "$assets"
assets="$(cd "$assets" && pwd)"
port="${ALIGN_PG_PORT:-54329}"
base="${ALIGN_PG_DIR:-/tmp/align-postgres-$port}"
data="$base/data"
dsn="postgres://align_test@127.0.0.1:$port/align_test?sslmode=disable"

find_bin() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/initdb ]] && {
			echo "$d"
			return 0
		}
	done
	return 1
}

bin="$(find_bin || true)"
if [[ -z $bin ]]; then
	echo "start-postgres: installing the Debian postgresql package" >&2
	sudo=()
	[[ $(id -u) == 0 ]] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq postgresql >/dev/null
	bin="$(find_bin)"
fi

# The server refuses to run as root: run it as the postgres user then.
as_owner=()
if [[ $(id -u) == 0 ]]; then
	as_owner=(runuser -u postgres --)
fi

if [[ ${1-} == stop ]]; then
	[[ -d $data ]] && "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -m fast stop || true
	exit 0
fi

mkdir -p "$base"
[[ $(id -u) == 0 ]] && chown postgres:postgres "$base"
if [[ ! -f $data/PG_VERSION ]]; then
	echo "start-postgres: initdb $data" >&2
	"${as_owner[@]}" "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --no-locale >/dev/null
fi

if ! "${as_owner[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
	echo "start-postgres: starting on 127.0.0.1:$port" >&2
	"${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$base/server.log" -w -t 60 start \
		-o "-p $port -k $base -c listen_addresses=127.0.0.1 -c max_connections=200 -c synchronous_commit=off" >/dev/null
fi

psql_q() { "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAq -v ON_ERROR_STOP=1 -c "$1"; }
if [[ $(psql_q "SELECT 1 FROM pg_roles WHERE rolname='align_test'") != 1 ]]; then
	psql_q "CREATE ROLE align_test LOGIN CREATEDB"
fi
if [[ $(psql_q "SELECT 1 FROM pg_database WHERE datname='align_test'") != 1 ]]; then
	psql_q "CREATE DATABASE align_test OWNER align_test"
fi

echo "$dsn" >"$assets/postgres.dsn"
echo "start-postgres: ready; DSN in $assets/postgres.dsn" >&2
echo "export ALIGN_TEST_POSTGRES='$dsn'"
