#!/bin/sh
# make bench-engine: utterances per second through `kindred analyze
# --jsonl` with every reading on (and the learned models built in), over a
# large generated input, next to a baseline measured in the same run on
# the same lines: bench/jsonl_roundtrip.c, a jansson parse + compact dump
# per line and no analysis.  Prints both rates and their ratio; best of
# RUNS runs each (default 3).  Usage: bench/engine.sh [BUILD_DIR]
#   LINES=200000 to change the input size.
set -eu
BUILD=${1:-build}
LINES=${LINES:-200000}
RUNS=${RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Input: half client texts (the risk test sets' sentences), half helper
# replies with the client's turn as context, cycling through them.
awk -F'\t' -v lines="$LINES" '
function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
/^#/ || NF < 2 { next }
{ t[n++] = esc($2) }
END {
  split("It sounds like you have been carrying a lot on your own.|What would you like to be different a month from now?|You are not alone in this, many people feel the same way.|Have you thought about talking to your doctor about the pills?|I hear how tired you are; it makes sense that you want a break.|Would it help if we wrote down a next small step together?", h, "|")
  for (i = 0; i < lines; i++) {
    c = t[i % n]
    if (i % 2 == 0)
      printf "{\"id\":\"%d\",\"speaker\":\"client\",\"text\":\"%s\"}\n", i, c
    else
      printf "{\"id\":\"%d\",\"speaker\":\"helper\",\"text\":\"%s\",\"context\":[{\"speaker\":\"client\",\"text\":\"%s\"}]}\n", i, h[int(i / 2) % 6 + 1], c
  }
}' tests/engine/risk_cases.tsv tests/engine/risk_holdout.tsv >"$tmp/in.jsonl"
bytes=$(wc -c <"$tmp/in.jsonl")

# Per core means CPU seconds (user + sys, from /usr/bin/time) when it is
# there: on a shared machine wall time measures the neighbours too.  The
# wall time is printed as well.
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=""
best() { # command...; prints "cpu wall", the best of RUNS by CPU time
	b=""
	for _ in $(seq "$RUNS"); do
		s=$(date +%s.%N)
		if [ -n "$TIME" ]; then
			"$TIME" -o "$tmp/time" -f "%U %S" "$@" <"$tmp/in.jsonl" >"$tmp/out" 2>/dev/null
		else
			"$@" <"$tmp/in.jsonl" >"$tmp/out" 2>/dev/null
		fi
		e=$(date +%s.%N)
		c=$( [ -n "$TIME" ] && awk '{print $1 + $2}' "$tmp/time" || echo "$e $s" | awk '{print $1 - $2}')
		b=$(echo "$c $s $e ${b:-1e9 0}" | awk '{ if ($1 < $4) print $1, $3 - $2; else print $4, $5 }')
	done
	echo "$b"
}

ta=$(best "$BUILD/kindred" analyze --jsonl)
out=$(wc -l <"$tmp/out")
[ "$out" -eq "$LINES" ] || { echo "bench-engine: analyze wrote $out lines for $LINES"; exit 1; }
if grep -q '"error"' "$tmp/out"; then echo "bench-engine: analyze reported errors"; exit 1; fi
tb=$(best "$BUILD/bench/jsonl_roundtrip")
echo "input: $LINES lines, $bytes bytes ($(awk -v b="$bytes" -v n="$LINES" 'BEGIN{printf "%.0f", b/n}') bytes/line), best of $RUNS, one core"
awk -v n="$LINES" -v ta="$ta" -v tb="$tb" -v t="${TIME:+CPU}" 'BEGIN {
  split(ta, a, " "); split(tb, b, " "); t = t ? t : "wall"
  printf "kindred analyze --jsonl (all readings): %8.0f utterances/s per core  (%.2f s %s, %.2f s wall)\n", n / a[1], a[1], t, a[2]
  printf "jansson round trip (baseline):          %8.0f utterances/s per core  (%.2f s %s, %.2f s wall)\n", n / b[1], b[1], t, b[2]
  printf "ratio analyze / baseline: %.2f   target >= 100000 utterances/s per core: %s\n", b[1] / a[1], (n / a[1] >= 100000 ? "met" : "not met")
}'
