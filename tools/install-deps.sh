#!/bin/sh
# Installs the Debian packages kqlite needs to build and test, skipping what is present.
# With --bench, also what the hunt benchmark needs (bench/hunt/README.md): sqlite3,
# GNU time and DuckDB's Node.js package, installed by npm ci from bench/hunt's lockfile.
set -e
bench=""
[ "$1" = "--bench" ] && bench=1
packages="build-essential cmake pkg-config python3 libyaml-dev libpcre2-dev libjansson-dev libxxhash-dev nettle-dev libproj-dev zlib1g-dev libzstd-dev libdeflate-dev libcmocka-dev unzip clang libclang-rt-dev libevtx-utils"
[ -n "$bench" ] && packages="$packages sqlite3 time"
# Node.js and npm run the Kusto language service in the agreement tests; a machine that
# already has them (from any source) keeps its own.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages="$packages nodejs npm"
fi
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "kqlite: installing Debian packages:$missing" >&2
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $missing >/dev/null
fi
if [ -n "$bench" ]; then
    (cd "$(dirname "$0")/../bench/hunt" && npm ci --no-audit --no-fund)
fi
