#!/bin/sh
# Stops and removes a cluster started by tests/pg/start.sh.
# Usage: tests/pg/stop.sh URL-or-DIR
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin).
set -eu
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
arg=${1:?usage: tests/pg/stop.sh URL-or-DIR}
case "$arg" in
*host=*) dir=$(printf '%s\n' "$arg" | sed 's/.*host=\([^&]*\).*/\1/') ;;
*) dir=$arg ;;
esac
case "$dir" in
*/kindred-pg.*) ;;
*) echo "tests/pg/stop.sh: $dir is not a cluster of tests/pg/start.sh" >&2; exit 2 ;;
esac
[ -d "$dir/data" ] || { rm -rf "$dir"; exit 0; }
as=""
[ "$(id -u)" -eq 0 ] && as="runuser -u $(stat -c %U "$dir/data") --"
$as "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
rm -rf "$dir"
