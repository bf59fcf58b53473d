# pg.sh - sourced by the store tests: a throwaway PostgreSQL server from
# Debian's postgresql package, run by an unprivileged user (postgres if it
# exists, else nobody) in a directory of the test, listening on a Unix
# socket only (no TCP), stopped and removed by pg_down in the test's trap.
#
# Usage: . lib/pg.sh; pg_up DIR || skip...; trap 'pg_down' EXIT; then
#   $PG_URI  postgresql URI of the database "bph" (role "bph", trust auth on
#            the socket, so no password anywhere)
#   pg_sql SQL   runs SQL with psql on that database
#   pg_stop      stops the server (a fast shutdown) without removing it
# PG_FSYNC=on before pg_up keeps fsync as a real server has it (benchmarks);
# the tests run with fsync off.
# Returns 1 from pg_up (with a message) when the server binaries are missing.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PG_DIR=""
PG_URI=""

pg_user() { id postgres >/dev/null 2>&1 && echo postgres || echo nobody; }

pg_as() { runuser -u "$(pg_user)" -- "$@"; }

pg_up() { # pg_up DIR
	PG_DIR=$1
	if [[ -z $PG_BIN || ! -x $PG_BIN/initdb ]]; then
		echo "pg.sh: no PostgreSQL server binaries (apt install postgresql)" >&2
		return 1
	fi
	mkdir -p "$PG_DIR"
	chown "$(pg_user)" "$PG_DIR"
	chmod 0700 "$PG_DIR"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U bph -E UTF8 \
		--locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log" >&2
		return 1
	}
	pg_start
	pg_as "$PG_BIN/createdb" -h "$PG_DIR" -U bph bph
	PG_URI="postgresql:///bph?host=$PG_DIR&user=bph"
}

pg_start() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
		-o "-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -c fsync=${PG_FSYNC:-off} -c max_connections=40" \
		start >/dev/null
}

pg_sql() { pg_as "$PG_BIN/psql" -X -q -A -t -h "$PG_DIR" -U bph -d bph -c "$1"; }

pg_stop() { pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true; }

pg_down() {
	[[ -n $PG_DIR && -d $PG_DIR/data ]] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	[[ -z $PG_DIR ]] || rm -rf "$PG_DIR"
	return 0
}
