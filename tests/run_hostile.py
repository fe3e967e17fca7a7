#!/usr/bin/env python3
"""Run kqlite query and hunt over hostile input and check how it copes.

Usage: run_hostile.py KQLITE

The inputs are the committed samples in tests/hostile/data and tests/hostile/rules
plus the large and binary ones tests/hostile/generate.py writes into a temporary
folder (a 50 MB nested JSON line, 1 MB and 17 MiB fields, 10,000 columns, broken
UTF-8 and UTF-16, crafted EVTX files, a file name holding an escape sequence), and
the EVTX fixtures in tests/fixtures/evtx when that folder exists.

Every run must:
  - exit with status 0, 2 or 3, never by a signal;
  - keep peak RSS (measured with wait4) under RSS_BASE + RSS_PER_INPUT_BYTE x input size;
  - account for every record: per file, read = loaded + skipped, the skip reasons
    add up to skipped, and every input file is named in the report;
  - print no raw escape sequence to a terminal stream (the table format and stderr).
Prints one line per check and exits 1 when any fails.
"""

import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile"))
import generate  # noqa: E402

csv.field_size_limit(sys.maxsize)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOSTILE = os.path.join(ROOT, "tests", "hostile")
NOW = "2024-10-10T12:00:00Z"

# Peak RSS bound for one run over INPUT bytes. kqlite holds the whole file it is reading
# (1x), the reader's copy of the current record, the table builder's staged cells (the
# text again plus 16 bytes per cell) and the finished batches (about the text once more),
# so up to about 4x the input (measured: 2.1x for 20 MiB of long CSV fields, 1.1x for the
# 50 MB nested JSON line). RSS_BASE covers the binary, the bundled rule pack, jansson's tree
# of one record, and this runner's own peak: Linux reports a child's peak RSS from the
# peak of the process that forked it, and this script's is about 15 MiB.
RSS_BASE = 48 << 20
RSS_PER_INPUT_BYTE = 4

# Under AddressSanitizer freed memory waits in a quarantine of up to 256 MiB (its default
# quarantine_size_mb on 64-bit) and every allocation gets redzones, so a sanitizer build
# gets the quarantine on top of the base and twice the per-byte allowance.
ASAN_QUARANTINE = 256 << 20

# Bytes that must never reach a terminal raw: ESC, BEL, the 8-bit CSI U+009B in UTF-8,
# and the bidi overrides U+202E and U+2066..U+2069.
RAW_TERMINAL_BYTES = [b"\x1b", b"\x07", b"\xc2\x9b", b"\xe2\x80\xae", b"\xe2\x81\xa6", b"\xe2\x81\xa7",
                      b"\xe2\x81\xa8", b"\xe2\x81\xa9"]

PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
REPORT_LINE = re.compile(r"^kqlite: (.*): (\S+) -> (.*): (\d+) read, (\d+) loaded, (\d+) skipped$")
ERROR_LINE = re.compile(r"^kqlite: (.*): (error|skipped): (.*)$")
REASON_LINE = re.compile(r"^kqlite:   skipped (\d+): (.*)$")

failures = 0
checks = 0
notes = set()


def check(ok, label, detail=""):
    global failures, checks
    checks += 1
    if ok:
        print("ok   " + label)
    else:
        failures += 1
        print("FAIL " + label + (": " + detail if detail else ""))


def terminal_escape(name):
    """The escaped form kq_terminal_escape prints for a file name (the cases the samples use)."""
    out = []
    for ch in name:
        code = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append("\\x%02x" % code)
        elif 0x80 <= code < 0xA0 or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069 or \
                code in (0x200E, 0x200F, 0x061C):
            out.append("\\u%04x" % code)
        else:
            out.append(ch)
    return "".join(out)


