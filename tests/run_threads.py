#!/usr/bin/env python3
"""Check that loading and filtering on several threads changes no result.

Usage: tests/run_threads.py KQLITE [SHARED_DIR]

Every case runs with --threads 1, 2 and 3, and the outputs must be identical.
That covers the rows on stdout and the per-file load report on stderr: its
counts, skip reasons and line numbers must not depend on how a file was split.
KQLITE_CSV_CHUNK_BYTES makes the CSV reader cut small files into many
pieces, at sizes chosen so that cuts fall inside records and inside quoted
fields that hold line breaks; KQLITE_JSON_CHUNK_BYTES, set to the same size,
does the same for JSON lines files. KQLITE_CSV_WINDOW_BYTES makes it read small
files through a window, as it reads files larger than 16 MiB: on one thread
a window's worth at a time, on several threads each piece with pread.
KQLITE_STREAM_ROWS makes tables build their batches while loading after a
few thousand rows instead of 65,536.

The data sets:
- the bundled examples;
- the example process export as JSON lines, 60 times, with malformed,
  duplicate-key, non-object and blank lines between, and CRLF and LF ends;
- 120 copies of the example process export an hour apart (tests/run_pushdown.py),
  so rows span several batches and time windows cut through them;
- a process export whose command lines hold quoted line breaks (CRLF, LF and
  a bare CR), doubled quotes and commas, with blank lines, records with too
  many or too few fields, and a file that ends inside an unterminated quoted field;
- with a C compiler, 30,000 rows from the benchmark's data generator
  (bench/hunt/gen.c), more than two 16 MiB windows of the CSV reader.

The cases are the queries of tests/run_pushdown.py, the bundled rule pack
through hunt and, with SHARED_DIR, the Defender hunting corpus on the 120
copies, query by query and as one pack through hunt (which runs its rules on
several threads at once). Golden cases run with several threads through run_cases.py:
tests/run-all.sh runs them with KQLITE_THREADS set.
"""
import csv
import datetime
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import run_pushdown  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOW = run_pushdown.NOW
# Thread count, CSV piece size, CSV window size, rows before tables stream their batches, and
# table batches per thread per round of one query's threads, which is also the morsel size its
# summarize merges. The first run is the reference. Pieces of a few bytes cut nearly every record and quoted field, but each
# piece costs a table builder, so the larger data sets get larger pieces.
SMALL_SETTINGS = [(1, None, None, None, None), (2, None, None, None, None), (2, 4096, None, None, 1),
                  (3, 1000, None, None, None), (3, 61, None, None, 1), (1, None, 4096, 2048, None),
                  (2, 4096, 8192, None, None), (3, 1000, 4096, 4096, 2), (2, 61, 4096, 2048, None)]
LARGE_SETTINGS = [(1, None, None, None, None), (2, None, None, None, None), (2, None, None, None, 1),
                  (3, 20011, None, None, 2), (1, None, 65536, 4096, None), (2, 20011, 65536, 8192, 1)]
