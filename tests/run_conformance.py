#!/usr/bin/env python3
"""Run the query/expected-output pairs taken from the official Kusto docs.

Usage: tests/run_conformance.py KQLITE CONFORMANCE_DIR [--list-failures | --prune]

Each NAME.kql runs through `kqlite query --format jsonl`; NAME.expected is the doc's
output table as CSV. Values compare by meaning, not text (the doc tables are formatted
for reading): rows as a multiset unless the query sorts, datetimes as instants,
reals numerically, bools also as the 1 and 0 that Kusto documents as their
encoding, dynamic values structurally with make_set/make_bag contents as sets, and
an empty cell matches null or "". Pairs listed in
tests/conformance-known-failures.txt are expected to fail (each with its reason);
the run fails when a listed pair passes (remove it) or an unlisted pair fails.
"""
import csv
import datetime
import io
import json
import math
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
KNOWN = ROOT / "tests" / "conformance-known-failures.txt"


def parse_datetime(text):
    text = text.strip()
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$", text)
    if not m:
        return None
    y, mo, d, h, mi, s, frac, zone = m.groups()
    try:
        base = datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    except ValueError:
        return None
    ticks = (base - datetime.datetime(1, 1, 1)) // datetime.timedelta(microseconds=1) * 10
    if frac:
        ticks += int((frac + "0000000")[:7])
    if zone and zone != "Z":
        sign = -1 if zone[0] == "+" else 1
        hh, mm = int(zone[1:3]), int(zone[-2:])
        ticks += sign * (hh * 3600 + mm * 60) * 10_000_000
    return ticks


def parse_timespan(text):
    m = re.match(r"^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$", text.strip())
    if not m:
        return None
    neg, days, h, mi, s, frac = m.groups()
    ticks = ((int(days or 0) * 24 + int(h)) * 3600 + int(mi) * 60 + int(s)) * 10_000_000
    if frac:
        ticks += int((frac + "0000000")[:7])
    return -ticks if neg else ticks


def as_json(text):
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return None


