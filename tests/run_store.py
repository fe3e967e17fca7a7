#!/usr/bin/env python3
"""Check that reading tables from a store gives the results of reading the files.

Usage: tests/run_store.py KQLITE [SHARED_DIR]

Each data set is ingested into a fresh store (kqlite ingest DATA -o STORE), and
every query then runs over the files and with --store STORE; the outputs must be
identical, also with KQLITE_EVAL_EVERY_ROW=1 (no batch skipped from its term
filter or time range). The queries are those of tests/run_pushdown.py, the
golden and end-to-end cases that read data files, the bundled rule pack through hunt, and with
SHARED_DIR the Defender hunting corpus. Two data sets are used: the bundled
examples and a 120-hour copy of their process export that spans many blocks,
ingested whole and in parts of 1,000 rows (--flush-rows).

It also checks appending (a store built by two ingests answers like one built
by one), that ingesting a file again adds no rows, and that damaged stores
(truncated, flipped bytes, wrong version, missing segment) fail with an error
naming the file instead of crashing, and that misuse (--store with DATA, a
folder that is not a store, a store another ingest holds) fails with a message.
"""
import fcntl
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import run_cases  # noqa: E402
import run_pushdown  # noqa: E402

ROOT = run_pushdown.ROOT
NOW = run_pushdown.NOW


def kq(kqlite, args, every_row=False):
    env = dict(os.environ)
    if every_row:
        env["KQLITE_EVAL_EVERY_ROW"] = "1"
    return subprocess.run([kqlite] + args, capture_output=True, text=True, env=env)


def ingest(kqlite, data, store, options=()):
    proc = kq(kqlite, ["ingest", "-q"] + list(options) + data + ["-o", store])
    if proc.returncode != 0:
        raise RuntimeError(f"kqlite ingest {' '.join(data)} failed: {proc.stderr.strip()}")


def same_result(kqlite, name, command, args, data, store):
    """Runs a query or hunt over the files and over the store; prints a failure and returns 1, else 0."""
    base = [command, "-q", "--now", NOW, "--format", "jsonl"] + args
    files = kq(kqlite, base + data)
    for every_row in (False, True):
        stored = kq(kqlite, base + ["--store", store], every_row=every_row)
        if (files.returncode, files.stdout) != (stored.returncode, stored.stdout):
            how = " with every row evaluated" if every_row else ""
            print(f"FAIL {name} over {' '.join(data)}: --store{how} differs (exit {files.returncode} vs "
                  f"{stored.returncode}) {stored.stderr.strip()[:300]}")
            return 1
    return 0


def golden_cases():
    """Golden result cases with data files: (name, query arguments, data arguments)."""
    cases = []
    queries = sorted((ROOT / "tests" / "golden").rglob("query.kql")) + sorted((ROOT / "tests" / "e2e").rglob("query.kql"))
    for query in queries:
        case = query.parent
        if not (case / "expected.jsonl").exists():
            continue
        data = run_cases.data_arguments(case)
        if not data:
            continue
        args = [(case / "query.kql").read_text()]
        if (case / "now.txt").exists():
            args = ["--now", (case / "now.txt").read_text().strip()] + args
        cases.append((f"case {case.relative_to(ROOT / 'tests')}", args, data))
    return cases


def check_golden(kqlite, folder):
    failures = 0
    cases = golden_cases()
    for index, (name, args, data) in enumerate(cases):
        store = str(folder / f"golden-{index}")
        ingest(kqlite, data, store)
        failures += same_result(kqlite, name, "query", args, data, store)
    return len(cases), failures