GENERATED_ROWS = 30000
# Cases for the threads of one query: a single rule through hunt, and a where clause that fails at run
# time on some batch (an invalid pattern built from a column), whose message must not depend on the threads.
ONE_QUERY_CASES = [
    ("hunt with the seed rule alone", ["--rules", str(ROOT / "rules" / "rmm" / "Ammyy" / "Ammyy_process.yaml")],
     "hunt"),
    ("aggregates merged from the threads' parts",
     ["DeviceProcessEvents | summarize count(), countif(FileName endswith '.exe'), dcount(AccountName),"
      " make_set(FileName, 3), make_set(FolderPath), make_list(ReportId, 5), take_any(InitiatingProcessFileName),"
      " arg_max(bin(Timestamp, 1d), FileName, ProcessId), arg_min(ProcessId, FolderPath),"
      " min(Timestamp), max(FileName), sum(ProcessId), avg(ProcessId) by DeviceName"], "query"),
    ("aggregates over a filter, without by",
     ["DeviceProcessEvents | where FileName has 'exe' | extend Day = bin(Timestamp, 1d)"
      " | summarize make_set_if(FileName, ProcessId > 1000), make_list_if(Day, ProcessId % 2 == 0, 4),"
      " dcountif(DeviceName, FileName startswith 'c'), sumif(ProcessId, FileName == 'cmd.exe'), count()"], "query"),
    ("aggregates that stay on one thread", ["DeviceProcessEvents | summarize sum(todouble(ProcessId) / 7),"
                                            " percentile(ProcessId, 50), make_bag(bag_pack(FileName, 1)) by DeviceName"],
     "query"),
    ("a summarize that matches no row", ["DeviceProcessEvents | where FileName == 'no-such-file.exe'"
                                         " | summarize count(), make_set(FileName)"], "query"),
    ("a pattern that fails at run time",
     ["DeviceProcessEvents | extend Pattern = iff(FileName startswith 'c', strcat('(', FileName), FileName)"
      " | where FolderPath matches regex Pattern | project Timestamp, FileName"], "query"),
]


