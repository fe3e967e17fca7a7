#!/bin/sh
# Benchmarks the EVTX parser against libevtx's evtxexport in the same run:
# records/s and MB/s on one thread and on every core (best of 5 runs), over a
# folder of logs and over one large log built from their chunks (make_large.py);
# evtxexport runs once, one file at a time, over the same files.
#
# Usage: bench/evtx/run.sh [BUILD_DIR [SAMPLES [LARGE_MB]]]
#   BUILD_DIR  a kqlite build folder with libkqlite.a (default build-evtx)
#   SAMPLES    folder of .evtx files (default ../shared/data/evtx)
#   LARGE_MB   size of the large log in MB (default 210)
# Needs evtxexport (Debian package libevtx-utils), python3 and a C compiler.
set -e
cd "$(dirname "$0")/../.."
build=${1:-build-evtx}
samples=${2:-../shared/data/evtx}
large_mb=${3:-210}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cc -O2 -Isrc -Iinclude bench/evtx/evtx_bench.c "$build/libkqlite.a" \
    $(pkg-config --libs yaml-0.1 libpcre2-8 jansson libxxhash nettle proj zlib) -lpthread -lm -o "$work/evtx_bench"
# The large log is made of chunks from the files evtxexport reads (it stops at the
# first chunk it cannot decode, which would leave most of the file unread).
find "$samples" -name '*.evtx' | sort | while IFS= read -r f; do
    evtxexport -f xml "$f" > /dev/null 2>&1 && echo "$f"
done > "$work/readable"
python3 bench/evtx/make_large.py "@$work/readable" "$work/large.evtx" "$large_mb"

# Runs evtxexport -f xml over every .evtx file under a path, one file at a time,
# and prints the records it wrote and the seconds it took.
evtxexport_time() {
    find "$1" -name '*.evtx' | sort > "$work/files"
    start=$(date +%s.%N)
    records=0
    while IFS= read -r f; do
        n=$(evtxexport -f xml "$f" 2>/dev/null | grep -c '^<Event' || true)
        records=$((records + n))
    done < "$work/files"
    end=$(date +%s.%N)
    bytes=$(xargs -d '\n' cat < "$work/files" | wc -c)
    echo "$records $end $start $bytes" | awk '{s = $2 - $3; printf "evtxexport files=%s bytes=%s records=%d seconds=%.3f records_per_s=%.0f mb_per_s=%.1f\n", "-", $4, $1, s, $1 / s, $4 / 1e6 / s}'
}

cores=$(nproc)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
for target in "$samples" "$work/large.evtx"; do
    echo "== $target"
    "$work/evtx_bench" 1 5 "$target"
    "$work/evtx_bench" "$cores" 5 "$target"
    # End to end: the file loaded into tables and queried by the CLI, on every core.
    /usr/bin/time -f "kqlite query (load + count, all cores): %e s" "$build/kqlite" query -q "WindowsEvent | count" "$target" > /dev/null
    evtxexport_time "$target"
done
