#!/bin/sh
# tests/fuzz/run.sh: builds each libFuzzer target given (tests/fuzz/fuzz_NAME.c)
# with clang, ASan and UBSan against the library sources and the CLI files
# except main.c, then runs it for FUZZ_TIME seconds (default 120) on its
# corpus tests/fuzz/corpus/NAME/.  New inputs go to build-fuzz/corpus/NAME so
# the seed corpus in git stays small.  Usage: sh tests/fuzz/run.sh FILE...
set -eu
B=build-fuzz
T=${FUZZ_TIME:-120}
PKGS="jansson libutf8proc"
mkdir -p "$B"
cc -O2 -o "$B/embed" tools/embed.c
"$B/embed" "$B/embedded.c" $(find templates static data src/store/migrations -type f ! -name '*~' ! -name '.*' 2>/dev/null | sort)
LIB=$(ls src/util/*.c src/engine/*.c)
CLI=$(ls src/cli/*.c | grep -v -e '/main\.c$' -e '/cmd_' || true)
for f in "$@"; do
	name=$(basename "$f" .c)
	corpus=${name#fuzz_}
	clang -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -Isrc -Iinclude -I"$B" $(pkg-config --cflags $PKGS) \
	    -o "$B/$name" "$f" $LIB $CLI "$B/embedded.c" \
	    $(pkg-config --libs $PKGS) -lstemmer -lm
	mkdir -p "$B/corpus/$corpus" "tests/fuzz/corpus/$corpus"
	"$B/$name" -max_total_time="$T" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 "$B/corpus/$corpus" "tests/fuzz/corpus/$corpus"
done
