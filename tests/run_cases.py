#!/usr/bin/env python3
"""Run the golden query cases and the end-to-end hunt cases against a kqlite binary.

Usage: tests/run_cases.py KQLITE

A result case is a folder with query.kql, an optional now.txt, its data (an
input/ folder, a data.txt list of repository paths, or *.csv files beside the
query) and expected.jsonl. An error case has expected.err instead: the exact
diagnostic text kqlite must print on stderr. Prints one line per case and a
closing "N passed, N failed" line; exits 1 when any case failed.
"""
import json
import math
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def data_arguments(case):
    args = []
    if (case / "input").is_dir():
        args.append(str(case / "input"))
    if (case / "data.txt").exists():
        for line in (case / "data.txt").read_text().splitlines():
            if line.strip():
                args.append(str(ROOT / line.strip()))
    for path in sorted(case.glob("*.csv")) + sorted(case.glob("*.json")):
        args.append(str(path))
    return args


def run(kqlite, case):
    command = [kqlite, "query", "--quiet", "--format", "jsonl", (case / "query.kql").read_text()]
    if (case / "now.txt").exists():
        command += ["--now", (case / "now.txt").read_text().strip()]
    command += data_arguments(case)
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def values_equal(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    return a == b and type(a) == type(b)


def rows_equal(actual, expected):
    """Rows compare with their column order; floats with a relative tolerance."""
    return list(actual.keys()) == list(expected.keys()) and values_equal(actual, expected)


def check_result(case, proc, ordered):
    if proc.returncode != 0:
        return f"exit status {proc.returncode}: {proc.stderr.strip()}"
    actual = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    expected = [json.loads(line) for line in (case / "expected.jsonl").read_text().splitlines() if line.strip()]
    if len(actual) != len(expected):
        return f"expected {len(expected)} rows, got {len(actual)}:\n  " + "\n  ".join(proc.stdout.splitlines()[:10])
    if ordered:
        for i, (a, e) in enumerate(zip(actual, expected)):
            if not rows_equal(a, e):
                return f"row {i + 1} differs:\n  expected {json.dumps(e)}\n  actual   {json.dumps(a)}"
        return None
    remaining = list(actual)
    for e in expected:
        match = next((a for a in remaining if rows_equal(a, e)), None)
        if match is None:
            return f"expected row not found: {json.dumps(e)}\n  actual rows:\n  " + "\n  ".join(json.dumps(a) for a in actual)
        remaining.remove(match)
    return None


def check_error(case, proc):
    expected = (case / "expected.err").read_text()
    if proc.returncode != 3:
        return f"expected exit status 3, got {proc.returncode}"
    lines = [l for l in proc.stderr.splitlines(keepends=True) if not l.startswith("kqlite: the query has")]
    actual = "".join(lines)
    if actual != expected:
        return f"diagnostic differs:\n--- expected\n{expected}--- actual\n{actual}"
    return None


def main():
    kqlite = sys.argv[1]
    cases = []
    for suite, ordered in (("golden", True), ("e2e", False)):
        for case in sorted((ROOT / "tests" / suite).rglob("query.kql")):
            cases.append((suite, case.parent, ordered))
    passed = failed = 0
    for suite, case, ordered in cases:
        proc = run(kqlite, case)
        if (case / "expected.err").exists():
            problem = check_error(case, proc)
        else:
            problem = check_result(case, proc, ordered)
        name = f"{suite}/{case.relative_to(ROOT / 'tests' / suite)}"
        if problem:
            failed += 1
            print(f"FAIL {name}: {problem}")
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"cases: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
