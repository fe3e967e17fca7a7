#!/bin/sh
# Runs every fuzz target in a build folder for a bounded time each.
# Usage: tests/fuzz/run.sh BUILD SECONDS
# Seeds come from the project's fixtures; each target keeps its corpus in
# tests/fuzz/corpus/NAME (not committed). A crash stops the run with exit 1
# and leaves the input as crash-* in the current folder.
set -u
build=$1
seconds=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
status=0
passed=0
failed=0
for target in "$build"/fuzz_*; do
    [ -x "$target" ] || continue
    name=$(basename "$target")
    corpus="$root/tests/fuzz/corpus/$name"
    mkdir -p "$corpus"
    case "$name" in
        fuzz_kql) seeds="$root/tests/golden $root/tests/e2e" ;;
        fuzz_csv) seeds="$root/tests/fixtures/sources $root/examples" ;;
        fuzz_json) seeds="$root/tests/fixtures/sources $root/examples" ;;
        fuzz_rules_yaml) seeds="$root/tests/fixtures/rules $root/rules/rmm" ;;
        fuzz_evtx) seeds="" ; [ -d "$root/../shared/data/sigma-regression" ] && seeds="$root/../shared/data/sigma-regression" ;;
        *) seeds="" ;;
    esac
    dict=""
    [ -f "$root/tests/fuzz/$name.dict" ] && dict="-dict=$root/tests/fuzz/$name.dict"
    echo "fuzz: $name for ${seconds}s"
    log=$(mktemp)
    # shellcheck disable=SC2086
    "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        $dict "$corpus" $seeds >"$log" 2>&1
    result=$?
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
