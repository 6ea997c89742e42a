#!/bin/sh
# Installs the Debian packages kindred needs to build, run and test,
# only those missing.  Used by `make deps` (and so by run and check).
set -e
pkgs="build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev
libpq-dev libsodium-dev libutf8proc-dev libstemmer-dev libcmocka-dev"
missing=""
if [ "${KINDRED_DEPS:-}" = "test" ]; then
	# postgresql: the second pass of the HTTP tests and test_store_pg run on
	# a private cluster of Debian's PostgreSQL 15 (tests/pg/start.sh).
	# nginx-light: the load balancer of tests/http/nginx.test.mjs and the
	# static-file yardstick of make bench.
	pkgs="$pkgs curl chromium sqlite3 postgresql nginx-light"
	# A machine may bring its own Node.js; Debian's is only a fallback.
	command -v node >/dev/null || missing="$missing nodejs"
	command -v npm >/dev/null || missing="$missing npm"
fi
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "kindred: installing missing packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "kindred: run as root or install:$missing" >&2; exit 1; }
	SUDO=sudo
fi
${SUDO:-} apt-get update -qq
DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends $missing
