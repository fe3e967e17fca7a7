#!/usr/bin/env python3
"""Benchmark kqlite's hunt over a Defender CSV export against DuckDB and SQLite.

For one row count, this script generates the data (cached between runs), then
repeats the same round of cases N times, one engine after another, so that
machine load falls on every engine alike. Both seed cases run once, untimed,
before the first round. Each round starts by reading the CSV once, untimed, so
that the first case finds it in the page cache as the later ones do, and the
two seed cases swap places every other round:

  kqlite seed       kqlite hunt with the Ammyy Admin process rule, from the CSV
  kqlite pack       kqlite hunt with the whole rules/rmm pack, from the CSV (one
                    thread per online CPU, kqlite's default)
  kqlite pack 1 thread, kqlite pack 2 threads
                    the same with --threads 1 and --threads 2
  kqlite store seed the seed rule with --store, over a store that `kqlite ingest`
                    wrote once before the rounds (ingest time and store size reported)
  kqlite store pack the whole pack with --store
  duckdb cold seed  the seed rule's SQL over read_csv() (parses the CSV each time)
  duckdb loaded     the CSV loaded into an in-memory table, then the seed rule and
                    every pack rule as SQL, each timed on its own
  sqlite            .import of the CSV into a database file, then the seed rule and
                    every pack rule, each timed on its own (.timer)
  duckdb cold pack  every pack rule over read_csv(), one after another

Every process runs under /usr/bin/time -v for its peak resident set size, and
its wall time has the wrapper's own cost (measured before the rounds) taken off. The
rows of every SQL query are compared with kqlite's rows for the same rule
(sorted, datetimes normalised, make_set compared as a sorted set), and the run
fails if any differ. The report gives medians, the ratios that the engine's
performance targets name, and each target's status.

Usage: bench/hunt/run.py --rows 1000000 [--reps 3] [--kqlite ./kqlite]
Needs: cc, node with `npm ci` run in bench/hunt, sqlite3 (Debian package),
/usr/bin/time (Debian package time).
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pack

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SEED_RULE = "rules/rmm/Ammyy/Ammyy_process.yaml"
QUERY_PERIOD = datetime.timedelta(days=5)
# --skip names and the cases they leave out; at 10 M rows these take most of a round.
SKIPPABLE = {"sqlite": "sqlite", "duckdb-loaded": "duckdb loaded", "duckdb-cold-pack": "duckdb cold pack"}
DATETIME_TEXT = re.compile(r"^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?Z?$")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="rows of DeviceProcessEvents to generate")
    parser.add_argument("--reps", type=int, default=3, help="rounds of every case (default 3)")
    parser.add_argument("--cold-pack-reps", type=int, default=1,
                        help="rounds that include DuckDB's cold pack, the slowest case (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--rmm-per-million", type=int, default=500,
                        help="generated rows per million that are RMM tools (default 500)")
    parser.add_argument("--near-miss-per-million", type=int, default=250,
                        help="generated rows per million that are near misses such as XAmmyy (default 250)")
    parser.add_argument("--kqlite", default=str(ROOT / "kqlite"), help="kqlite binary (default ./kqlite)")
    parser.add_argument("--data", default=str(ROOT / "build-bench" / "data"),
                        help="folder for generated data, kept between runs (default build-bench/data)")
    parser.add_argument("--now", default="2026-12-01T00:00:00Z",
                        help="the instant the rules treat as now (default 2026-12-01T00:00:00Z, "
                             "the generator's newest row)")
    parser.add_argument("--json", help="also write the measurements to this file")
    parser.add_argument("--skip", action="append", default=[], choices=sorted(SKIPPABLE),
                        help="leave out a slow case (repeatable): " + ", ".join(sorted(SKIPPABLE)))
    return parser.parse_args()


def fail(message):
    print(f"run.py: {message}", file=sys.stderr)
    sys.exit(1)


def build_generator(build):
    """Compile gen.c unless the binary is newer than its sources."""
    binary = build / "gen"
    sources = [HERE / "gen.c", HERE / "catalog.h"]
    if not binary.exists() or any(s.stat().st_mtime > binary.stat().st_mtime for s in sources):
        build.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cc", "-O2", "-std=c11", "-Wall", "-o", str(binary), str(HERE / "gen.c"), "-lm"], check=True)
    return binary


def generate_data(args, build):
    """Return the path of the CSV for --rows and --seed, generating it when missing or stale."""
    generator = build_generator(build)
    identities = build / "rmm-identities.tsv"
    pack.write_identities(identities)
    command = [str(generator), "--seed", str(args.seed), "--identities", str(identities),
               "--rmm-per-million", str(args.rmm_per_million),
               "--near-miss-per-million", str(args.near_miss_per_million), str(args.rows)]
    digest = hashlib.sha256()
    for path in (HERE / "gen.c", HERE / "catalog.h", identities):
        digest.update(path.read_bytes())
    digest.update(" ".join(command[1:]).encode())
    folder = pathlib.Path(args.data) / f"rows-{args.rows}-seed-{args.seed}-rmm-{args.rmm_per_million}-near-{args.near_miss_per_million}"
    csv = folder / "DeviceProcessEvents.csv"
    stamp = folder / "generated-by"
    if csv.exists() and stamp.exists() and stamp.read_text() == digest.hexdigest():
        print(f"data: {csv} (cached)", file=sys.stderr)
        return csv
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    subprocess.run(command + [str(csv)], check=True)
    print(f"data: {csv} generated in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    stamp.write_text(digest.hexdigest())
    return csv


# Seconds that running a command under /usr/bin/time adds to its wall time (calibrate_wrapper).
WRAPPER_SECONDS = 0.0


def calibrate_wrapper(reps=40):
    """Measure what /usr/bin/time adds to a process's wall time: its own start and wait.

    Peak RSS has to come from such a wrapper: a child of this Python process
    reports Python's own RSS as its peak when that is larger, since the kernel
    counts the memory the child had before exec. So each wall time has the
    wrapper's median cost subtracted, as hyperfine subtracts its shell's.
    """
    bare, wrapped = [], []
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        for _ in range(reps):
            for command, times in ((["true"], bare), (["/usr/bin/time", "-v", "-o", report.name, "true"], wrapped)):
                start = time.perf_counter()
                subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
                times.append(time.perf_counter() - start)
    return max(0.0, statistics.median(wrapped) - statistics.median(bare))


def timed(command, stdin=None, cwd=ROOT, env=None):
    """Run command under /usr/bin/time -v; return (wall seconds, peak RSS in MiB, CPU percent, stdout, stderr).

    The wall time excludes the wrapper's own cost (WRAPPER_SECONDS). The CPU
    percent is (user + system time) / wall time, so 200 means two busy cores.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-v", "-o", report.name] + command, input=stdin, cwd=cwd,
                              capture_output=True, text=True, env=dict(os.environ, **env) if env else None)
        seconds = max(0.0, time.perf_counter() - start - WRAPPER_SECONDS)
        text = report.read()
    if proc.returncode != 0:
        fail(f"{' '.join(command[:3])}... exited with status {proc.returncode}:\n{proc.stderr[-2000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    cpu = re.search(r"Percent of CPU this job got: (\d+)%", text)
    return (seconds, int(rss.group(1)) / 1024 if rss else float("nan"),
            int(cpu.group(1)) if cpu else float("nan"), proc.stdout, proc.stderr)


# Normalised result rows: (DeviceId, DeviceName, FirstSeen, LastSeen, Report, Count), all text.

def normal_datetime(text):
    match = DATETIME_TEXT.match(str(text))
    if not match:
        fail(f"unexpected datetime text {text!r}")
    fraction = (match.group(3) or "").rstrip("0")
    return f"{match.group(1)} {match.group(2)}" + (f".{fraction}" if fraction else "")


def normal_row(device_id, device_name, first, last, report, count):
    if isinstance(report, str):
        report = report.split(",") if report else []
    report_ids = ",".join(str(n) for n in sorted(int(r) for r in report))
    return (str(device_id), str(device_name), normal_datetime(first), normal_datetime(last), report_ids,
            str(int(count)))


def kqlite_rows(jsonl):
    """Group kqlite's hunt --format jsonl output by rule file."""
    by_rule = {}
    for line in jsonl.splitlines():
        hit = json.loads(line)
        row = hit["row"]
        key = os.path.relpath(ROOT / hit["rule"]["file"], ROOT)
        by_rule.setdefault(key, []).append(normal_row(row["DeviceId"], row["DeviceName"], row["FirstSeen"],
                                                      row["LastSeen"], row["Report"], row["Count"]))
    return {k: sorted(v) for k, v in by_rule.items()}


TIMER_STEP = re.compile(r"^kqlite: timer: (loading data|batch facts|rules)(?: \([^)]*\))? ([0-9.]+) s", re.M)


def run_kqlite(args, csv, rules, store=None, threads=None, env=None):
    """Run kqlite hunt; besides the process's figures, keep the steps --timer measured inside it."""
    data = ["--store", str(store)] if store else [str(csv)]
    command = [args.kqlite, "hunt", "-q", "--timer", "--now", args.now, "--format", "jsonl", "--rules", rules] + data
    if threads:
        command[2:2] = ["--threads", str(threads)]
    seconds, rss, cpu, out, err = timed(command, env=env)
    steps = {name: float(value) for name, value in TIMER_STEP.findall(err)}
    # The query over loaded data: building the batch facts it reads, then running the rules.
    query = steps.get("batch facts", float("nan")) + steps.get("rules", float("nan"))
    return {"seconds": seconds, "rss_mib": rss, "cpu_percent": cpu,
            "load_seconds": steps.get("loading data", float("nan")),
            "query_seconds": query, "rows": kqlite_rows(out)}


def ingest_store(args, csv, store):
    """Write the CSV to a new store with kqlite ingest; return its time, peak RSS and size."""
    shutil.rmtree(store, ignore_errors=True)
    seconds, rss, cpu, _, _ = timed([args.kqlite, "ingest", "-q", str(csv), "-o", str(store)])
    size = sum(p.stat().st_size for p in store.iterdir() if p.is_file())
    return {"seconds": seconds, "rss_mib": rss, "cpu_percent": cpu, "store_mib": size / 2**20}


def run_duckdb(job, work):
    job_file = work / "duck-job.json"
    job_file.write_text(json.dumps(job))
    seconds, rss, cpu, out, _ = timed(["node", str(HERE / "duck.mjs"), str(job_file)], cwd=HERE)
    result = json.loads(out)
    rows = {q["name"]: sorted(normal_row(*r) for r in q["rows"]) for q in result["queries"]}
    times = {q["name"]: q["seconds"] for q in result["queries"]}
    return {"seconds": seconds, "rss_mib": rss, "cpu_percent": cpu, "setup_seconds": result["setup_seconds"],
            "query_seconds": times, "rows": rows}


def run_sqlite(queries, csv, work):
    """Import the CSV into a fresh database file, then run every query with .timer on."""
    database = work / "events.sqlite"
    if database.exists():
        database.unlink()
    script = ["PRAGMA journal_mode=OFF;", "PRAGMA synchronous=OFF;", ".mode csv",
              f".import '{csv}' events", ".mode json", ".timer on"]
    for name, sql in queries:
        script += [f".print @@query {name}", sql + ";"]
    seconds, rss, cpu, out, _ = timed(["sqlite3", str(database)], stdin="\n".join(script) + "\n")
    database.unlink()
    rows, times = {}, {}
    for block in out.split("@@query ")[1:]:
        name, _, body = block.partition("\n")
        timer = re.search(r"Run Time: real ([0-9.]+)", body)
        data = body[:timer.start()].strip() if timer else body.strip()
        times[name] = float(timer.group(1)) if timer else float("nan")
        rows[name] = sorted(normal_row(*r.values()) for r in (json.loads(data) if data else []))
    # What the queries did not take is the import (and the database's start-up).
    return {"seconds": seconds, "rss_mib": rss, "cpu_percent": cpu, "setup_seconds": seconds - sum(times.values()),
            "query_seconds": times, "rows": rows}


def compare(reference, other, label, rules):
    """Fail unless other returns kqlite's rows for every rule; return the rows compared."""
    compared = 0
    for rule in rules:
        expected = reference.get(rule, [])
        got = other.get(rule, [])
        if expected != got:
            missing = [r for r in expected if r not in got][:3]
            extra = [r for r in got if r not in expected][:3]
            fail(f"{label} differs from kqlite on {rule}: {len(expected)} vs {len(got)} rows; "
                 f"only in kqlite: {missing}; only in {label}: {extra}")
        compared += len(expected)
    return compared


def machine_description():
    cpu = "unknown CPU"
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    duckdb = json.loads((HERE / "node_modules" / "@duckdb" / "node-api" / "package.json").read_text())["version"]
    sqlite = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()[0]
    return {"cpus": os.cpu_count(), "cpu": cpu, "kernel": f"{platform.system()} {platform.release()}",
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "duckdb_node_api": duckdb, "sqlite3": sqlite,
            "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()}


def one_round(args, csv, work, rules, with_cold_pack, store, duckdb_first=False):
    """Run every case once, engine after engine; return {case: measurement}.

    The cases before the round may have evicted part of the CSV from the page
    cache, so the round starts by reading the CSV once, untimed, and the two seed
    cases swap places when duckdb_first.
    """
    seed_condition = dict((path, cond) for path, _, cond in rules)[SEED_RULE]
    start, end = window(args.now)
    csv_source = pack.duckdb_csv_source(csv)
    pack_rules = [(path, cond) for path, _, cond in rules]
    results = {}
    seed_job = {"queries": [{"name": SEED_RULE, "sql": pack.duckdb_query(seed_condition, csv_source, start, end)}]}
    read_through(csv)
    if duckdb_first:
        results["duckdb cold seed"] = run_duckdb(seed_job, work)
    results["kqlite seed"] = run_kqlite(args, csv, SEED_RULE)
    if not duckdb_first:
        results["duckdb cold seed"] = run_duckdb(seed_job, work)
    # Without the load sieve every row is kept, so the rules run over the whole loaded table:
    # that run's query step is the one to set against DuckDB's query over its loaded table.
    results["kqlite seed, sieve off"] = run_kqlite(args, csv, SEED_RULE, env={"KQLITE_SIEVE": "0"})
    results["kqlite pack"] = run_kqlite(args, csv, "rules/rmm")
    results["kqlite pack 1 thread"] = run_kqlite(args, csv, "rules/rmm", threads=1)
    results["kqlite pack 2 threads"] = run_kqlite(args, csv, "rules/rmm", threads=2)
    results["kqlite store seed"] = run_kqlite(args, csv, SEED_RULE, store)
    results["kqlite store pack"] = run_kqlite(args, csv, "rules/rmm", store)
    loaded_queries = [{"name": "seed", "sql": pack.duckdb_query(seed_condition, "events", start, end)}]
    loaded_queries += [{"name": p, "sql": pack.duckdb_query(c, "events", start, end)} for p, c in pack_rules]
    if "duckdb-loaded" not in args.skip:
        results["duckdb loaded"] = run_duckdb(
            {"setup": [f"CREATE TABLE events AS SELECT * FROM {csv_source}"], "queries": loaded_queries}, work)
    sqlite_queries = [("seed", pack.sqlite_query(seed_condition, "events", start, end))]
    sqlite_queries += [(p, pack.sqlite_query(c, "events", start, end)) for p, c in pack_rules]
    if "sqlite" not in args.skip:
        results["sqlite"] = run_sqlite(sqlite_queries, csv, work)
    if with_cold_pack and "duckdb-cold-pack" not in args.skip:
        results["duckdb cold pack"] = run_duckdb(
            {"queries": [{"name": p, "sql": pack.duckdb_query(c, csv_source, start, end)} for p, c in pack_rules]},
            work)
    return results


def warm_up(args, csv, rules, work):
    """Run both seed cases once, untimed, before the first round (as hyperfine --warmup does).

    On this VM the first process after the ingest that touches gigabytes of new
    memory spends far longer in the kernel. kqlite's 10 M row seed took 9.40 s of
    system time right after an ingest and 3.56 s in the next run, with the same
    page fault count and the CSV cached in both. The warm-up takes that cost.
    """
    seed_condition = dict((path, cond) for path, _, cond in rules)[SEED_RULE]
    start, end = window(args.now)
    run_kqlite(args, csv, SEED_RULE)
    run_duckdb({"queries": [{"name": SEED_RULE, "sql": pack.duckdb_query(seed_condition, pack.duckdb_csv_source(csv),
                                                                          start, end)}]}, work)
    print("warm-up: both seed cases ran once, untimed", file=sys.stderr)


def read_through(path):
    """Read a file once, untimed, so that the next case finds it in the page cache.

    DuckDB's loaded table and the pack's memory compete with the CSV for the
    page cache. This read puts the file back before the round's first seed case,
    so that neither engine's seed case reads from disk.
    """
    with open(path, "rb", buffering=0) as f:
        buffer = bytearray(8 << 20)
        while f.readinto(buffer):
            pass


def window(now_text):
    """Return the rules' inclusive Timestamp window, now - 5d to now, as SQL datetime text."""
    now = datetime.datetime.fromisoformat(now_text.replace("Z", "+00:00"))
    return ((now - QUERY_PERIOD).strftime("%Y-%m-%d %H:%M:%S"), now.strftime("%Y-%m-%d %H:%M:%S"))


def check_rows(results, rules):
    """Compare every SQL engine's rows with kqlite's; return the number of rows checked."""
    pack_paths = [path for path, _, _ in rules]
    seed = {SEED_RULE: results["kqlite seed"]["rows"].get(SEED_RULE, [])}
    checked = compare(results["kqlite pack"]["rows"], {SEED_RULE: seed[SEED_RULE]}, "kqlite seed", [SEED_RULE])
    checked += compare(seed, results["kqlite store seed"]["rows"], "kqlite store seed", [SEED_RULE])
    checked += compare(seed, results["kqlite seed, sieve off"]["rows"], "kqlite seed, sieve off", [SEED_RULE])
    checked += compare(results["kqlite pack"]["rows"], results["kqlite store pack"]["rows"], "kqlite store pack",
                       pack_paths)
    for case in ("kqlite pack 1 thread", "kqlite pack 2 threads"):
        checked += compare(results["kqlite pack"]["rows"], results[case]["rows"], case, pack_paths)
    for case in ("duckdb loaded", "sqlite"):
        if case not in results:
            continue
        rows = results[case]["rows"]
        checked += compare(seed, {SEED_RULE: rows["seed"]}, f"{case} (seed)", [SEED_RULE])
        checked += compare(results["kqlite pack"]["rows"], rows, case, pack_paths)
    checked += compare(seed, results["duckdb cold seed"]["rows"], "duckdb cold seed", [SEED_RULE])
    if "duckdb cold pack" in results:
        checked += compare(results["kqlite pack"]["rows"], results["duckdb cold pack"]["rows"], "duckdb cold pack",
                           pack_paths)
    return checked


def median_of(rounds, case, pick):
    values = [pick(r[case]) for r in rounds if case in r]
    return statistics.median(values) if values else float("nan")


def summarize(rounds, rules, csv):
    """Return (medians per measurement, target rows) from the rounds."""
    pack_paths = [path for path, _, _ in rules]
    m = {}
    for case in ("kqlite seed", "kqlite seed, sieve off", "kqlite pack", "kqlite pack 1 thread",
                 "kqlite pack 2 threads", "kqlite store seed", "kqlite store pack", "duckdb cold seed",
                 "duckdb cold pack", "duckdb loaded", "sqlite"):
        m[case] = median_of(rounds, case, lambda r: r["seconds"])
        m[case + " rss"] = median_of(rounds, case, lambda r: r["rss_mib"])
        m[case + " cpu"] = median_of(rounds, case, lambda r: r["cpu_percent"])
    for case in ("kqlite seed", "kqlite seed, sieve off", "kqlite pack", "kqlite store seed", "kqlite store pack"):
        m[case + " load"] = median_of(rounds, case, lambda r: r["load_seconds"])
        m[case + " query"] = median_of(rounds, case, lambda r: r["query_seconds"])
    for case in ("duckdb loaded", "sqlite"):
        m[case + " setup"] = median_of(rounds, case, lambda r: r["setup_seconds"])
        m[case + " seed query"] = median_of(rounds, case, lambda r: r["query_seconds"]["seed"])
        m[case + " pack queries"] = median_of(rounds, case,
                                              lambda r: sum(r["query_seconds"][p] for p in pack_paths))
    m["duckdb cold pack queries"] = median_of(rounds, "duckdb cold pack",
                                              lambda r: sum(r["query_seconds"].values()))
    csv_mib = csv.stat().st_size / 2**20
    targets = [
        ("seed rule from CSV: kqlite / DuckDB cold", m["kqlite seed"] / m["duckdb cold seed"], "<= 0.5"),
        ("seed rule from a store: kqlite (whole process) / DuckDB in-memory query",
         m["kqlite store seed"] / m["duckdb loaded seed query"], "<= 0.25"),
        ("seed rule from a store: kqlite query in the process / DuckDB in-memory query",
         m["kqlite store seed query"] / m["duckdb loaded seed query"], "<= 0.25"),
        ("seed rule over loaded data (sieve off): kqlite query in the process / DuckDB in-memory query",
         m["kqlite seed, sieve off query"] / m["duckdb loaded seed query"], "<= 0.25"),
        ("whole pack from CSV / seed rule from CSV (kqlite)", m["kqlite pack"] / m["kqlite seed"], "<= 1.5"),
        ("DuckDB cold pack, rules one after another / kqlite pack", m["duckdb cold pack"] / m["kqlite pack"],
         ">= 20"),
        ("kqlite pack peak RSS / CSV size", m["kqlite pack rss"] / csv_mib, "<= 1.0"),
        ("kqlite pack: one thread / two threads", m["kqlite pack 1 thread"] / m["kqlite pack 2 threads"], ">= 1.7"),
    ]
    return m, targets


def meets(value, target):
    op, limit = target.split()
    return value <= float(limit) if op == "<=" else value >= float(limit)


def print_report(args, csv, machine, medians, targets, rounds, checked, rules, started, ingest):
    csv_mib = csv.stat().st_size / 2**20
    print(f"## {args.rows:,} rows ({csv_mib:,.0f} MiB CSV), {len(rounds)} rounds\n")
    skips = "".join(f" --skip {name}" for name in args.skip)
    print(f"- command: `bench/hunt/run.py --rows {args.rows} --reps {args.reps} "
          f"--cold-pack-reps {args.cold_pack_reps}{skips}`")
    print(f"- date: {started} to {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"- machine: {machine['cpus']} CPUs ({machine['cpu']}), {machine['memory_gib']} GiB, {machine['kernel']}; "
          f"load average at the end {os.getloadavg()[0]:.1f}")
    print(f"- peers: DuckDB {machine['duckdb_node_api']} (npm @duckdb/node-api, node {machine['node']}), "
          f"SQLite {machine['sqlite3']} (Debian sqlite3)")
    print(f"- timing: wall times minus {machine['wrapper_ms']:.2f} ms, the median cost of the /usr/bin/time -v "
          "wrapper that reports peak RSS (measured before the rounds)")
    print(f"- rules: the seed rule ({SEED_RULE}) and the {len(rules)} process rules of rules/rmm; "
          f"{checked:,} result rows checked identical across engines\n")

    print("| case | median s | min s | max s | peak RSS MiB | CPU % | rounds |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for case in ("kqlite seed", "duckdb cold seed", "kqlite seed, sieve off", "kqlite pack", "kqlite pack 1 thread",
                 "kqlite pack 2 threads", "duckdb cold pack", "kqlite store seed", "kqlite store pack", "duckdb loaded", "sqlite"):
        values = [r[case]["seconds"] for r in rounds if case in r]
        if values:
            print(f"| {case} | {medians[case]:.3f} | {min(values):.3f} | {max(values):.3f} | "
                  f"{medians[case + ' rss']:,.0f} | {medians[case + ' cpu']:.0f} | {len(values)} |")

    print(f"\nkqlite ingest (once, before the rounds): {ingest['seconds']:.2f} s, peak RSS {ingest['rss_mib']:,.0f} MiB, "
          f"CPU {ingest['cpu_percent']:.0f}%, store {ingest['store_mib']:,.1f} MiB "
          f"({ingest['store_mib'] / csv_mib * 100:.1f}% of the CSV)")

    print("\n| step inside the process | median s |")
    print("|---|---:|")
    for name in ("kqlite seed load", "kqlite seed query", "kqlite seed, sieve off load", "kqlite seed, sieve off query",
                 "kqlite pack load", "kqlite pack query",
                 "kqlite store seed load", "kqlite store seed query", "kqlite store pack load", "kqlite store pack query",
                 "duckdb loaded setup", "duckdb loaded seed query", "duckdb loaded pack queries",
                 "duckdb cold pack queries", "sqlite setup", "sqlite seed query", "sqlite pack queries"):
        label = name.replace("setup", "load (CREATE TABLE / .import)")
        if name.startswith("kqlite"):
            label = label.replace(" query", " query (batch facts + rules)")
            label = label.replace("store seed load", "store seed load (opening the store)")
            label = label.replace("store pack load", "store pack load (opening the store)")
        if not math.isnan(medians[name]):
            print(f"| {label} | {medians[name]:.3f} |")

    print("\n| target | measured | target | status |")
    print("|---|---:|---:|---|")
    for label, value, target in targets:
        if math.isnan(value):
            status = "not measured"
        else:
            status = "met" if meets(value, target) else "not met"
        print(f"| {label} | {value:.2f} | {target} | {status} |")


def main():
    args = parse_args()
    if args.reps < 1 or args.rows < 1:
        fail("--rows and --reps must be at least 1")
    for tool in ("cc", "node", "sqlite3", "/usr/bin/time"):
        if not shutil.which(tool):
            fail(f"{tool} not found; install the bench dependencies (bench/hunt/install.sh)")
    if not (HERE / "node_modules" / "@duckdb" / "node-api").exists():
        fail("@duckdb/node-api is not installed; run `npm ci` in bench/hunt")
    if not os.access(args.kqlite, os.X_OK):
        fail(f"kqlite binary {args.kqlite} not found; run make first")

    started = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M}"
    build = ROOT / "build-bench"
    csv = generate_data(args, build)
    rules = pack.pack_rules()
    machine = machine_description()
    rounds, checked = [], 0
    global WRAPPER_SECONDS
    WRAPPER_SECONDS = calibrate_wrapper()
    machine["wrapper_ms"] = WRAPPER_SECONDS * 1000
    print(f"/usr/bin/time adds {WRAPPER_SECONDS * 1000:.2f} ms per process; taken off every wall time",
          file=sys.stderr)
    with tempfile.TemporaryDirectory(dir=csv.parent) as scratch:
        store = pathlib.Path(scratch) / "store"
        ingest = ingest_store(args, csv, store)
        print(f"ingest: {ingest['seconds']:.2f} s, store {ingest['store_mib']:.1f} MiB", file=sys.stderr)
        warm_up(args, csv, rules, pathlib.Path(scratch))
        for index in range(args.reps):
            results = one_round(args, csv, pathlib.Path(scratch), rules, index < args.cold_pack_reps, store,
                                duckdb_first=index % 2 == 1)
            checked = check_rows(results, rules)
            summary = ", ".join(f"{case} {r['seconds']:.2f} s" for case, r in results.items())
            print(f"round {index + 1}/{args.reps}: {summary}", file=sys.stderr)
            rounds.append(results)
    medians, targets = summarize(rounds, rules, csv)
    print_report(args, csv, machine, medians, targets, rounds, checked, rules, started, ingest)
    if args.json:
        for r in rounds:
            for case in r.values():
                case.pop("rows", None)
        pathlib.Path(args.json).write_text(json.dumps({"rows": args.rows, "machine": machine, "medians": medians,
                                                       "ingest": ingest, "rounds": rounds}, indent=1))


if __name__ == "__main__":
    main()
