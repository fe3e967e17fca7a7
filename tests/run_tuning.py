#!/usr/bin/env python3
"""End-to-end checks of exclusions, scheduled alerts and watch.

Usage: tests/run_tuning.py KQLITE

Runs kqlite over the fixtures in tests/e2e-tuning and compares with results
worked out by hand (the counts in the comments) and with an independent
Python model of a scheduled run. Prints one line per check and a closing
"N passed, N failed" line; exits 1 when any check failed.
"""
import collections
import datetime
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "e2e-tuning"
SHIPPED = ROOT / "rules" / "exclusions" / "ammyy-false-positives.yaml"
BUNDLED = ROOT / "rules" / "rmm" / "Ammyy" / "Ammyy_process.yaml"
ALL_TOOLS = ROOT / "rules" / "rmm" / "all-tools"
SEED = CASES / "exclusions" / "seed-rule.yaml"
SCENARIO_DATA = CASES / "exclusions" / "DeviceProcessEvents.csv"
REPLAY_RULE = CASES / "replay" / "rule.yaml"
REPLAY_DATA = CASES / "replay" / "data" / "DeviceProcessEvents.csv"
NOW = "2026-12-01T00:00:00Z"

results = []


def check(name, condition, detail=""):
    results.append(condition)
    print(("PASS " if condition else "FAIL ") + name + ("" if condition or not detail else f": {detail}"))


def kqlite(*args, **kwargs):
    return subprocess.run([KQLITE, *map(str, args)], capture_output=True, text=True, timeout=300, **kwargs)