def check_append(kqlite, folder):
    """Two ingests (the export, then every example) must answer like the files read in that order."""
    failures = 0
    store = str(folder / "append")
    examples = ROOT / "examples"
    # The second ingest skips the export and walks the rest in name order, so this is the store's row order.
    in_order = [str(examples / "defender-export")] + [
        str(p) for p in sorted(examples.iterdir()) if p.is_dir() and p.name != "defender-export"]
    ingest(kqlite, [str(ROOT / "examples" / "defender-export")], store)
    ingest(kqlite, [str(ROOT / "examples")], store)
    again = kq(kqlite, ["ingest", str(ROOT / "examples" / "defender-export"), "-o", store])
    if again.returncode != 0 or "already in the store" not in again.stderr or "0 rows added" not in again.stderr:
        print(f"FAIL ingesting the same files again: exit {again.returncode}, {again.stderr.strip()[:300]}")
        failures += 1
    for query in ("DeviceProcessEvents | count", "DeviceNetworkEvents | summarize count() by DeviceName"):
        failures += same_result(kqlite, f"appended store: {query}", "query", [query], in_order, store)
    failures += same_result(kqlite, "appended store: hunt", "hunt", [], in_order, store)
    listing = kq(kqlite, ["tables", "--store", store])
    if listing.returncode != 0 or "2 ingests" not in listing.stdout or "DeviceProcessEvents: 93 rows" not in listing.stdout:
        print(f"FAIL tables --store after two ingests: {listing.stdout.strip()[:300]}")
        failures += 1
    return failures


def check_old_version(kqlite, folder, version):
    """A store written by an older format version (tests/fixtures/store-vN, the export) still reads and takes appends."""
    failures = 0
    store = folder / f"version-{version}"
    shutil.copytree(ROOT / "tests" / "fixtures" / f"store-v{version}", store)
    export = [str(ROOT / "examples" / "defender-export")]
    listing = kq(kqlite, ["tables", "--store", str(store)])
    if listing.returncode != 0 or f"format version {version}," not in listing.stdout:
        print(f"FAIL tables --store on a version {version} store: {listing.stdout.strip()[:300]} "
              f"{listing.stderr.strip()[:300]}")
        failures += 1
    for query in ("DeviceProcessEvents | summarize count() by DeviceName, FileName",
                  "DeviceNetworkEvents | where RemoteUrl has 'ammyy' | project Timestamp, RemoteUrl"):
        failures += same_result(kqlite, f"version {version} store: {query}", "query", [query], export, str(store))
    examples = ROOT / "examples"
    in_order = export + [str(p) for p in sorted(examples.iterdir()) if p.is_dir() and p.name != "defender-export"]
    ingest(kqlite, [str(examples)], str(store))
    listing = kq(kqlite, ["tables", "--store", str(store)])
    if listing.returncode != 0 or "format version 3," not in listing.stdout or "2 ingests" not in listing.stdout:
        print(f"FAIL tables --store after appending to a version {version} store: {listing.stdout.strip()[:300]}")
        failures += 1
    failures += same_result(kqlite, f"version {version} store appended to: hunt", "hunt", [], in_order, str(store))
    failures += same_result(kqlite, f"version {version} store appended to: count", "query",
                            ["DeviceProcessEvents | summarize count() by DeviceName"], in_order, str(store))
    return failures


def damage(store, name, edit):
    path = store / name
    data = bytearray(path.read_bytes())
    path.write_bytes(bytes(edit(data)))


def flip(offset):
    def edit(data):
        data[offset % len(data)] ^= 0x40
        return data
    return edit


def flip_every(step):
    """Flips a bit in every step-th byte between the segment header and footer, so every chunk a query reads is damaged."""
    def edit(data):
        for offset in range(16, len(data) - 28, step):
            data[offset] ^= 0x40
        return data
    return edit


def fix_manifest_crc(data):
    """Rewrites a manifest's header CRC-32 to match its body, so a forged field passes the checksum."""
    return data[:20] + struct.pack("<I", zlib.crc32(data[24:])) + data[24:]