def same_structure(a, b, as_set):
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        if as_set:
            remaining = list(b)
            for x in a:
                hit = next((i for i, y in enumerate(remaining) if same_structure(x, y, as_set)), None)
                if hit is None:
                    return False
                remaining.pop(hit)
            return True
        return all(same_structure(x, y, as_set) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_structure(a[k], b[k], as_set) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(a, str) and isinstance(b, str):
        ta, tb = parse_datetime(a), parse_datetime(b)
        if ta is not None and tb is not None:
            return ta == tb
    return a == b


def clean_cell(text):
    """Undoes the docs' table formatting: <br> line breaks, (null), the infinity sign,
    the angle brackets of a Markdown autolink (<https://...>) and a Markdown link
    whose text is its own address ([https://...](https://...))."""
    text = text.replace("<br>", " ").strip()
    if text in ("(null)", "null"):
        return ""
    if re.match(r"^<[a-z][a-z0-9+.-]*://[^<>\s]*>$", text):
        text = text[1:-1]
    link = re.match(r"^\[([a-z][a-z0-9+.-]*://[^\s\]]*)\]\(([^\s)]*)\)$", text)
    if link and link.group(1) == link.group(2):
        text = link.group(1)
    return text.replace("∞", "Infinity")


def same_words(actual, expected):
    """A Markdown table cell cannot show leading or trailing white space, line breaks
    or runs of spaces, so strings also match when their words and single spaces do."""
    return " ".join(actual.split()) == " ".join(expected.split())


def loose_text(value):
    """A JSON value or a doc cell reduced to its characters without quotes and spaces,
    for doc cells that print arrays and bags without JSON quoting ([yes, no])."""
    if not isinstance(value, str):
        value = json.dumps(value, separators=(",", ":"))
    return re.sub(r"[\s\"']", "", value).lower()


def cell_matches(actual, expected, as_set):
    """actual: JSON value from kqlite; expected: the doc's cell text."""
    expected = clean_cell(expected)
    if expected == "" and (actual is None or actual == ""):
        return True
    if isinstance(actual, (list, dict)) and loose_text(actual) == loose_text(expected):
        return True
    if isinstance(actual, (list, dict)):
        for variant in (expected, expected.replace("'", '"')):
            parsed = as_json(variant)
            if parsed is not None and same_structure(actual, parsed, as_set):
                return True
    if actual is None:
        return expected.lower() in ("", "null")
    if isinstance(actual, bool):
        # Kusto documents bool as internally encoded 1 and 0 (scalar-data-types/bool.md),
        # and some doc tables print that encoding.
        return expected.lower() in ((str(actual).lower(), "1") if actual else (str(actual).lower(), "0"))
    if isinstance(actual, (int, float)):
        try:
            value = float(expected.replace(",", ""))
        except ValueError:
            return expected in ("NaN", "Infinity", "-Infinity") and str(actual) == expected
        return math.isclose(actual, value, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(actual, str):
        if actual == expected:
            return True
        da, de = parse_datetime(actual), parse_datetime(expected)
        if da is not None and de is not None:
            return da == de
        sa, se = parse_timespan(actual), parse_timespan(expected)
        if sa is not None and se is not None:
            return sa == se
        if actual in ("NaN", "Infinity", "-Infinity"):
            return expected == actual
        return same_words(actual, expected)
    parsed = as_json(expected)
    if parsed is None:
        return False
    return same_structure(actual, parsed, as_set)


def compare(query, rows, header, expected_rows):
    sorted_query = re.search(r"\b(sort|order)\s+by\b|\btop\b(?!-)", query) is not None
    set_columns = set()
    for name in header:
        if re.search(r"make_set|make_bag|set_", name):
            set_columns.add(name)
    if rows and list(rows[0].keys()) != header:
        return f"columns {list(rows[0].keys())} != {header}"
    if len(rows) != len(expected_rows):
        return f"{len(rows)} rows, expected {len(expected_rows)}"

    def row_matches(actual, expected):
        return all(cell_matches(actual.get(h), e, h in set_columns or "set" in h.lower() or "bag" in h.lower())
                   for h, e in zip(header, expected))

    if sorted_query:
        for i, (a, e) in enumerate(zip(rows, expected_rows)):
            if not row_matches(a, e):
                return f"row {i + 1}: got {json.dumps(a)}, expected {e}"
        return None
    remaining = list(rows)
    for e in expected_rows:
        hit = next((i for i, a in enumerate(remaining) if row_matches(a, e)), None)
        if hit is None:
            return f"expected row {e} not found"
        remaining.pop(hit)
    return None


def run_pair(kqlite, kql):
    query = kql.read_text()
    expected_text = kql.with_suffix(".expected").read_text()
    table = list(csv.reader(io.StringIO(expected_text)))
    header, expected_rows = table[0], [r for r in table[1:] if r]
    try:
        proc = subprocess.run([kqlite, "query", "--quiet", "--format", "jsonl", "--now", "2026-01-01T00:00:00Z",
                               "--query-file", str(kql)], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "timed out after 30 s"
    if proc.returncode != 0:
        first = next((l for l in proc.stderr.splitlines() if "error" in l), proc.stderr.strip()[:200])
        return f"error: {first.split(': ', 2)[-1] if ': ' in first else first}"
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return compare(query, rows, header, expected_rows)


def prune_known(still_failing):
    """Rewrites the known list without the entries that no longer fail (--prune)."""
    kept = []
    for line in KNOWN.read_text().splitlines():
        key = line.partition("\t")[0].strip()
        if line.startswith("#") or not line.strip() or key in still_failing:
            kept.append(line)
    KNOWN.write_text("\n".join(kept) + "\n")


def main():
    kqlite, folder = sys.argv[1], pathlib.Path(sys.argv[2]) / "docs"
    listing = "--list-failures" in sys.argv
    known = {}
    if KNOWN.exists():
        for line in KNOWN.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, reason = line.partition("\t")
                known[name.strip()] = reason.strip()
    passed = failed = 0
    problems = []
    failing = set()
    for kql in sorted(folder.glob("*.kql")):
        problem = run_pair(kqlite, kql)
        name = kql.stem
        if problem:
            failing.add(name)
        if listing:
            if problem:
                print(f"{name}\t{problem}")
            continue
        if problem and name not in known:
            failed += 1
            problems.append(f"FAIL {name}: {problem}")
        elif not problem and name in known:
            failed += 1
            problems.append(f"FAIL {name}: passes now; remove it from {KNOWN.name}")
        else:
            passed += 1
    if listing:
        return 0
    if "--prune" in sys.argv:
        prune_known(failing)
        print(f"pruned {KNOWN.name}")
        return 0
    for p in problems:
        print(p)
    total = len(list(folder.glob("*.kql")))
    print(f"conformance: {total - len(known)} of {total} pairs pass ({len(known)} known failures listed)")
    print(f"conformance checks: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