def jsonl(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def hunt_rows(*extra):
    proc = kqlite("hunt", "-q", "--now", NOW, "--format", "jsonl", *extra, SCENARIO_DATA)
    return proc, jsonl(proc.stdout)


# ---- exclusions ----

ATTACK_DEVICES = {"fin-wks-014.corp.tailspintoys.com": (1, [31001]),
                  "eng-wks-077.corp.tailspintoys.com": (1, [31003]),
                  "lab-wks-031.corp.tailspintoys.com": (1, [31004])}
# Rows each shipped entry suppresses in the scenario data, counted by hand:
# ITSupport's Ammyy start (its cmd.exe does not count), two help-desk sessions in the
# rule's 5 days (not the one from Nov 20), three scheduled updates (not the user's
# "AA_v3.exe -update" from cmd.exe), msiexec and gpscript deployments, one lab device.
EXPECTED_SUPPRESSED = {"it-admin-remote-support": 1, "help-desk-sessions": 2, "scheduled-update-job": 3,
                       "managed-deployment": 2, "it-test-lab": 1}


def check_exclusions():
    proc, rows = hunt_rows("--rules", BUNDLED)
    check("exclusions: without them the rule reports 11 devices", proc.returncode == 0 and len(rows) == 11,
          proc.stderr)

    for rule in (BUNDLED, SEED):
        proc, rows = hunt_rows("--rules", rule, "--exclusions", SHIPPED)
        devices = {r["row"]["DeviceName"]: (r["row"]["Count"], r["row"]["Report"]) for r in rows}
        check(f"exclusions: {rule.name} keeps exactly the attack rows", devices == ATTACK_DEVICES,
              f"{devices} / {proc.stderr}")
        for name, count in EXPECTED_SUPPRESSED.items():
            expected = f"'{name}' ({SHIPPED}:"
            line = next((l for l in proc.stderr.splitlines() if expected in l), "")
            check(f"exclusions: {rule.name} summary counts {count} for {name}",
                  line.endswith(f"{count} row{'s' if count != 1 else ''} in '{rows[0]['rule']['name']}'"), line)
        check(f"exclusions: {rule.name} summary total", "exclusions: 9 rows suppressed by 5 entries" in proc.stderr,
              proc.stderr)

    proc, rows = hunt_rows("--rules", BUNDLED, "--exclusions", SHIPPED, "--show-suppressed")
    by_entry = collections.defaultdict(list)
    for r in rows:
        if "suppressed_by" in r:
            by_entry[r["suppressed_by"]["name"]].append(r["row"])
    counts = {name: len(found) for name, found in by_entry.items()}
    check("exclusions: --show-suppressed lists each suppressed row", counts == EXPECTED_SUPPRESSED, str(counts))
    update_reports = sorted(row["ReportId"] for row in by_entry["scheduled-update-job"])
    check("exclusions: the update job suppressed the three scheduled runs", update_reports == [31007, 31008, 31009],
          str(update_reports))
    check("exclusions: a result-scope row is the rule's own row",
          [row["DeviceName"] for row in by_entry["it-test-lab"]] == ["it-lab-007.corp.tailspintoys.com"])

    proc = kqlite("hunt", "-q", "--now", NOW, "--rules", BUNDLED, "--exclusions", SHIPPED, "--show-suppressed",
                  "--format", "csv", SCENARIO_DATA)
    lines = proc.stdout.splitlines()
    check("exclusions: csv gets a suppressed_by column", lines[0] == "rule_id,rule_name,severity,row,suppressed_by"
          and sum(1 for l in lines[1:] if not l.endswith(',""')) == 9, proc.stdout[:300])
    check_expiry()
    check_exclusion_errors()
    check_source_scope_with_summarize()


def write(path, text):
    path.write_text(text)
    return path


def check_expiry():
    with tempfile.TemporaryDirectory() as folder:
        entry = ("exclusions:\n  - name: lab\n    rules: fe975996-9536-5161-a65e-f2fc4223384d\n"
                 "    where: DeviceName startswith \"it-lab-\"\n    reason: lab\n    expires: 2026-11-30\n")
        path = write(pathlib.Path(folder) / "expiring.yaml", entry)
        for now, applied in (("2026-11-30T23:59:59.9999999Z", True), ("2026-12-01T00:00:00Z", False)):
            proc = kqlite("hunt", "-q", "--now", now, "--format", "jsonl", "--rules", BUNDLED, "--exclusions", path,
                          SCENARIO_DATA)
            lab = [r for r in jsonl(proc.stdout) if r["row"]["DeviceName"].startswith("it-lab-")]
            check(f"exclusions: a date expiry {'still applies' if applied else 'ends'} at {now}",
                  (len(lab) == 0) == applied, proc.stderr)
        check("exclusions: the summary says when an entry expired", "expired on 2026-11-30; not applied" in proc.stderr,
              proc.stderr)


def check_source_scope_with_summarize():
    """A source-scope entry on a rule that summarizes runs its prefix with the normal limits, not zero."""
    with tempfile.TemporaryDirectory() as folder:
        entry = ("exclusions:\n  - name: chrome\n    rules: 0eb541d5-dc0e-539a-89ec-31bfaee6600d\n"
                 "    scope: source\n    where: InitiatingProcessFileName =~ \"chrome.exe\"\n    reason: browser\n")
        path = write(pathlib.Path(folder) / "chrome.yaml", entry)
        proc = kqlite("hunt", "-q", "--now", NOW, "--format", "jsonl", "--rules", ALL_TOOLS, "--exclusions", path,
                      ROOT / "examples")
        check("exclusions: source scope before a summarize exits 0", proc.returncode == 0, proc.stderr)
        check("exclusions: source scope before a summarize suppresses rows",
              "'chrome' (" in proc.stderr and "2 rows in 'RMM tools - network connection to any known RMM host'"
              in proc.stderr, proc.stderr)


def check_exclusion_errors():
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        wrong = write(folder / "wrong.yaml", "- name: by-account\n  rules: fe975996-9536-5161-a65e-f2fc4223384d\n"
                      "  where: AccountName in~ (\"ITSupport\")\n  reason: the result has no AccountName\n")
        proc = kqlite("hunt", "-q", "--now", NOW, "--rules", BUNDLED, "--exclusions", wrong, SCENARIO_DATA)
        check("exclusions: a column the result lacks fails the rule with exit 3", proc.returncode == 3, proc.stderr)
        check("exclusions: the error names the entry, file and line",
              f"{wrong}:1:3: error: exclusion 'by-account' cannot be applied to rule" in proc.stderr, proc.stderr)
        check("exclusions: the error points at the column in the file",
              f"{wrong}:3:10: error: unknown column 'AccountName' in RuleResult" in proc.stderr, proc.stderr)
        check("exclusions: the hint lists the result's columns and the source scope",
              "the result has the columns DeviceId, DeviceName, FirstSeen, LastSeen, Report, Count; use 'scope: source'"
              in proc.stderr, proc.stderr)
        check("exclusions: no rows are printed for the failed rule", "fin-wks-014" not in proc.stdout, proc.stdout)

        missing = write(folder / "missing.yaml", "exclusions:\n  - rules: '*'\n    where: Count > 1\n")
        proc = kqlite("hunt", "-q", "--now", NOW, "--rules", BUNDLED, "--exclusions", missing, SCENARIO_DATA)
        check("exclusions: an entry without a reason stops the hunt",
              proc.returncode == 3 and f"{missing}:2:5: error: exclusion has no 'reason'" in proc.stderr
              and proc.stdout == "", proc.stderr)

        piped = write(folder / "piped.yaml", "- rules: '*'\n  where: Count > 1 | take 1\n  reason: r\n")
        proc = kqlite("hunt", "-q", "--now", NOW, "--rules", BUNDLED, "--exclusions", piped, SCENARIO_DATA)
        check("exclusions: a predicate with a pipe is rejected",
              proc.returncode == 3 and "must be one predicate, without '|'" in proc.stderr, proc.stderr)

        nomatch = write(folder / "nomatch.yaml", "- rules: 'no-such-rule'\n  where: Count > 1\n  reason: r\n")
        proc = kqlite("hunt", "-q", "--now", NOW, "--rules", BUNDLED, "--exclusions", nomatch, SCENARIO_DATA)
        check("exclusions: an entry matching no rule is reported",
              proc.returncode == 0 and "matches no loaded rule" in proc.stdout, proc.stdout)

        broken = write(folder / "broken.yaml", "exclusions:\n  - rules: [a\n")
        proc = kqlite("hunt", "-q", "--now", NOW, "--rules", BUNDLED, "--exclusions", broken, SCENARIO_DATA)
        check("exclusions: invalid YAML is an error with its position",
              proc.returncode == 3 and f"{broken}:3:1: error: invalid YAML" in proc.stderr, proc.stderr)


# ---- scheduled replay ----

TICK = datetime.timedelta(microseconds=0.1)


def parse_time(text):
    """Parses ISO datetimes with 7 fractional digits into (datetime, ticks of 100 ns) for exact comparison."""
    main, fraction = text.rstrip("Z").split(".") if "." in text else (text.rstrip("Z"), "0")
    base = datetime.datetime.fromisoformat(main).replace(tzinfo=datetime.timezone.utc)
    return base, int(fraction.ljust(7, "0"))


def ticks(text):
    base, fraction = parse_time(text)
    return int(base.timestamp()) * 10_000_000 + fraction


def format_ticks(value):
    seconds, fraction = divmod(value, 10_000_000)
    base = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return base.strftime("%Y-%m-%dT%H:%M:%S.") + f"{fraction:07d}Z"


def model_alerts(runs):
    """Independent model: each run sees rows in (t - 5d, t]; one alert per device with an Ammyy start."""
    import csv
    events = []
    with open(REPLAY_DATA, newline="") as f:
        for row in csv.DictReader(f):
            if "Ammyy" in row["ProcessVersionInfoCompanyName"]:
                events.append((ticks(row["Timestamp"]), row["DeviceName"]))
    period = 5 * 24 * 3600 * 10_000_000
    expected = set()
    for t in runs:
        seen = collections.defaultdict(list)
        for when, device in events:
            if t - period < when <= t:
                seen[device].append(when)
        for device, times in seen.items():
            expected.add((format_ticks(t), device, len(times), format_ticks(min(times)), format_ticks(max(times))))
    return expected


def alert_key(alert):
    row = alert["Rows"][0]
    return (alert["TimeGenerated"], row["DeviceName"], row["Count"], row["FirstSeen"], row["LastSeen"])


def replay_runs():
    start = ticks("2026-11-23T01:00:00Z")
    return [start + i * 3600 * 10_000_000 for i in range(168)]


def hunt_replay(state):
    alerts = []
    for t in replay_runs():
        proc = kqlite("hunt", "-q", "--format", "alerts", "--state", state, "--now", format_ticks(t),
                      "--rules", REPLAY_RULE, REPLAY_DATA)
        if proc.returncode != 0:
            return None, proc.stderr
        alerts += jsonl(proc.stdout)
    return alerts, ""


def check_replay():
    with tempfile.TemporaryDirectory() as folder:
        state = pathlib.Path(folder) / "state"
        alerts, error = hunt_replay(state)
        check("replay: 168 hourly runs complete", alerts is not None, error)
        if alerts is None:
            return []
        keys = [alert_key(a) for a in alerts]
        # By hand: fin-wks-014 has starts on Nov 23 10:30 and Nov 27 05:00, so runs from
        # Nov 23 11:00 through Nov 30 00:00 see it (158 runs); eng-wks-077's start on Nov 25
        # 02:15 is seen from Nov 25 03:00 (118 runs). Its start at Nov 30 00:00:00.0000001 is
        # after the last run, and the Nov 17 start before the first window. mkt-wks-022's
        # start at Nov 24 00:00 is in the runs from Nov 24 00:00 up to, but not including,
        # Nov 29 00:00, whose window starts at that very instant (120 runs).
        per_device = collections.Counter(k[1] for k in keys)
        check("replay: 396 alerts, 158 for fin-wks-014, 118 for eng-wks-077, 120 for mkt-wks-022",
              len(keys) == 396 and per_device == {"fin-wks-014.corp.tailspintoys.com": 158,
                                                  "eng-wks-077.corp.tailspintoys.com": 118,
                                                  "mkt-wks-022.corp.tailspintoys.com": 120}, str(per_device))
        last_mkt = max(k[0] for k in keys if k[1].startswith("mkt-"))
        check("replay: a start at the window's first instant is outside it", last_mkt == "2026-11-28T23:00:00.0000000Z",
              last_mkt)
        fin_counts = collections.Counter(k[2] for k in keys if k[1].startswith("fin-"))
        check("replay: fin-wks-014 counts two starts in the 30 runs from Nov 27 05:00 to Nov 28 10:00",
              fin_counts == {1: 128, 2: 30}, str(fin_counts))
        first_two = min(k[0] for k in keys if k[2] == 2)
        check("replay: a start at the run instant is in that run's window", first_two == "2026-11-27T05:00:00.0000000Z",
              first_two)
        check("replay: each alert once", len(set(keys)) == len(keys) and
              len({a["SystemAlertId"] for a in alerts}) == len(alerts))
        check("replay: alerts equal the model of Sentinel's window", set(keys) == model_alerts(replay_runs()))
        sample = next(a for a in alerts if a["TimeGenerated"] == "2026-11-27T05:00:00.0000000Z"
                      and a["Rows"][0]["DeviceName"].startswith("fin-"))
        check("replay: alert name, entities and custom details follow the rule",
              sample["AlertName"] == "Ammyy Admin on fin-wks-014.corp.tailspintoys.com"
              and sample["AlertSeverity"] == "High"
              and sample["Entities"] == [{"$id": "2", "HostName": "fin-wks-014", "DnsDomain": "corp.tailspintoys.com",
                                          "Type": "host"}]
              and sample["ExtendedProperties"]["Custom Details"] == {"Starts": ["2"]}
              and sample["StartTime"] == "2026-11-23T10:30:00.0000000Z"
              and sample["ExtendedProperties"]["Query Start Time UTC"] == "2026-11-22T05:00:00.0000000Z",
              json.dumps(sample)[:600])
        again, error = hunt_replay(state)
        check("replay: the same steps again emit nothing (--state)", again == [], error or str(len(again or [])))
        return alerts


# ---- watch ----

def watch_command(state, output, data, until="2026-11-30T00:00:00Z", interval="0"):
    return [KQLITE, "watch", "-q", "--rules", REPLAY_RULE, "--state", state, "--output", output,
            "--now", "2026-11-23T00:30:00Z", "--clock-step", "1h", "--until", until, "--interval", interval, data]


def check_watch(replayed):
    expected_ids = sorted(a["SystemAlertId"] for a in replayed)
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        output = folder / "alerts.jsonl"
        proc = subprocess.run(watch_command(folder / "state", output, REPLAY_DATA), capture_output=True, text=True,
                              timeout=300)
        alerts = jsonl(output.read_text()) if output.exists() else []
        check("watch: a replay of the week ends at --until with exit 0",
              proc.returncode == 0 and "stopped at --until" in proc.stderr, proc.stderr[-500:])
        check("watch: the replay emits the same alerts as hunt", sorted(a["SystemAlertId"] for a in alerts) == expected_ids,
              f"{len(alerts)} alerts")
        reference = output.read_text()
        check_watch_restarts(folder, reference)
        check_watch_growth(folder, expected_ids)
        check_watch_errors(folder)


def check_watch_restarts(folder, reference):
    """Kills watch with SIGKILL at three points and restarts it; the output must equal the uninterrupted one."""
    state, output = folder / "state-kill", folder / "alerts-kill.jsonl"
    kills = 0
    for stop_after in (40, 130, 215):
        process = subprocess.Popen(watch_command(state, output, REPLAY_DATA, interval="0.001"),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while process.poll() is None:
            lines = output.read_text().count("\n") if output.exists() else 0
            if lines >= stop_after:
                process.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.002)
        process.wait()
    proc = subprocess.run(watch_command(state, output, REPLAY_DATA), capture_output=True, text=True, timeout=300)
    text = output.read_text()
    check(f"watch: killed {kills} times and restarted, no duplicate and no gap", text == reference,
          f"{text.count(chr(10))} lines against {reference.count(chr(10))}; {proc.stderr[-300:]}")

    # A kill between writing a run's alerts and saving the state leaves alerts the state does not
    # record. Simulated here: stop at Nov 26, then append the start of the next run's output.
    state, output = folder / "state-cut", folder / "alerts-cut.jsonl"
    subprocess.run(watch_command(state, output, REPLAY_DATA, until="2026-11-26T00:00:00Z"), capture_output=True,
                   timeout=300)
    with open(output, "a") as f:
        f.write('{"AlertName": "from a run that did not finish"')
    proc = subprocess.run(watch_command(state, output, REPLAY_DATA), capture_output=True, text=True, timeout=300)
    check("watch: output of an unfinished run is cut back and the run made again",
          output.read_text() == reference and "removing 46 bytes of alerts written by an unfinished run" in proc.stderr,
          proc.stderr[-400:])


def check_watch_growth(folder, expected_ids):
    """Appends to a growing CSV file and adds a JSON-lines file while watch runs."""
    data = folder / "incoming"
    data.mkdir()
    lines = REPLAY_DATA.read_text().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    eng = [r for r in rows if "eng-wks-077" in r or "mkt-wks-022" in r]
    fin = [r for r in rows if r not in eng]
    growing = data / "DeviceProcessEvents.csv"
    growing.write_text(header + "".join(fin[:5]) + fin[5][:20])  # ends inside a record
    output = folder / "alerts-growth.jsonl"
    process = subprocess.Popen(watch_command(folder / "state-growth", output, data, interval="0.05"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.02)
    with open(growing, "a") as f:
        f.write(fin[5][20:] + "".join(fin[6:]))
    columns = header.strip().lstrip("\ufeff").split(",")
    import csv
    with open(data / "DeviceProcessEvents.jsonl", "w") as f:
        for row in csv.reader(eng):
            f.write(json.dumps(dict(zip(columns, row))) + "\n")
    _, log = process.communicate(timeout=300)
    alerts = jsonl(output.read_text()) if output.exists() else []
    check("watch: follows a growing file and a new file", sorted(a["SystemAlertId"] for a in alerts) == expected_ids,
          f"{len(alerts)} alerts; {log[-400:]}")


def check_watch_errors(folder):
    proc = kqlite("watch", "--rules", REPLAY_RULE, REPLAY_DATA)
    check("watch: --state is required", proc.returncode == 2 and "missing --state DIR" in proc.stderr, proc.stderr)
    state = folder / "state-locked"
    first = subprocess.Popen(watch_command(state, folder / "a.jsonl", REPLAY_DATA, until="2026-12-30T00:00:00Z",
                                         interval="0.2"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    second = subprocess.run(watch_command(state, folder / "b.jsonl", REPLAY_DATA), capture_output=True, text=True,
                            timeout=60)
    check("watch: a second process on the same state folder is refused",
          second.returncode == 3 and "is in use by another kqlite process" in second.stderr, second.stderr)
    first.send_signal(signal.SIGTERM)
    _, log = first.communicate(timeout=60)
    check("watch: SIGTERM stops it with a log line", first.returncode == 0 and "stopped on SIGTERM" in log, log[-300:])
    bad = folder / "state-bad"
    bad.mkdir()
    (bad / "state.json").write_text("{not json")
    proc = subprocess.run(watch_command(bad, folder / "c.jsonl", REPLAY_DATA), capture_output=True, text=True,
                          timeout=60)
    check("watch: a corrupt state file is an error naming it",
          proc.returncode == 3 and f"{bad}/state.json:1: invalid state file" in proc.stderr, proc.stderr)


def main():
    global KQLITE
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    KQLITE = str(pathlib.Path(sys.argv[1]).resolve())
    check_exclusions()
    replayed = check_replay()
    if replayed:
        check_watch(replayed)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
