#!/bin/sh
# kindred's test runner: the cmocka unit tests, the black-box HTTP tests
# against a real server (once on SQLite, once on PostgreSQL), and the
# browser tests; then one summary line, "N passed, N failed, N skipped",
# that CI reads.  Usage: tests/run.sh [BUILD_DIR]
#
# PostgreSQL: with KINDRED_TEST_PG set to a URL of a database on which
# the user may create databases, that cluster is used; otherwise a private
# one is started with tests/pg/start.sh (PostgreSQL 15 installed, as
# `make test-deps` does) and stopped at the end.  When neither works the
# PostgreSQL tests print "postgres: skipped (reason)" and count as skips.
BUILD=${1:-build}
export KINDRED_BIN="$BUILD/kindred"
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
passed=0
failed=0
skipped=0
log=$(mktemp)
pg_started=""
cleanup() {
	rm -f "$log"
	[ -n "$pg_started" ] && sh tests/pg/stop.sh "$pg_started"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

count() { # $1 passed, $2 failed, $3 skipped
	passed=$((passed + ${1:-0}))
	failed=$((failed + ${2:-0}))
	skipped=$((skipped + ${3:-0}))
}

pg_skip=""
if [ -n "${KINDRED_TEST_PG:-}" ]; then
	echo "== postgres: using KINDRED_TEST_PG"
elif [ ! -x "$PG_BIN/initdb" ]; then
	pg_skip="PostgreSQL 15 is not installed ($PG_BIN/initdb); make test-deps installs it"
elif ! command -v psql >/dev/null; then
	pg_skip="psql is missing (package postgresql-client-15)"
elif KINDRED_TEST_PG=$(sh tests/pg/start.sh 2>"$log"); then
	pg_started=$KINDRED_TEST_PG
	echo "== postgres: private cluster at $KINDRED_TEST_PG"
else
	pg_skip="the private cluster did not start: $(tail -n 3 "$log" | tr '\n' ' ')"
	KINDRED_TEST_PG=""
fi
if [ -n "$pg_skip" ]; then
	echo "postgres: skipped ($pg_skip)"
	unset KINDRED_TEST_PG
else
	export KINDRED_TEST_PG
fi

echo "== unit tests ($BUILD)"
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	"$t" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	if [ $rc -ne 0 ] && [ -z "$f" ]; then f=1; cat "$log"; fi
	[ -n "$f" ] && [ "$f" -gt 0 ] && cat "$log"
	# A test that skips says why on a line of its own.
	[ -n "$s" ] && grep -h '^skipped: ' "$log" | sort -u
	echo "$(basename "$t"): ${p:-0} passed, ${f:-0} failed, ${s:-0} skipped"
	count "$p" "$f" "$s"
done

node_suite() { # $1 name, $2 directory
	echo "== $1 tests"
	if ! command -v node >/dev/null; then
		echo "$1: node is missing: counted as 1 failure"
		count 0 1
		return
	fi
	node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
		--test-reporter=tap --test-reporter-destination="$log" "$2"/*.test.mjs
	p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$log" | tail -n 1)
	c=$(sed -n 's/^# cancelled \([0-9]*\)/\1/p' "$log" | tail -n 1)
	s=$(sed -n 's/^# skipped \([0-9]*\)/\1/p' "$log" | tail -n 1)
	[ -z "$p$f" ] && f=1
	echo "$1: ${p:-0} passed, $(( ${f:-0} + ${c:-0} )) failed, ${s:-0} skipped"
	count "$p" "$(( ${f:-0} + ${c:-0} ))" "$s"
}

node_suite cli tests/cli
export KINDRED_HTTP_BACKEND=sqlite
node_suite "http (sqlite)" tests/http
if [ -n "$pg_skip" ]; then
	echo "== http (postgresql) tests"
	echo "postgres: skipped ($pg_skip)"
	count 0 0 1
else
	KINDRED_HTTP_BACKEND=postgresql
	node_suite "http (postgresql)" tests/http
fi
unset KINDRED_HTTP_BACKEND
node_suite browser tests/browser

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
