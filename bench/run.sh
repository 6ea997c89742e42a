#!/bin/sh
# make bench: kindred's HTTP figures next to nginx serving a static file of
# the same size on the same machine in the same run, so the ratio means
# something on a noisy machine.  Prints requests/s, p99 latency, the ratio
# to nginx, and kindred's resident memory after the load.
# Then bench/pg.sh: the same endpoints on PostgreSQL with one and two
# servers (behind nginx), and the caseload query on 100,000 clients.
# The SQLite database holds SQLITE_CLIENTS (10,000) clients on the
# benchmark clinician's caseload; then a POST of a check-in measures
# durable writes, and bench/engine.sh the engine's utterances/s.
# Usage: bench/run.sh [BUILD_DIR]   (DURATION=10s CONNS=64 CLIENTS=100000
# SQLITE_CLIENTS=10000 THREADS=n ROUNDS=3 PG=0)
set -eu
BUILD=${1:-build}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
SQLITE_CLIENTS=${SQLITE_CLIENTS:-10000}
command -v sqlite3 >/dev/null || { echo "bench: sqlite3 is missing (apt-get install sqlite3)"; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)"; exit 1; }
command -v nginx >/dev/null || { echo "bench: nginx is missing (apt-get install nginx-light)"; exit 1; }
tmp=$(mktemp -d)
chmod 755 "$tmp"
cleanup() {
	[ -n "${kpid:-}" ] && kill "$kpid" 2>/dev/null || true
	[ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
	sleep 0.3
	rm -rf "$tmp"
}
trap cleanup EXIT

# THREADS: kindred's worker threads (default: its own choice).
[ -n "${THREADS:-}" ] && echo "threads = $THREADS" >"$tmp/kindred.conf" || : >"$tmp/kindred.conf"
"$BUILD/kindred" serve --port 0 --data-dir "$tmp/var" --config "$tmp/kindred.conf" >"$tmp/out" 2>/dev/null &
kpid=$!
for _ in $(seq 50); do grep -q listening "$tmp/out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/.*listening on \(http:[^ ]*\)\/ .*/\1/p' "$tmp/out")
[ -n "$base" ] || { echo "bench: kindred did not start"; exit 1; }
prep=$(node bench/prepare.mjs "$base" 20)
cookie=$(printf '%s' "$prep" | cut -f1)
csrf=$(printf '%s' "$prep" | cut -f2)
clin=$(printf '%s' "$prep" | cut -f3)
sed "s/CLIENTS/$SQLITE_CLIENTS/" bench/clients_sqlite.sql |
	sqlite3 -cmd ".timeout 10000" "$tmp/var/kindred.db"

# The JSON answer's size, so nginx serves a file just as large.
size=$(curl -s --noproxy '*' -H "Cookie: $cookie" "$base/api/v1/checkins" | wc -c)
mkdir -p "$tmp/www"
head -c "$size" /dev/zero | tr '\0' 'x' >"$tmp/www/static.json"
chmod -R a+rX "$tmp/www"
cat >"$tmp/nginx.conf" <<CONF
worker_processes auto;
pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:18089;
    location / { root $tmp/www; }
  }
}
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp"
sleep 0.3

run() { # name url [wrk args...]
	name=$1
	url=$2
	shift 2
	wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$@" "$url" >"$tmp/wrk.$name" 2>&1
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' "$tmp/wrk.$name")
	p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.$name")
	non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\)/\1/p' "$tmp/wrk.$name")
	echo "$name $rps $p99 ${non2xx:-0}"
}
to_ms() { # wrk latency (123.45us, 1.23ms, 1.2s) in ms
	echo "$1" | awk '/us$/ {sub("us",""); print $1/1000; next} /ms$/ {sub("ms",""); print $1; next} /s$/ {sub("s",""); print $1*1000}'
}

echo "kindred bench: $(nproc) cores, $CONNS connections, $DURATION each, response size $size bytes,"
echo "  $SQLITE_CLIENTS clients in the SQLite database, 100 on the caseload measured"
# nginx and the JSON endpoint take turns, ROUNDS times (3), and each is
# reported by its best round: on a shared machine the load of others
# comes and goes, and one run each would compare two different moments.
best() { # the line with the most requests/s
	printf '%s\n' "$@" | sort -k2,2 -g | tail -n 1
}
ns=""
ks=""
for _ in $(seq "${ROUNDS:-3}"); do
	ns="$ns
$(run nginx "http://127.0.0.1:18089/static.json")"
	ks="$ks
$(run checkins "$base/api/v1/checkins" -H "Cookie: $cookie")"
done
n=$(best "$ns")
k=$(best "$ks")
echo "rounds (requests/s, p99): nginx$(printf '%s' "$ns" | awk 'NF {printf " %s %s,", $2, $3}')"
echo "                          checkins$(printf '%s' "$ks" | awk 'NF {printf " %s %s,", $2, $3}')"
c=$(run caseload "$base/clients" -H "Cookie: $clin")
before=$(sqlite3 "$tmp/var/kindred.db" "SELECT count(*) FROM checkins")
w=$(KINDRED_COOKIE=$cookie KINDRED_CSRF=$csrf run post_checkin "$base/api/v1/checkins" -s bench/post_checkin.lua)
after=$(sqlite3 "$tmp/var/kindred.db" "SELECT count(*) FROM checkins")
nrps=$(echo "$n" | cut -d' ' -f2)
np99=$(to_ms "$(echo "$n" | cut -d' ' -f3)")
printf '%-34s %12s %10s %10s %10s\n' "endpoint" "requests/s" "p99 ms" "x nginx" "non-2xx"
for line in "$n" "$k" "$c" "$w"; do
	set -- $line
	p=$(to_ms "$3")
	printf '%-34s %12.0f %10.2f %10.2f %10s\n' "$1" "$2" "$p" "$(echo "$2 $nrps" | awk '{print $1/$2}')" "$4"
done
echo "p99 ratio to nginx: checkins $(echo "$(to_ms "$(echo "$k" | cut -d' ' -f3)") $np99" | awk '{printf "%.2f", $1/$2}')"
echo "durable check-ins: $((after - before)) rows written (each acknowledged only once on disk)"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$kpid/status")
echo "kindred resident memory after the load: $((rss / 1024)) MB ($SQLITE_CLIENTS clients)"

# The engine: analyze --jsonl utterances/s beside its baseline.
kill "$kpid" 2>/dev/null || true
kpid=""
echo
sh bench/engine.sh "$BUILD"

# The PostgreSQL figures: one and two servers on one database, and the
# caseload of a clinician with 100,000 clients (bench/pg.sh); PG=0 skips.
[ "${PG:-1}" = 0 ] || sh bench/pg.sh "$BUILD"