HOSTILE = [
    ("manifest truncated", "manifest.kqs", lambda d: d[: len(d) // 2], "truncated"),
    ("manifest header only", "manifest.kqs", lambda d: d[:24], "truncated"),
    ("manifest empty", "manifest.kqs", lambda d: b"", "not a kqlite store manifest"),
    ("manifest byte flipped", "manifest.kqs", flip(100), "CRC-32"),
    ("manifest wrong version", "manifest.kqs", lambda d: d[:8] + b"\x63\x00\x00\x00" + d[12:], "version 99"),

    # A manifest that names one segment more than the store has, with its CRC-32 fixed.
    ("manifest names a missing segment", "manifest.kqs", lambda d: fix_manifest_crc(
        d[:24] + struct.pack("<I", struct.unpack("<I", d[24:28])[0] + 1) + d[28:]), "cannot open"),

    ("segment truncated", "segment-000001.kqd", lambda d: d[: len(d) - 10], "truncated"),
    ("segment bytes flipped", "segment-000001.kqd", flip_every(13), "CRC-32"),
    ("segment header damaged", "segment-000001.kqd", lambda d: b"XXXXXXXX" + d[8:], "header"),
    # Version 3 segments end with their dictionaries, the dictionary index and a footer.
    ("segment footer damaged", "segment-000001.kqd", lambda d: d[:-8] + b"XXXXXXXX", "dictionary footer"),
]


def check_hostile(kqlite, folder):
    """A damaged store must fail with exit status 3 and an error naming the damage, never crash."""
    failures = 0
    pristine = folder / "pristine"
    ingest(kqlite, [str(ROOT / "examples")], str(pristine))
    query = ["query", "-q", "--format", "jsonl", "DeviceProcessEvents | where ProcessCommandLine has 'x' | count"]
    cases = HOSTILE + [("segment missing", "segment-000001.kqd", None, "cannot open")]
    for name, file, edit, expected in cases:
        store = folder / ("hostile-" + re.sub(r"\W+", "-", name))
        shutil.copytree(pristine, store)
        if edit is None:
            (store / file).unlink()
        else:
            damage(store, file, edit)
        for args in (query + ["--store", str(store)], ["tables", "--store", str(store)],
                     ["ingest", "-q", str(ROOT / "examples" / "sysmon"), "-o", str(store)]):
            proc = kq(kqlite, args)
            if args[0] in ("tables", "ingest") and file != "manifest.kqs" and expected == "CRC-32":
                # Listing and appending check each segment's header, length and footer, not its chunks.
                ok = proc.returncode in (0, 3) and "Sanitizer" not in proc.stderr
            elif args[0] == "tables" and file != "manifest.kqs":
                # A damaged segment still gets the listing of the manifest, then the error.
                ok = (proc.returncode == 3 and expected in proc.stderr and "DeviceProcessEvents" in proc.stdout
                      and "Sanitizer" not in proc.stderr)
            else:
                ok = proc.returncode == 3 and expected in proc.stderr and "Sanitizer" not in proc.stderr
            if not ok:
                print(f"FAIL damaged store ({name}), kqlite {args[0]}: exit {proc.returncode}, "
                      f"stderr {proc.stderr.strip()[:300]!r}")
                failures += 1
    # A damaged dictionary index (the last byte before the footer) fails the first query that reads a
    # column coded against a segment dictionary.
    # The footer has no CRC-32, so an index offset past the end is checked on its own.
    past_end = lambda d: d[:-28] + struct.pack("<Q", len(d)) + d[-20:]  # noqa: E731
    for name, edit, expected in (("dictionary index", flip(-29), "CRC-32"),
                                 ("footer offset", past_end, "lies outside the file")):
        store = folder / ("hostile-" + name.replace(" ", "-"))
        shutil.copytree(pristine, store)
        damage(store, "segment-000001.kqd", edit)
        proc = kq(kqlite, ["query", "-q", "DeviceProcessEvents | summarize count() by DeviceName", "--store",
                           str(store)])
        if (proc.returncode != 3 or expected not in proc.stderr or "DeviceName" not in proc.stderr or
                "ingest the data again" not in proc.stderr):
            print(f"FAIL damaged {name}: exit {proc.returncode}, stderr {proc.stderr.strip()[:300]!r}")
            failures += 1
    not_store = kq(kqlite, query + ["--store", str(folder)])
    if not_store.returncode != 3 or "is not a kqlite store" not in not_store.stderr:
        print(f"FAIL --store on a folder without a manifest: {not_store.stderr.strip()[:200]}")
        failures += 1
    return len(cases) + 2, failures


def check_version_claims(kqlite, folder):
    """A version 2 store whose manifest or segment header claims version 1 must fail the queries that read it.

    The headers are outside the CRC-32s. A segment newer than its manifest is
    refused when the store opens. Version 1 never wrote dictionary coded
    chunks, so the first such chunk read from a version 1 segment fails.
    """
    failures = 0
    pristine = folder / "pristine-versions"
    ingest(kqlite, [str(ROOT / "examples")], str(pristine))
    query = ["query", "-q", "DeviceProcessEvents | summarize count() by DeviceName"]
    claim_one = lambda d: d[:8] + b"\x01\x00\x00\x00" + d[12:]  # noqa: E731
    for file, expected in (("manifest.kqs", "is not segment 1 of this version 1 store"),
                           ("segment-000001.kqd", "dictionary coded chunk in a version 1 segment")):
        store = folder / ("claims-version-1-" + file.replace(".", "-"))
        shutil.copytree(pristine, store)
        damage(store, file, claim_one)
        proc = kq(kqlite, query + ["--store", str(store)])
        if proc.returncode != 3 or expected not in proc.stderr or proc.stdout or "Sanitizer" in proc.stderr:
            print(f"FAIL {file} claiming version 1: exit {proc.returncode}, stderr {proc.stderr.strip()[:300]!r}")
            failures += 1
    return failures


def check_cli(kqlite, folder):
    """Misuse gets a message: --store with DATA (a usage error, exit status 2), and exit status 3 for a folder
    that is not a store or a locked store."""
    failures = 0
    store = folder / "cli"
    ingest(kqlite, [str(ROOT / "examples" / "sysmon")], str(store))
    other = folder / "not-a-store"
    other.mkdir()
    (other / "notes.txt").write_text("keep me\n")
    plain_file = folder / "plain-file"
    plain_file.write_text("x\n")
    sysmon = str(ROOT / "examples" / "sysmon")
    cases = [
        (["ingest", "-q", sysmon, "-o", str(other)], "other files"),
        (["ingest", "-q", sysmon, "-o", str(plain_file)], "not a folder"),
        (["query", "-q", "DeviceProcessEvents | count", "--store", str(plain_file)], "is a file, not a kqlite store"),
        (["query", "-q", "DeviceProcessEvents | count", "--store", str(other)], "is not a kqlite store"),
        (["hunt", "-q", "--format", "json", "--store", str(other)], "is not a kqlite store"),
    ]

    for args, expected in cases:
        proc = kq(kqlite, args)
        # A store that cannot be opened means no data: nothing may reach stdout as a result.
        if proc.returncode != 3 or expected not in proc.stderr or (args[0] != "ingest" and proc.stdout):
            print(f"FAIL kqlite {' '.join(args)}: exit {proc.returncode}, {proc.stderr.strip()[:200]!r}")
            failures += 1

    for args in (["query", "-q", "DeviceProcessEvents | count", "--store", str(store), sysmon],
                 ["hunt", "-q", "--store", str(store), sysmon], ["tables", "--store", str(store), sysmon]):
        proc = kq(kqlite, args)
        if proc.returncode != 2 or "either --store or DATA" not in proc.stderr or proc.stdout:
            print(f"FAIL kqlite {' '.join(args)}: exit {proc.returncode}, {proc.stderr.strip()[:200]!r}")
            failures += 1

    # A first ingest that fails leaves no store folder behind (only its lock file would be in it).
    fresh = folder / "never-written"
    proc = kq(kqlite, ["ingest", "-q", str(folder / "no-such-file.csv"), "-o", str(fresh)])
    if proc.returncode != 3 or fresh.exists():
        print(f"FAIL failed first ingest: exit {proc.returncode}, folder left: {fresh.exists()}")
        failures += 1

    if (other / "notes.txt").read_text() != "keep me\n":
        print("FAIL ingest into a folder that is not a store changed its files")
        failures += 1

    # --threads, also before the command as --help documents, and its usage error.
    for args in (["--threads", "1", "ingest", "-q", sysmon, "-o", str(folder / "one-thread")],
                 ["ingest", "--threads=2", "-q", sysmon, "-o", str(folder / "two-threads")]):
        proc = kq(kqlite, args)
        if proc.returncode != 0:
            print(f"FAIL kqlite {' '.join(args)}: exit {proc.returncode}, {proc.stderr.strip()[:200]!r}")
            failures += 1
    proc = kq(kqlite, ["ingest", "--threads", "0", sysmon, "-o", str(folder / "no-threads")])
    if proc.returncode != 2 or "--threads needs a whole number" not in proc.stderr:
        print(f"FAIL ingest --threads 0: exit {proc.returncode}, {proc.stderr.strip()[:200]!r}")
        failures += 1

    with open(store / "lock", "r+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        proc = kq(kqlite, ["ingest", "-q", str(ROOT / "examples" / "defender-export"), "-o", str(store)])
    if proc.returncode != 3 or "another kqlite ingest" not in proc.stderr:
        print(f"FAIL ingest into a locked store: exit {proc.returncode}, {proc.stderr.strip()[:200]!r}")
        failures += 1
    return failures


def check_grown_file(kqlite, folder):
    """Ingesting a file again after it grew warns that its earlier rows are now stored twice."""
    grown = folder / "grown.csv"
    source = (ROOT / "examples" / "defender-export" / "DeviceProcessEvents.csv").read_bytes()
    grown.write_bytes(source)
    ingest(kqlite, [str(grown)], str(folder / "grown-store"))
    grown.write_bytes(source + source.splitlines(keepends=True)[-1])
    proc = kq(kqlite, ["ingest", "-q", str(grown), "-o", str(folder / "grown-store")])
    if proc.returncode != 0 or "changed since it was ingested" not in proc.stderr:
        print(f"FAIL ingest of a grown file: exit {proc.returncode}, {proc.stderr.strip()[:200]!r}")
        return 1
    return 0


def check_conversion_count(kqlite, folder):
    """Parts that lack an extra column hold empty strings there: only real values that fail to convert count."""
    export = folder / "extra.csv"
    lines = ["Timestamp,DeviceName,ExtraNumber"]
    lines += [f"2026-11-30T10:00:0{i}Z,dev{i},7" for i in range(5)]
    lines += [f"2026-11-30T11:00:{i:02d}Z,dev{i}," for i in range(15)]
    lines += ["2026-11-30T12:00:00Z,devx,notanumber"]
    export.write_text("\n".join(lines) + "\n")
    proc = kq(kqlite, ["ingest", "-q", "--flush-rows", "5", f"DeviceProcessEvents={export}", "-o",
                       str(folder / "extra-store")])
    expected = "warning: 1 value did not convert to the type its column has in the store"
    if proc.returncode != 0 or expected not in proc.stderr:
        print(f"FAIL conversion count of an ingest in parts: exit {proc.returncode}, {proc.stderr.strip()[:300]!r}")
        return 1
    return 0


def main():
    kqlite = sys.argv[1]
    shared = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
    cases = [(q, [q]) for q in run_pushdown.QUERIES] + run_pushdown.corpus_cases(shared, kqlite)[0]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        large = folder / "large"
        large.mkdir()
        run_pushdown.write_large_export(large)
        # The large export is also written in parts of 1,000 rows, so blocks end mid-batch and flushes run.
        runs = [(run_pushdown.DATA, ()), ([str(large)], ()), ([str(large)], ("--flush-rows", "1000"))]
        for index, (data, options) in enumerate(runs):
            store = str(folder / f"store-{index}")
            ingest(kqlite, data, store, options)
            for name, args in cases:
                failed += same_result(kqlite, name, "query", args, data, store)
            failed += same_result(kqlite, "hunt with the bundled pack", "hunt", [], data, store)
        ngolden, golden_failed = check_golden(kqlite, folder)
        failed += golden_failed
        failed += check_append(kqlite, folder)
        failed += check_old_version(kqlite, folder, 1)
        failed += check_old_version(kqlite, folder, 2)
        nhostile, hostile_failed = check_hostile(kqlite, folder)
        failed += hostile_failed
        failed += check_version_claims(kqlite, folder)
        failed += check_cli(kqlite, folder)
        failed += check_grown_file(kqlite, folder)
        failed += check_conversion_count(kqlite, folder)
    print(f"store: {len(cases)} queries and the bundled pack over three stores, {ngolden} golden and end-to-end cases, "
          f"appending, version 1 and 2 stores, {nhostile} damaged stores and 2 with a false version, misuse: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
