#!/bin/sh
# Starts a private PostgreSQL cluster for kindred's tests and prints its
# URL (to the "postgres" database, as the superuser "kindred") on stdout.
# The cluster lives in a new temporary directory: data in DIR/data, the
# Unix socket in DIR itself (mode 0700), listening on no TCP address, on a
# free port number (the socket's name).  PostgreSQL refuses to run as
# root, so under root the cluster runs as the system user kindred-ci,
# created here if missing.  Stop it with tests/pg/stop.sh URL (or DIR).
#
# Usage: tests/pg/start.sh [--durable]
#   --durable  keep fsync on (the crash tests need it); by default fsync
#              is off, which is fine for the functional suite only.
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin).
set -eu
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
fsync=off
[ "${1:-}" = "--durable" ] && fsync=on
for b in initdb pg_ctl postgres; do
	[ -x "$PG_BIN/$b" ] || { echo "tests/pg/start.sh: $PG_BIN/$b is missing" >&2; exit 2; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/kindred-pg.XXXXXX")
as=""
if [ "$(id -u)" -eq 0 ]; then
	if ! id kindred-ci >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin kindred-ci
	fi
	chown kindred-ci "$dir"
	as="runuser -u kindred-ci --"
fi
chmod 0700 "$dir"

# A port whose socket name nobody in this directory uses is free by
# construction; still pick one no local TCP listener has, so the cluster
# can later be given a TCP address without a clash.
port=""
for p in $(seq 54320 54420); do
	if ! { ss -ltn; ss -lxn; } 2>/dev/null | grep -q -e ":$p " -e "\.s\.PGSQL\.$p "; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "tests/pg/start.sh: no free port" >&2; exit 1; }

log="$dir/initdb.log"
if ! $as "$PG_BIN/initdb" -D "$dir/data" -U kindred --auth=trust -E UTF8 \
	--locale=C.UTF-8 >"$log" 2>&1; then
	cat "$log" >&2
	rm -rf "$dir"
	exit 1
fi
if ! $as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
	-o "-c listen_addresses='' -c unix_socket_directories='$dir' -c port=$port \
-c fsync=$fsync -c max_connections=200 -c shared_buffers=64MB" >/dev/null 2>&1; then
	cat "$dir/server.log" >&2
	rm -rf "$dir"
	exit 1
fi
echo "postgresql:///postgres?host=$dir&port=$port&user=kindred"
