#!/bin/sh
# make bench, PostgreSQL part (bench/run.sh runs it after the SQLite figures
# when PostgreSQL 15 is installed): on a private, durable cluster
# (tests/pg/start.sh --durable, fsync on),
#   1. the same endpoints as the SQLite bench (a client's check-ins as JSON,
#      a clinician's caseload page) with one kindred server, direct and
#      through nginx, and with two servers on the one database behind nginx
#      (round robin, keepalive to the upstreams);
#   2. the caseload of one clinician with CLIENTS (default 100,000) clients,
#      three check-ins each, made by bench/caseload.sql through psql: the
#      query's plan and time (EXPLAIN ANALYZE of queries.h's CASELOAD) and
#      GET /api/v1/clients end to end.
# Usage: bench/pg.sh [BUILD_DIR]   (DURATION=10s CONNS=64 CLIENTS=100000;
#        THREADS=N sets each server's threads, default kindred's eight per core;
#        PGOPTIONS='-c synchronous_commit=off' and the like reach the server)
set -eu
BUILD=${1:-build}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
CLIENTS=${CLIENTS:-100000}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/initdb" ] || { echo "bench (postgresql): skipped: PostgreSQL 15 is not installed"; exit 0; }
command -v psql >/dev/null || { echo "bench (postgresql): skipped: psql is missing"; exit 0; }
tmp=$(mktemp -d)
chmod 755 "$tmp"
admin=""
cleanup() {
	# Each server's pid is in a file: start_kindred runs in a subshell.
	for f in "$tmp"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
	[ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
	sleep 0.3
	[ -n "$admin" ] && sh tests/pg/stop.sh "$admin"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

admin=$(sh tests/pg/start.sh --durable)
dburl() { printf '%s\n' "$admin" | sed "s#/postgres?#/$1?#"; }
psql -X -q "$admin" -c "CREATE DATABASE kindred_bench" -c "CREATE DATABASE kindred_caseload"

start_kindred() { # name database; prints the base URL
	printf 'server_id = %s\naccess_log = off\n' "$1" >"$tmp/$1.conf"
	[ -n "${THREADS:-}" ] && printf 'threads = %s\n' "$THREADS" >>"$tmp/$1.conf"
	"$BUILD/kindred" serve --port 0 --data-dir "$tmp/var" --database "$2" \
		--config "$tmp/$1.conf" >"$tmp/$1.out" 2>"$tmp/$1.err" &
	echo $! >"$tmp/$1.pid"
	for _ in $(seq 100); do grep -q listening "$tmp/$1.out" 2>/dev/null && break; sleep 0.1; done
	sed -n 's/.*listening on \(http:[^ ]*\)\/ .*/\1/p' "$tmp/$1.out"
}
run() { # name url [wrk args...]: name requests/s p99 non-2xx
	name=$1
	url=$2
	shift 2
	wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$@" "$url" >"$tmp/wrk.$name" 2>&1
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$tmp/wrk.$name")
	p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.$name")
	non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\)/\1/p' "$tmp/wrk.$name")
	printf '%-40s %12.0f %10s %10s\n' "$name" "$rps" "$p99" "${non2xx:-0}"
}

# --- 1. requests/s, one and two servers on one database ---
a=$(start_kindred kindred-a "$(dburl kindred_bench)")
[ -n "$a" ] || { cat "$tmp/kindred-a.err"; echo "bench: kindred on PostgreSQL did not start"; exit 1; }
prep=$(node bench/prepare.mjs "$a" 20)
cookie=$(printf '%s' "$prep" | cut -f1)
clin=$(printf '%s' "$prep" | cut -f3)
b=$(start_kindred kindred-b "$(dburl kindred_bench)")
[ -n "$b" ] || { cat "$tmp/kindred-b.err"; echo "bench: the second kindred did not start"; exit 1; }
cat >"$tmp/nginx.conf" <<CONF
worker_processes auto;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  upstream one { server ${a#http://}; keepalive 64; }
  upstream two { server ${a#http://}; server ${b#http://}; keepalive 64; }
  server {
    listen 127.0.0.1:18090;
    location / { proxy_pass http://one; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {
    listen 127.0.0.1:18091;
    location / { proxy_pass http://two; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp"
sleep 0.3
echo
echo "kindred bench, PostgreSQL 15 (fsync on, same machine): $(nproc) cores, $CONNS connections, $DURATION each, threads ${THREADS:-eight per core}${PGOPTIONS:+, PGOPTIONS=$PGOPTIONS}"
printf '%-40s %12s %10s %10s\n' "endpoint" "requests/s" "p99" "non-2xx"
run "checkins, 1 server" "$a/api/v1/checkins" -H "Cookie: $cookie"
run "caseload, 1 server" "$a/clients" -H "Cookie: $clin"
run "checkins, 1 server via nginx" "http://127.0.0.1:18090/api/v1/checkins" -H "Cookie: $cookie"
run "caseload, 1 server via nginx" "http://127.0.0.1:18090/clients" -H "Cookie: $clin"
run "checkins, 2 servers via nginx" "http://127.0.0.1:18091/api/v1/checkins" -H "Cookie: $cookie"
run "caseload, 2 servers via nginx" "http://127.0.0.1:18091/clients" -H "Cookie: $clin"

# --- 2. the caseload of a clinician with CLIENTS clients ---
db=$(dburl kindred_caseload)
printf 'benchmark password 1\n' |
	"$BUILD/kindred" user add clin --role clinician --name "Caseload Clinician" \
		--data-dir "$tmp/var" --database "$db" >/dev/null 2>&1
start=$(date +%s.%N)
psql -X -q "$db" -v clients="$CLIENTS" -v clinician=clin -f bench/caseload.sql
echo
echo "caseload of one clinician with $CLIENTS clients ($((CLIENTS * 3)) check-ins), made in $(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}') s"
# queries.h's CASELOAD, as the server runs it: through the C preprocessor,
# its string pieces joined.
sql=$(printf '#define Q(name, sql) name sql\n#include "store/queries.h"\n' |
	cc -E -P -Isrc - | sed -n 's/^CASELOAD //p' | sed 's/" *"//g; s/^"//; s/" *$//')
cid=$(psql -X -At "$db" -c "SELECT id FROM users WHERE username = 'clin'")
# The whole caseload at once (what a page of "all" would cost), then the
# first page of 100 the server actually asks for.
prep="PREPARE caseload(bigint, bigint, bigint) AS $sql"
psql -X -At "$db" -c "SET jit = off" -c "$prep" \
	-c "EXPLAIN (ANALYZE, BUFFERS) EXECUTE caseload($cid, $CLIENTS, 0)" >"$tmp/plan" 2>&1 || cat "$tmp/plan"
psql -X -At "$db" -c "SET jit = off" -c "$prep" \
	-c "EXPLAIN (ANALYZE, BUFFERS) EXECUTE caseload($cid, $CLIENTS, 0)" >"$tmp/plan" 2>&1
echo "EXPLAIN ANALYZE of the whole caseload (second run, warm):"
sed 's/^/  /' "$tmp/plan"
psql -X -At "$db" -c "SET jit = off" -c "$prep" \
	-c "EXPLAIN (ANALYZE) EXECUTE caseload($cid, 101, 0)" >"$tmp/plan-page" 2>&1
echo "the first page (100 clients) of the same caseload: $(sed -n 's/^Execution Time: //p' "$tmp/plan-page")"
small=$(psql -X -At "$db" -c "SELECT id FROM users WHERE username = 'bench-small'")
psql -X -At "$db" -c "SET jit = off" -c "$prep" \
	-c "EXPLAIN (ANALYZE) EXECUTE caseload($small, 101, 0)" >"$tmp/plan-small" 2>&1
echo "the same query for a clinician with 100 of these clients: $(sed -n 's/^Execution Time: //p' "$tmp/plan-small")"
c=$(start_kindred kindred-c "$db")
jar=$(curl -s --noproxy '*' -D - -o /dev/null -H 'content-type: application/json' \
	-d '{"username":"clin","password":"benchmark password 1"}' "$c/api/v1/login" |
	sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -n 1)
for page in /api/v1/clients /clients; do
	best=""
	for _ in 1 2 3; do
		t=$(curl -s --noproxy '*' -o "$tmp/body" -w '%{time_total}' -H "Cookie: $jar" "$c$page")
		code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' -H "Cookie: $jar" "$c$page")
		best=$(echo "$t ${best:-$t}" | awk '{print ($1 < $2) ? $1 : $2}')
	done
	echo "GET $page for $CLIENTS clients: best of 3 $(echo "$best" | awk '{printf "%.0f", $1 * 1000}') ms, status $code, $(wc -c <"$tmp/body") bytes"
done
