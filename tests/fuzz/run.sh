#!/bin/sh
# make fuzz: builds each libFuzzer target with clang (ASan + UBSan) and
# runs it for FUZZ_TIME seconds (default 60) from its committed seed
# corpus in tests/fuzz/corpus/NAME/; new inputs go to build-fuzz/corpus/.
# Prints executions per target; any crash stops with the reproducer saved.
set -eu
T=${FUZZ_TIME:-60}
OUT=build-fuzz
mkdir -p "$OUT"
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Isrc -Iinclude"
PKGS="libmicrohttpd jansson sqlite3 libpq libsodium libutf8proc"
# The library, built once with coverage so the fuzzer is guided inside it.
make -s BUILD="$OUT" OPT="-g -O1" SAN="-fsanitize=fuzzer-no-link,address,undefined" CC=clang "$OUT/libkindred.a"
# The command line's shared readers (not main.c nor the commands) too.
CLI=$(ls src/cli/*.c | grep -v -e '/main\.c$' -e '/cmd_' || true)
for src in "$@"; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	clang $CFLAGS $(pkg-config --cflags $PKGS) -o "$OUT/$name" "$src" $CLI "$OUT/libkindred.a" \
		$(pkg-config --libs $PKGS) -lstemmer -lpthread -lm
	mkdir -p "$OUT/corpus/$short"
	seeds=tests/fuzz/corpus/$short
	[ -d "$seeds" ] || seeds=
	"$OUT/$name" -max_total_time="$T" -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$OUT/$name-" \
		"$OUT/corpus/$short" $seeds 2>"$OUT/$name.log" || { tail -40 "$OUT/$name.log"; exit 1; }
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$name.log")
	echo "$name: $execs executions in ${T}s, no findings"
done
