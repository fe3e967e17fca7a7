#!/usr/bin/env python3
"""Check that the shortcuts of loading and filtering change no result.

Usage: tests/run_pushdown.py KQLITE [SHARED_DIR]

kqlite compiles the queries before loading and skips the cells of columns
they never read, and a where clause skips whole batches whose terms or time
range rule them out. Each query here runs over two data sets: the bundled
examples, whose Defender export has six columns outside the built-in schema,
and a larger copy of that export made of 120 copies an hour apart, so rows
span several batches and time windows cut through them. Each runs three
ways: as is, with --all-columns, and with KQLITE_EVAL_EVERY_ROW=1 (every row
evaluated), and with KQLITE_SIEVE_NO_PROBE=1 (the load sieve takes the
tables of where clauses' subqueries as empty, and loads again when one is
not). The outputs must be identical. The larger set streams its batches, so
the load sieve drops rows no query reads (--all-columns turns it off). The queries cover every operator that passes
columns through (extend, project-away, project-rename, join, union,
arg_max(*), distinct *, pack_all). With SHARED_DIR, the Defender hunting
corpus runs the same way, except queries that call rand() or new_guid().
"""
import csv
import datetime
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = [str(ROOT / "examples")]
NOW = "2026-12-01T00:00:00Z"

QUERIES = [
    "DeviceProcessEvents | count",
    "DeviceProcessEvents | take 3",
    "DeviceProcessEvents | where FileName =~ 'AA_v3.exe' | project Timestamp, DeviceName",
    "DeviceProcessEvents | extend x = strlen(FileName) | take 5",
    "DeviceProcessEvents | project-away FileName, FolderPath | take 5",
    "DeviceProcessEvents | project-rename Name = FileName | take 5",
    "DeviceProcessEvents | project-reorder FileName | take 5",
    "DeviceProcessEvents | summarize arg_max(Timestamp, *) by DeviceId",
    "DeviceProcessEvents | summarize arg_min(Timestamp, FileName) by DeviceName",
    "DeviceProcessEvents | distinct * | count",
    "DeviceProcessEvents | extend bag = pack_all() | project bag | take 3",
    "DeviceProcessEvents | summarize make_bag(pack_all()) by DeviceId | take 2",
    "DeviceProcessEvents | join kind=inner (DeviceNetworkEvents | project DeviceId, RemoteIP) on DeviceId | take 5",
    "DeviceProcessEvents | join kind=leftanti (DeviceNetworkEvents) on DeviceId | take 5",
    "DeviceProcessEvents | lookup (DeviceNetworkEvents | summarize n = count() by DeviceId) on DeviceId | take 5",
    "union DeviceProcessEvents, DeviceNetworkEvents | take 5",
    "union withsource = T Device* | summarize count() by T",
    "DeviceProcessEvents | top 3 by Timestamp desc",
    "DeviceProcessEvents | sort by Timestamp asc | take 2",
    "DeviceProcessEvents | where TimeGenerated > ago(10000d) | summarize count() by bin(Timestamp, 1d)",
    "DeviceProcessEvents | summarize min(TimeGenerated), max(Timestamp)",
    "DeviceProcessEvents | mv-expand x = pack_array(FileName, FolderPath) | take 4",
    "DeviceProcessEvents | parse ProcessCommandLine with * '-' rest | take 4",
    "DeviceProcessEvents | where DeviceId in ((DeviceNetworkEvents | project DeviceId)) | count",
    "let ids = toscalar(DeviceNetworkEvents | summarize make_set(DeviceId)); DeviceProcessEvents | where DeviceId in (ids) | take 3",
    "DeviceProcessEvents | where * has 'ammyy' | take 3",
    "DeviceProcessEvents | project ProcessUniqueId, InitiatingProcessSessionId | take 3",
    "DeviceProcessEvents | top-nested 2 of DeviceName by count()",
    "DeviceProcessEvents | make-series n = count() on Timestamp step 1h by DeviceName | take 2",
    # The load sieve. Tables read other than through where clauses stay whole, the rows
    # kept keep their order, and subqueries of other tables run once those are known empty.
    "DeviceProcessEvents | where FileName has 'exe' | take 7",
    "DeviceProcessEvents | where Timestamp > ago(30h) | where FileName !has 'svchost' | count",
    "DeviceProcessEvents | where FileName =~ 'AA_v3.exe' | join kind=inner (DeviceProcessEvents | summarize n = count() by DeviceId) on DeviceId | take 3",
    "union (DeviceProcessEvents | where FileName =~ 'AA_v3.exe'), (DeviceProcessEvents | where Timestamp < ago(100h)) | count",
    "DeviceProcessEvents | where DeviceId in ((DeviceProcessEvents | where FileName =~ 'AA_v3.exe' | project DeviceId)) | count",
    "DeviceProcessEvents | where FileName has 'exe' and DeviceId in ((DeviceNetworkEvents | where RemotePort == 443 | project DeviceId)) | count",
    "DeviceProcessEvents | where Timestamp > toscalar(DeviceNetworkEvents | summarize max(Timestamp)) - 2h | count",
    "DeviceProcessEvents | where rand() < 2 and FileName has 'exe' | count",
    "DeviceProcessEvents | serialize | where row_number() > 3 | take 2",
    "DeviceProcessEvents | where FileName has 'exe' | mv-apply x = pack_array(1, 2) to typeof(long) on (summarize s = sum(x)) | take 2",
    # A table only the data defines: union isfuzzy=true leaves it out when compiling before
    # the load, so the sieve must not evaluate the subquery over empty tables.
    "DeviceProcessEvents | where DeviceName in ((union isfuzzy=true DeviceLogonEvents, CustomHosts | project DeviceName)) | count",
    "DeviceProcessEvents | where column_ifexists('ProcessUniqueId', long(0)) > 5 | count",
    # Functions of one dictionary coded store column run once per distinct value (exec/eval.c).
    "DeviceProcessEvents | extend a = tolower(DeviceName), b = strcat(FileName, '|', 'x'), c = strlen(AccountName) "
    "| project a, b, c, FileName | take 40",
    "DeviceProcessEvents | where FileName in~ ('AA_V3.EXE', 'cmd.exe', 'nope') or AccountName !in ('x') | count",
    "DeviceProcessEvents | where ProcessVersionInfoCompanyName has_any ('ammyy', 'microsoft') | summarize count() by "
    "ProcessVersionInfoCompanyName",
    "DeviceProcessEvents | summarize n = countif(FolderPath startswith 'C:' and FileName !has 'exe') by DeviceName",
    "DeviceProcessEvents | extend t = trim(FileName, 'x') | take 3",
    "DeviceProcessEvents | where DeviceName == prev(DeviceName) | count",
    "DeviceProcessEvents | extend k = extract('([a-z]+)[.]exe', 1, FileName), f = FileName matches regex '^[A-Z]' "
    "| summarize count() by k, f",
]


