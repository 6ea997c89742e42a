#!/bin/sh
# make fuzz: builds each libFuzzer target with clang (ASan + UBSan) and
# runs it for FUZZ_TIME seconds (default 60) from its committed seed
# corpus in tests/fuzz/corpus/NAME/ (and, for some, the shipped data
# files they read); new inputs go to build-fuzz/corpus/NAME/.
#
# Prints per target: executions, executions per second and findings (a
# crash, leak, timeout or out-of-memory stops that target with its
# reproducer saved as build-fuzz/fuzz_NAME-crash-...); then one summary
# line.  Every target runs even when one has a finding; the exit status
# is 1 if any had one.  Usage: tests/fuzz/run.sh tests/fuzz/fuzz_*.c
set -eu
T=${FUZZ_TIME:-60}
OUT=build-fuzz
mkdir -p "$OUT"
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Isrc -Iinclude -I$OUT"
PKGS="libmicrohttpd jansson sqlite3 libpq libsodium libutf8proc"
# The library, built once with coverage so the fuzzer is guided inside it.
make -s BUILD="$OUT" OPT="-g -O1" SAN="-fsanitize=fuzzer-no-link,address,undefined" CC=clang "$OUT/libkindred.a"
# The command line's shared readers (not main.c nor the commands) too.
CLI=$(ls src/cli/*.c | grep -v -e '/main\.c$' -e '/cmd_' || true)
for src in "$@"; do
	name=$(basename "$src" .c)
	echo "building $name"
	clang $CFLAGS $(pkg-config --cflags $PKGS) -o "$OUT/$name" "$src" $CLI "$OUT/libkindred.a" \
		$(pkg-config --libs $PKGS) -lstemmer -lpthread -lm
done
targets=0
total=0
findings=0
for src in "$@"; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	mkdir -p "$OUT/corpus/$short"
	seeds=tests/fuzz/corpus/$short
	[ -d "$seeds" ] || seeds=
	# Readers of shipped data start from the shipped files too.
	case $short in
	instrument) seeds="$seeds data/instruments tests/instruments" ;;
	engine_data) seeds="$seeds data/lexicons" ;;
	esac
	rm -f "$OUT/$name"-crash-* "$OUT/$name"-leak-* "$OUT/$name"-timeout-* "$OUT/$name"-oom-*
	status=0
	"$OUT/$name" -max_total_time="$T" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$OUT/$name-" \
		"$OUT/corpus/$short" $seeds >"$OUT/$name.log" 2>&1 || status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$name.log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$OUT/$name.log" | tail -n 1)
	found=$(ls "$OUT/$name"-crash-* "$OUT/$name"-leak-* "$OUT/$name"-timeout-* \
		"$OUT/$name"-oom-* 2>/dev/null | wc -l)
	[ "$status" -ne 0 ] && [ "$found" -eq 0 ] && found=1
	targets=$((targets + 1))
	total=$((total + ${execs:-0}))
	findings=$((findings + found))
	echo "$name: ${execs:-0} executions in ${T}s, ${rate:-0} exec/s, $found findings"
	if [ "$found" -gt 0 ]; then
		grep -m 1 -E 'ERROR: |runtime error|invariant failed|ALARM' "$OUT/$name.log" || true
		ls "$OUT/$name"-crash-* "$OUT/$name"-leak-* "$OUT/$name"-timeout-* \
			"$OUT/$name"-oom-* 2>/dev/null | sed 's/^/  reproducer: /' || true
		echo "  log: $OUT/$name.log"
	fi
done
echo "fuzz: $targets targets, $total executions, $findings findings"
[ "$findings" -eq 0 ]
