#!/bin/sh
# kindred's test runner: the cmocka unit tests, the black-box HTTP tests
# against a real server, and the browser tests; then one summary line,
# "N passed, N failed", that CI reads.  Usage: tests/run.sh [BUILD_DIR]
BUILD=${1:-build}
export KINDRED_BIN="$BUILD/kindred"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # $1 passed, $2 failed
	passed=$((passed + ${1:-0}))
	failed=$((failed + ${2:-0}))
}

echo "== unit tests ($BUILD)"
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	"$t" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	if [ $rc -ne 0 ] && [ -z "$f" ]; then f=1; cat "$log"; fi
	[ -n "$f" ] && [ "$f" -gt 0 ] && cat "$log"
	echo "$(basename "$t"): ${p:-0} passed, ${f:-0} failed"
	count "$p" "$f"
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
	[ -z "$p$f" ] && f=1
	echo "$1: ${p:-0} passed, $(( ${f:-0} + ${c:-0} )) failed"
	count "$p" "$(( ${f:-0} + ${c:-0} ))"
}

node_suite cli tests/cli
node_suite http tests/http
node_suite browser tests/browser

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