def run(args, workdir):
    """Runs kqlite; returns (exit status or -signal, stdout file path, stderr, peak RSS in bytes).

    stdout stays in a file: reading a large result into this process would raise its
    peak RSS, which Linux then reports as the floor of every later child's peak."""
    out_path = os.path.join(workdir, "stdout")
    with open(out_path, "wb") as out, tempfile.TemporaryFile(dir=workdir) as err:
        process = subprocess.Popen(args, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return process.returncode, out_path, err.read(), usage.ru_maxrss * 1024


def raw_bytes_in_file(path):
    """The RAW_TERMINAL_BYTES sequences found in a file, read in chunks that overlap by 3 bytes."""
    found = set()
    tail = b""
    with open(path, "rb") as data:
        while True:
            chunk = data.read(1 << 20)
            if not chunk:
                break
            window = tail + chunk
            found.update(b for b in RAW_TERMINAL_BYTES if b in window)
            tail = window[-3:]
    return sorted(found)


def file_contains(path, needle):
    with open(path, "rb") as data:
        tail = b""
        while True:
            chunk = data.read(1 << 20)
            if not chunk:
                return False
            if needle in tail + chunk:
                return True
            tail = (tail + chunk)[-len(needle):]


def input_size(paths):
    total = 0
    for path in paths:
        if os.path.isdir(path):
            for folder, _, names in os.walk(path):
                total += sum(os.path.getsize(os.path.join(folder, n)) for n in names)
        else:
            total += os.path.getsize(path)
    return total


def parse_report(stderr):
    """Returns {path: {"read", "loaded", "skipped", "reasons", "format"}} from the load report lines."""
    files = {}
    current = None
    for line in stderr.decode("utf-8", "replace").splitlines():
        match = REPORT_LINE.match(line)
        if match:
            current = {"format": match.group(2), "read": int(match.group(4)), "loaded": int(match.group(5)),
                       "skipped": int(match.group(6)), "reasons": 0}
            files[match.group(1)] = current
            continue
        match = ERROR_LINE.match(line)
        if match:
            files[match.group(1)] = {"format": match.group(2), "read": 0, "loaded": 0, "skipped": 0, "reasons": 0}
            current = None
            continue
        match = REASON_LINE.match(line)
        if match and current is not None:
            current["reasons"] += int(match.group(1))
    return files


def is_sanitizer_build(kqlite):
    with open(kqlite, "rb") as binary:
        return b"__asan_init" in binary.read()


def rss_bound(size):
    if SANITIZER:
        return RSS_BASE + ASAN_QUARANTINE + 2 * RSS_PER_INPUT_BYTE * size
    return RSS_BASE + RSS_PER_INPUT_BYTE * size


SANITIZER = False


def check_run(label, args, workdir, inputs, expected_files=(), allowed=(0, 2, 3), terminal_stdout=True):
    """Runs kqlite and applies the checks every run must pass; returns (status, stdout, stderr)."""
    status, stdout, stderr, rss = run(args, workdir)
    check(status >= 0, label + ": no signal", "killed by signal %d" % -status)
    check(status in allowed, label + ": exit status %d in %s" % (status, allowed),
          stderr.decode("utf-8", "replace")[-400:])
    size = input_size(inputs)
    bound = rss_bound(size)
    check(rss <= bound, label + ": peak RSS %.1f MiB <= %.1f MiB for %.1f MiB of input"
          % (rss / 2**20, bound / 2**20, size / 2**20))
    raw = [b for b in RAW_TERMINAL_BYTES if b in stderr]
    check(not raw, label + ": no raw escape bytes on stderr", "found %r" % raw)
    if terminal_stdout:
        raw = raw_bytes_in_file(stdout)
        check(not raw, label + ": no raw escape bytes on stdout", "found %r" % raw)
    report = parse_report(stderr)
    for path, counts in report.items():
        if counts["format"] in ("error", "skipped"):
            continue
        check(counts["read"] == counts["loaded"] + counts["skipped"],
              label + ": %s: read = loaded + skipped" % path, str(counts))
        if counts["format"] != "evtx":
            check(counts["reasons"] == counts["skipped"], label + ": %s: skip reasons add up" % path, str(counts))
        elif counts["reasons"] != counts["skipped"]:
            # NOTE: the EVTX reader also lists file- and chunk-level damage as skip reasons, which
            # are not records, so its reasons need not add up to its skipped records.
            note = "note: %s: %d skip reasons for %d skipped records (EVTX lists damaged chunks too)" % (
                os.path.basename(path), counts["reasons"], counts["skipped"])
            if note not in notes:
                notes.add(note)
                print(note)
    for name in expected_files:
        check(name in report, label + ": report names " + name, "named: %s" % sorted(report))
    return status, stdout, stderr


# What the load report must say about a sample loaded alone.
EXPECTED_REPORT = {
    "cut_mid_quote_DeviceProcessEvents.csv": [b"2 read, 1 loaded, 1 skipped", b"unterminated quoted field"],
    "cut_mid_object_DeviceNetworkEvents.json": [b"2 read, 1 loaded, 1 skipped", b"malformed JSON line"],
    "long_fields_DeviceProcessEvents.csv": [b"4 read, 3 loaded, 1 skipped", b"field longer than 16 MiB"],
    "long_line.json": [b"3 read, 2 loaded, 1 skipped", b"JSON line longer than 64 MiB"],
    "deep_nesting_50MB.json": [b"1 read, 0 loaded, 1 skipped", b"malformed JSON"],
    "ragged_rows.csv": [b"4 read, 2 loaded, 2 skipped", b"more fields than the header",
                        b"fewer fields than the header"],
    # A repeated key is a counted skip, so a second value cannot hide the first.
    "duplicate_keys_DeviceProcessEvents.json": [b"2 read, 0 loaded, 2 skipped", b"duplicate key"],
    "wide_10000_columns.csv": [b"5 read, 5 loaded, 0 skipped"],
    "malformed_utf8.json": [b"6 read, 1 loaded, 5 skipped"],
    "utf16le_bom_DeviceProcessEvents.csv": [b"error: unknown format: binary data"],
}


def per_file_runs(kqlite, workdir, folder):
    """Loads each file alone as table T: exact account and memory bounded by that file's size."""
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        label = "query one file %s" % terminal_escape(name)
        _, _, stderr = check_run(label, [kqlite, "query", "T | take 5", "T=" + path], workdir, [path],
                                 expected_files=[terminal_escape(path)])
        for needle in EXPECTED_REPORT.get(name, []):
            check(needle in stderr, label + ": report says " + needle.decode(), stderr.decode("utf-8", "replace"))


def folder_runs(kqlite, workdir, data, names):
    expected = [terminal_escape(os.path.join(data, n)) for n in names]
    check_run("query table over the folder",
              [kqlite, "query", "--wide", "--now", NOW, "DeviceProcessEvents | take 100", data],
              workdir, [data], expected_files=expected)
    check_run("hunt with the bundled pack",
              [kqlite, "hunt", "--all", "--now", NOW, data], workdir, [data], expected_files=expected)
    check_run("hunt with hostile rules",
              [kqlite, "hunt", "--all", "--now", NOW, "--rules", os.path.join(HOSTILE, "rules"), data],
              workdir, [data], expected_files=expected)
    status, stdout, _ = check_run("hunt csv --csv-safe",
                                  [kqlite, "hunt", "-q", "--now", NOW, "--format", "csv", "--csv-safe", data],
                                  workdir, [data], terminal_stdout=False)
    check(file_contains(stdout, b"Ammyy"), "hunt csv --csv-safe: the Ammyy rule hits the samples")
    status, stdout, _ = check_run("query csv --csv-safe",
                                  [kqlite, "query", "-q", "--format", "csv", "--csv-safe",
                                   "DeviceProcessEvents | project DeviceName, ProcessCommandLine, ReportId",
                                   data], workdir, [data], terminal_stdout=False)
    rows = 0
    risky = []
    prefixed = False
    with open(stdout, encoding="utf-8", errors="replace", newline="") as result:
        for row in csv.reader(result):
            rows += 1
            risky += [cell[:40] for cell in row
                      if cell[:1] in ("=", "@", "+", "-", "\t", "\r", "\0") and not PLAIN_NUMBER.match(cell)]
            prefixed |= any(cell.startswith("'=cmd|") for cell in row)
    check(rows > 5 and not risky, "query csv --csv-safe: no cell starts a formula", repr(risky[:5]))
    check(prefixed, "query csv --csv-safe: formula cells are prefixed")


def limit_runs(kqlite, workdir, data, names):
    status, _, stderr = check_run("query --strict", [kqlite, "query", "-q", "--strict", "DeviceProcessEvents | count",
                                                     data], workdir, [data], allowed=(3,))
    check(b"--strict:" in stderr and b"the run fails (exit status 3)" in stderr,
          "query --strict: a line says why the run fails")
    status, _, stderr = check_run("hunt --strict", [kqlite, "hunt", "-q", "--strict", "--now", NOW, data],
                                  workdir, [data], allowed=(3,))
    check(b"--strict:" in stderr, "hunt --strict: a line says why the run fails")
    # Damage in an EVTX file's header or chunks skips no counted record, yet loses data: --strict fails on it.
    for name in ("cut_header.evtx", "garbage_chunk.evtx", "missing_chunks.evtx"):
        damaged = os.path.join(data, name)
        status, _, stderr = check_run("query --strict " + name, [kqlite, "query", "-q", "--strict", "print 1", damaged],
                                      workdir, [damaged], allowed=(3,))
        check(b"with skipped or damaged parts" in stderr, "query --strict %s: the damage fails the run" % name)
    clean = os.path.join(data, "ansi_DeviceProcessEvents.csv")
    check_run("query --strict over a clean file", [kqlite, "query", "-q", "--strict", "DeviceProcessEvents | count",
                                                   clean], workdir, [clean], allowed=(0,))
    wide = os.path.join(data, "wide_10000_columns.csv")
    status, _, stderr = check_run("query --max-memory 64K", [kqlite, "query", "-q", "--max-memory", "64K",
                                                             "T | extend x = strcat(C1, C2) | sort by x | take 1", "T=" + wide],
                                  workdir, [wide], allowed=(3,))
    check(b"sort holds" in stderr and b"over --max-memory 64.0 KiB" in stderr,
          "query --max-memory 64K: the error names the operator", stderr.decode("utf-8", "replace")[-300:])
    status, _, stderr = check_run("hunt --max-memory 1K", [kqlite, "hunt", "-q", "--max-memory", "1K", "--now", NOW,
                                                           clean], workdir, [clean], allowed=(3,))
    check(b"failed: summarize holds" in stderr and b"over --max-memory 1.0 KiB" in stderr,
          "hunt --max-memory 1K: the failed rule names the operator", stderr.decode("utf-8", "replace")[-300:])
    # Found by fuzz_kql: a range with no practical end feeds sort until the budget stops it.
    status, _, stderr = check_run("query: endless range into sort, --max-memory 16M",
                                  [kqlite, "query", "-q", "--max-memory", "16M",
                                   "range Size from 0 to 1777777777777777777777777777775 step 2 | order by Size asc"],
                                  workdir, [], allowed=(3,))
    check(b"sort holds" in stderr and b"over --max-memory" in stderr,
          "endless range into sort: the budget stops it and names the operator",
          stderr.decode("utf-8", "replace")[-300:])
    check_run("query --max-memory bad value", [kqlite, "query", "--max-memory", "lots", "print 1"], workdir, [],
              allowed=(2,))
    query_file = os.path.join(workdir, "deep_parens.kql")
    generate.write_deep_query(query_file, 10000)
    status, _, stderr = check_run("query 10,000 nested parentheses",
                                  [kqlite, "query", "--query-file", query_file, clean], workdir,
                                  [clean, query_file], allowed=(3,))
    check(b"nest" in stderr, "query 10,000 nested parentheses: the error names the nesting",
          stderr.decode("utf-8", "replace")[-300:])
    ansi = "DeviceProcessEvents | where ProcessCommandLine has '\x1b[2J' | count"
    check_run("query text with an escape sequence", [kqlite, "query", ansi + " | bad_operator", clean], workdir,
              [clean], allowed=(3,))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: run_hostile.py KQLITE")
    kqlite = os.path.abspath(sys.argv[1])
    global SANITIZER
    SANITIZER = is_sanitizer_build(kqlite)
    if SANITIZER:
        print("note: AddressSanitizer build; the memory bound allows for its quarantine and redzones")
    workdir = tempfile.mkdtemp(prefix="kqlite-hostile-")
    try:
        data = os.path.join(workdir, "data")
        # A separate process writes the samples: a child's peak RSS as wait4 reports it starts
        # from this process's peak, so this one must never hold the 50 MB sample itself.
        listing = subprocess.run([sys.executable, os.path.join(HOSTILE, "generate.py"), data], check=True,
                                 stdout=subprocess.PIPE).stdout.decode("utf-8").splitlines()
        committed = os.path.join(HOSTILE, "data")
        for name in os.listdir(committed):
            shutil.copy(os.path.join(committed, name), os.path.join(data, name))
        evtx_fixtures = os.path.join(ROOT, "tests", "fixtures", "evtx")
        if os.path.isdir(evtx_fixtures):
            for name in os.listdir(evtx_fixtures):
                if name.endswith(".evtx"):
                    shutil.copy(os.path.join(evtx_fixtures, name), os.path.join(data, "fixture_" + name))
        else:
            print("note: tests/fixtures/evtx is not present; only the generated EVTX samples run")
        names = sorted(os.listdir(data))
        print("hostile samples: %d files (%d generated), %.1f MiB"
              % (len(names), len(listing), input_size([data]) / 2**20))
        per_file_runs(kqlite, workdir, data)
        folder_runs(kqlite, workdir, data, names)
        limit_runs(kqlite, workdir, data, names)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("hostile input: %d checks, %d failed" % (checks, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