PORTAL_FORMAT = "%b %d, %Y %I:%M:%S %p"


def portal_time(moment):
    """Writes a datetime as the portal does: 'Dec 1, 2026 12:03:10 AM' (no leading zeros)."""
    text = moment.strftime(PORTAL_FORMAT)
    month, day, rest = text.split(" ", 2)
    year, clock, half = rest.split(" ")
    return f"{month} {int(day.rstrip(','))}, {year} {int(clock.split(':')[0])}:{clock.split(':', 1)[1]} {half}"


def read_example_export():
    """Returns (header, rows) of the bundled example process export."""
    source = ROOT / "examples" / "defender-export" / "DeviceProcessEvents.csv"
    with open(source, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_large_export(folder):
    """Writes 120 copies of the example process export, each an hour older, newest first,
    beside the example network export and a table of one host only the data defines."""
    shutil.copy(ROOT / "examples" / "defender-export" / "DeviceNetworkEvents.csv", folder / "DeviceNetworkEvents.csv")
    (folder / "CustomHosts.csv").write_text("DeviceName\nfin-wks-014.corp.tailspintoys.com\n", encoding="utf-8")
    header, body = read_example_export()
    stamp = header.index("Timestamp")
    with open(folder / "DeviceProcessEvents.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        for hours in range(120):
            for row in body:
                copy = list(row)
                moment = datetime.datetime.strptime(row[stamp], PORTAL_FORMAT) - datetime.timedelta(hours=hours)
                copy[stamp] = portal_time(moment)
                out.writerow(copy)


# Tables stream whole batches of 2,048 rows while loading, so the load sieve runs on
# the larger data set, and CSV files are cut into small pieces sealed on threads.
SMALL_LOADS = {"KQLITE_STREAM_ROWS": "2048", "KQLITE_CSV_CHUNK_BYTES": "65536"}


def run(kqlite, args, data, extra_env=None, command="query"):
    env = dict(os.environ)
    env.update(SMALL_LOADS)
    env.update(extra_env or {})
    proc = subprocess.run([kqlite, command, "-q", "--now", NOW, "--format", "jsonl"] + args + data,
                          capture_output=True, text=True, env=env)
    return proc.returncode, proc.stdout


def compare(kqlite, name, args, data, command="query"):
    """Runs one case the four ways; returns (changed, has_rows)."""
    plain = run(kqlite, args, data, command=command)
    others = [
        ("every column loaded (no sieve)", run(kqlite, ["--all-columns"] + args, data, command=command)),
        ("every row evaluated", run(kqlite, args, data, {"KQLITE_EVAL_EVERY_ROW": "1"}, command=command)),
        ("subqueries' tables taken as empty, then checked",
         run(kqlite, args, data, {"KQLITE_SIEVE_NO_PROBE": "1"}, command=command)),
    ]
    for variant, other in others:
        if other != plain:
            print(f"FAIL {name} over {' '.join(data)}: the result changes with {variant} "
                  f"(exit {plain[0]} vs {other[0]})")
            return True, False
    return False, plain[0] == 0 and bool(plain[1].strip())


SIEVE_LINE = re.compile(r"sieve kept (\d+) of (\d+) rows")


def sieve_engaged(kqlite, data):
    """Returns a failure message unless the pack's hunt sieved rows out while loading data."""
    env = dict(os.environ)
    env.update(SMALL_LOADS)
    proc = subprocess.run([kqlite, "hunt", "-q", "--timer", "--now", NOW, "--format", "jsonl"] + data,
                          capture_output=True, text=True, env=env)
    found = SIEVE_LINE.search(proc.stderr)
    if not found:
        return "the load sieve did not run for the bundled pack"
    kept, seen = int(found.group(1)), int(found.group(2))
    if seen == 0 or kept >= seen:
        return f"the load sieve kept {kept} of {seen} rows for the bundled pack"
    return None


# Under AddressSanitizer a run takes several times longer. That pass looks for memory
# errors, which the normal pass's full comparison does not, so it runs every
# SANITIZER_STRIDE-th corpus query: the layers that read the corpus stay within CI's time.
SANITIZER_STRIDE = 4


def is_sanitizer_build(kqlite):
    with open(kqlite, "rb") as binary:
        return b"__asan_init" in binary.read()


def corpus_cases(shared, kqlite):
    """Returns ([(name, args)], queries left out for random values) for the Defender hunting corpus."""
    cases, random = [], 0
    folder = shared / "rules" / "m365d-hunting" if shared else None
    if not folder or not folder.is_dir():
        return cases, random
    for path in sorted(folder.glob("*.kql")):
        # rand() and new_guid() give other values on every run, so their output
        # cannot be compared between runs.
        if re.search(r"\b(rand|new_guid)\s*\(", path.read_text(encoding="utf-8")):
            random += 1
            continue
        cases.append((path.name, ["--query-file", str(path)]))
    if is_sanitizer_build(kqlite):
        print(f"note: sanitizer build; every {SANITIZER_STRIDE}th of the {len(cases)} corpus queries runs")
        cases = cases[::SANITIZER_STRIDE]
    return cases, random


def main():
    kqlite = sys.argv[1]
    shared = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
    corpus, random = corpus_cases(shared, kqlite)
    cases = [(q, [q]) for q in QUERIES] + corpus
    failed = answered = 0
    with tempfile.TemporaryDirectory() as folder:
        write_large_export(pathlib.Path(folder))
        for data in (DATA, [folder]):
            for name, args in cases:
                changed, rows = compare(kqlite, name, args, data)
                failed += changed
                answered += rows
            # The bundled rule pack through hunt, which plans the columns of every rule at once.
            changed, rows = compare(kqlite, "hunt with the bundled pack", [], data, command="hunt")
            if not changed and not rows:
                print(f"FAIL hunt with the bundled pack over {' '.join(data)}: no hits to compare")
            failed += changed or not rows
        problem = sieve_engaged(kqlite, [folder])
        if problem:
            print(f"FAIL {problem}")
            failed += 1
    print(f"column and batch skipping: {len(cases)} queries and the bundled pack over two data sets, "
          f"{answered} runs with rows, {failed} results changed ({random} queries with random values left out)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
