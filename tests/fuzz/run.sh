#!/bin/sh
# Runs every fuzz target in a build folder for a bounded time each.
# Usage: tests/fuzz/run.sh BUILD SECONDS
#        tests/fuzz/run.sh BUILD --runs N   (fixed seed and input count: repeatable)
# Seeds come from the project's fixtures. A timed run keeps each target's corpus in
# tests/fuzz/corpus/NAME (not committed). A --runs run starts from the seeds alone, in a
# scratch folder, with random seed 1. The same tree then always tries the same inputs,
# which make check needs. A crash stops the run with exit 1 and leaves the input as
# crash-* in the current folder.
set -u
build=$1
seconds=$2
runs=""
if [ "$seconds" = "--runs" ]; then
    runs=$3
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
status=0
passed=0
failed=0
for target in "$build"/fuzz_*; do
    [ -x "$target" ] || continue
    name=$(basename "$target")
    if [ -n "$runs" ]; then
        corpus=$(mktemp -d)
        budget="-runs=$runs -seed=1"
    else
        corpus="$root/tests/fuzz/corpus/$name"
        mkdir -p "$corpus"
        budget="-max_total_time=$seconds"
    fi
    case "$name" in
        fuzz_kql) seeds="$root/tests/golden $root/tests/e2e" ;;
        fuzz_csv) seeds="$root/tests/fixtures/sources $root/examples" ;;
        fuzz_json) seeds="$root/tests/fixtures/sources $root/examples" ;;
        fuzz_rules_yaml) seeds="$root/tests/fixtures/rules $root/rules/rmm" ;;
        fuzz_store) seeds="$root/tests/fuzz/store-seeds" ;;
        fuzz_evtx) seeds="" ; [ -d "$root/../shared/data/sigma-regression" ] && seeds="$root/../shared/data/sigma-regression" ;;
        *) seeds="" ;;
    esac
    dict=""
    [ -f "$root/tests/fuzz/$name.dict" ] && dict="-dict=$root/tests/fuzz/$name.dict"
    if [ -n "$runs" ]; then
        echo "fuzz: $name for $runs inputs (seed 1)"
    else
        echo "fuzz: $name for ${seconds}s"
    fi
    log=$(mktemp)
    # shellcheck disable=SC2086
    "$target" $budget -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        $dict "$corpus" $seeds >"$log" 2>&1
    result=$?
    [ -n "$runs" ] && rm -rf "$corpus"
    tail -12 "$log"
    rm -f "$log"
    if [ "$result" -ne 0 ]; then
        echo "fuzz: $name found a failure (exit status $result)"
        status=1
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
exit $status