def write_quoted_export(folder):
    """Writes the example process export with line breaks, quotes and damage in it, as two files."""
    header, body = run_pushdown.read_example_export()
    command = header.index("ProcessCommandLine")
    breaks = ["\r\n", "\n", "\r", "\n\n"]
    with open(folder / "quoted-DeviceProcessEvents.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\r\n")
        out.writerow(header)
        for copy_index in range(60):
            for i, row in enumerate(body):
                copy = list(row)
                if (i + copy_index) % 3 == 0:
                    copy[command] = (copy[command] + breaks[i % len(breaks)] + f'-arg "{copy_index}", more'
                                     + breaks[copy_index % len(breaks)])
                out.writerow(copy)
                if i == 5:
                    f.write("\r\n")                   # a blank line
                    out.writerow(copy + ["extra"])    # more fields than the header
                if i == 9:
                    out.writerow(copy[:4])            # fewer fields than the header
    with open(folder / "unterminated-DeviceProcessEvents.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        for row in body * 20:
            out.writerow(row)
        last = list(body[0])
        f.write(",".join(last[:command]) + ',"never closed\n' + "\n".join(["tail, line"] * 40) + "\n")


def iso_datetime(text):
    """Returns a portal datetime ('Dec 1, 2026 12:03:10 AM') in ISO 8601, as JSON exports write it; else text."""
    try:
        return datetime.datetime.strptime(text, "%b %d, %Y %I:%M:%S %p").strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return text


def write_json_lines(folder):
    """Writes the example process export as JSON lines, 60 times, with damaged and blank lines between."""
    header, body = run_pushdown.read_example_export()
    damage = ['{"DeviceName": "cut', '[1, 2]', '', '   ', '{"DeviceName": "a", "DeviceName": "b"}', 'not json']
    with open(folder / "lines-DeviceProcessEvents.json", "w", newline="", encoding="utf-8") as f:
        for copy_index in range(60):
            for i, row in enumerate(body):
                record = {name: iso_datetime(value) for name, value in zip(header, row)}
                f.write(json.dumps(record) + ("\r\n" if (copy_index + i) % 3 == 0 else "\n"))
                if (copy_index * 7 + i) % 11 == 0:
                    f.write(damage[(copy_index + i) % len(damage)] + "\n")


def write_generated_export(folder):
    """Builds the benchmark's data generator and writes GENERATED_ROWS rows into a new folder.

    Returns the folder, False when there is no C compiler, or None when the generator does not build.
    """
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        return False
    generator = folder / "gen"
    build = subprocess.run([compiler, "-O2", "-std=c11", "-o", str(generator), str(ROOT / "bench" / "hunt" / "gen.c"),
                            "-lm"], capture_output=True, text=True)
    if build.returncode != 0:
        print(f"FAIL building bench/hunt/gen.c: {build.stderr.strip()}")
        return None
    data = folder / "generated"
    data.mkdir()
    subprocess.run([str(generator), str(GENERATED_ROWS), str(data / "DeviceProcessEvents.csv")], check=True,
                   capture_output=True)
    generator.unlink()
    return data


def write_corpus_pack(temp, corpus):
    """Copies the corpus queries that run_pushdown compares (no random values) into one rule folder."""
    folder = temp / "corpus-pack"
    if not folder.exists():
        folder.mkdir()
        for _, args in corpus:
            source = pathlib.Path(args[1])
            shutil.copyfile(source, folder / source.name)
    return folder


def run(kqlite, args, data, command, threads, chunk_bytes, window_bytes, stream_rows, morsel_batches):
    env = dict(os.environ)
    for name, value in (("KQLITE_THREADS", None), ("KQLITE_CSV_CHUNK_BYTES", chunk_bytes),
                        ("KQLITE_JSON_CHUNK_BYTES", chunk_bytes),
                        ("KQLITE_CSV_WINDOW_BYTES", window_bytes), ("KQLITE_STREAM_ROWS", stream_rows),
                        ("KQLITE_MORSEL_BATCHES", morsel_batches)):
        env.pop(name, None)
        if value:
            env[name] = str(value)
    proc = subprocess.run([kqlite, command, "--threads", str(threads), "--now", NOW, "--format", "jsonl"]
                          + args + data, capture_output=True, text=True, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def compare(kqlite, name, args, data, settings, command="query", require_success=True):
    """Runs one case with every setting; returns (changed, has_rows).

    has_rows needs a successful exit unless require_success is false: the
    corpus as a pack contains queries that do not compile as one rule (several
    queries in one file), and hunt then exits 3 after running the others.
    """
    reference = run(kqlite, args, data, command, *settings[0])
    for threads, chunk_bytes, window_bytes, stream_rows, morsel_batches in settings[1:]:
        got = run(kqlite, args, data, command, threads, chunk_bytes, window_bytes, stream_rows, morsel_batches)
        if got != reference:
            part = "load report"
            if got[0] != reference[0]:
                part = "exit status"
            elif got[1] != reference[1]:
                part = "rows"
            print(f"FAIL {name} over {' '.join(data)}: the {part} changes with --threads {threads}"
                  f"{f' and {chunk_bytes}-byte pieces' if chunk_bytes else ''}"
                  f"{f' and a {window_bytes}-byte window' if window_bytes else ''}"
                  f"{f' and streaming after {stream_rows} rows' if stream_rows else ''}"
                  f"{f' and {morsel_batches}-batch morsels' if morsel_batches else ''}")
            if part == "load report":
                print("  one thread:\n    " + reference[2].strip().replace("\n", "\n    "))
                print(f"  {threads} threads:\n    " + got[2].strip().replace("\n", "\n    "))
            return True, False
    return False, (reference[0] == 0 or not require_success) and bool(reference[1].strip())


def check_invalid_counts(kqlite):
    """Returns the number of invalid thread counts that kqlite did not reject with a usage error."""
    failed = 0
    data = str(ROOT / "examples")
    cases = [([kqlite, command, "--threads", value, "--now", NOW, "DeviceProcessEvents | count", data], {}, value)
             for command in ("query",) for value in ("0", "65", "two", "", "-1", "2x")]
    cases.append(([kqlite, "hunt", "--threads=0", "--now", NOW, data], {}, "0"))
    cases += [([kqlite, "query", "--now", NOW, "DeviceProcessEvents | count", data], {"KQLITE_THREADS": value}, value)
              for value in ("0", "many", "100")]
    for argv, extra_env, value in cases:
        env = dict(os.environ)
        env.pop("KQLITE_THREADS", None)
        env.update(extra_env)
        proc = subprocess.run(argv, capture_output=True, text=True, env=env)
        source = "KQLITE_THREADS" if extra_env else "--threads"
        if proc.returncode != 2 or f"{source} needs a whole number from 1 to 64, got '{value}'" not in proc.stderr:
            print(f"FAIL {source} {value!r}: exit {proc.returncode}, stderr {proc.stderr.strip()!r}")
            failed += 1
    # --threads wins over the environment.
    env = dict(os.environ, KQLITE_THREADS="3")
    proc = subprocess.run([kqlite, "query", "--threads", "1", "--now", NOW, "DeviceProcessEvents | count", data],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        print(f"FAIL --threads 1 with KQLITE_THREADS=3: exit {proc.returncode}, stderr {proc.stderr.strip()!r}")
        failed += 1
    # An invalid KQLITE_THREADS is no error when --threads replaces it, in any command.
    env = dict(os.environ, KQLITE_THREADS="many")
    for argv in ([kqlite, "query", "--threads", "1", "--now", NOW, "DeviceProcessEvents | count", data],
                 [kqlite, "--threads", "2", "hunt", "-q", "--now", NOW, data],
                 [kqlite, "tables", "--threads", "1", data]):
        proc = subprocess.run(argv, capture_output=True, text=True, env=env)
        if proc.returncode != 0 or not proc.stdout:
            print(f"FAIL {argv[1]} with --threads and KQLITE_THREADS=many: exit {proc.returncode}, "
                  f"stderr {proc.stderr.strip()[:300]!r}")
            failed += 1
    return failed


def main():
    kqlite = sys.argv[1]
    shared = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
    queries = [(q, [q]) for q in run_pushdown.QUERIES]
    corpus, _ = run_pushdown.corpus_cases(shared, kqlite)
    failed = check_invalid_counts(kqlite)
    answered = runs = 0
    with tempfile.TemporaryDirectory() as temp:
        temp = pathlib.Path(temp)
        copies = temp / "copies"
        quoted = temp / "quoted"
        lines = temp / "lines"
        copies.mkdir()
        quoted.mkdir()
        lines.mkdir()
        run_pushdown.write_large_export(copies)
        write_quoted_export(quoted)
        write_json_lines(lines)
        generated = write_generated_export(temp)
        if generated is None:
            return 1
        datasets = [([str(ROOT / "examples")], SMALL_SETTINGS, False), ([str(quoted)], SMALL_SETTINGS, False),
                    ([str(lines)], SMALL_SETTINGS, False), ([str(copies)], LARGE_SETTINGS, True)]
        if generated:
            datasets.append(([str(generated)], LARGE_SETTINGS, False))
        else:
            print("SKIP the generated export: no C compiler")
        for data, settings, with_corpus in datasets:
            cases = queries + (corpus if with_corpus else [])
            for name, args in cases:
                changed, rows = compare(kqlite, name, args, data, settings)
                failed += changed
                answered += rows
                runs += 1
            changed, rows = compare(kqlite, "hunt with the bundled pack", [], data, settings, command="hunt")
            if not changed and not rows:
                print(f"FAIL hunt with the bundled pack over {' '.join(data)}: no hits to compare")
            failed += changed or not rows
            runs += 1
            # One rule alone: its scan and where clauses run on every thread instead (src/exec/exchange.c).
            for name, args, command in ONE_QUERY_CASES:
                changed, rows = compare(kqlite, name, args, data, settings, command=command, require_success=False)
                failed += changed
                answered += rows
                runs += 1
            if with_corpus and corpus:
                # The corpus as one rule pack: hunt runs its rules on several threads at once.
                pack = ["--rules", str(write_corpus_pack(temp, corpus))]
                changed, rows = compare(kqlite, "hunt with the hunting corpus as a pack", pack, data, settings,
                                        command="hunt", require_success=False)
                if not changed and not rows:
                    print(f"FAIL hunt with the hunting corpus as a pack over {' '.join(data)}: no hits to compare")
                failed += changed or not rows
                runs += 1
    print(f"threads: {runs} cases over {len(datasets)} data sets, each with --threads 1, 2 and 3, "
          f"{answered} with rows, {failed} results changed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
