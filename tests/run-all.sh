#!/bin/sh
# Runs every test layer against a build folder: unit tests (cmocka), golden and
# end-to-end cases, and the checks over ../shared when that folder exists.
# Prints one closing line "tests: N passed, N failed" and exits non-zero on any failure.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
kqlite="$root/$build/kqlite"
passed=0
failed=0

record() {
    # record NAME STATUS: counts one test layer
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS $1"
    else
        failed=$((failed + 1))
        echo "FAIL $1 (exit status $2)"
    fi
}

for test in "$build"/test_*; do
    [ -x "$test" ] || continue
    "$test"
    record "unit $(basename "$test")" $?
done

"$kqlite" functions --markdown | cmp -s - docs/kql-support.md
record "docs/kql-support.md matches the registry (regenerate: kqlite functions --markdown)" $?

python3 tests/run_cases.py "$kqlite"
record "golden and end-to-end cases" $?

python3 tests/run_cli.py "$kqlite"
record "command-line forms and exit statuses (tests/run_cli.py)" $?

python3 tests/run_tuning.py "$kqlite"
record "exclusions, scheduled alerts and watch (tests/run_tuning.py)" $?

python3 tests/run_pushdown.py "$kqlite" "$root/../shared"
record "loading only the columns and rows queries read changes no result (tests/run_pushdown.py)" $?

python3 tests/run_store.py "$kqlite" "$root/../shared"
record "reading tables from a store changes no result; damaged stores fail cleanly (tests/run_store.py)" $?
python3 tests/run_threads.py "$kqlite" "$root/../shared"
record "loading and filtering on 1, 2 and 3 threads give the same results (tests/run_threads.py)" $?

# The golden cases again with three threads, and CSV files cut into pieces of a few
# dozen bytes so that the pieces split records and quoted fields.
KQLITE_THREADS=3 KQLITE_CSV_CHUNK_BYTES=37 python3 tests/run_cases.py "$kqlite" >/dev/null
record "golden and end-to-end cases on three threads" $?

python3 tests/run_hostile.py "$kqlite"
record "hostile input: no crash, bounded memory, every record accounted for (tests/run_hostile.py)" $?

python3 tests/run_h3.py "$kqlite"
record "H3 cells, boundaries, rings and covers match h3-js (tests/run_h3.py)" $?

if [ -d "$root/../shared" ]; then
    python3 tests/run_shared.py "$kqlite" "$root/../shared"
    record "checks over ../shared" $?
    python3 tests/run_conformance.py "$kqlite" "$root/../shared/conformance"
    record "Kusto docs conformance pairs (known failures listed)" $?
    python3 tests/run_kqlcheck.py "$kqlite" "$root/../shared"
    record "agreement with the Kusto language service (known differences listed)" $?
else
    echo "SKIP checks over ../shared (folder not present)"
fi

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
