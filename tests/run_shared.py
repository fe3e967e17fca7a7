#!/usr/bin/env python3
"""Checks that need the reference material in ../shared (skipped when it is absent).

Usage: tests/run_shared.py KQLITE SHARED_DIR

- `kqlite rules` over the public RMM pack lists all 168 rules and rejects exactly
  the 62 that the official Kusto language service rejects (tests/shared/rmm-kusto-rejects.txt).
- The real Defender portal export of the ctf-Utili-Mystery set gives Kusto's count
  and time range.
Prints one line per check and a closing "N passed, N failed" line.
"""
import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))


def rules_linter(kqlite, shared):
    pack = shared / "rules" / "rmm"
    proc = subprocess.run([kqlite, "rules", "--format", "jsonl", str(pack)], capture_output=True, text=True)
    entries = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    check("rules: 168 rules listed", len(entries) == 168, f"got {len(entries)}")
    check("rules: exit status 3 when rules have errors", proc.returncode == 3, f"got {proc.returncode}")
    expected = {line.strip() for line in (ROOT / "tests/shared/rmm-kusto-rejects.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    rejected = {os.path.relpath(e["file"], pack) for e in entries if e["status"] == "error"}
    check("rules: the 62 rules Kusto rejects are errors", rejected == expected,
          f"extra {sorted(rejected - expected)[:5]}, missing {sorted(expected - rejected)[:5]}")
    ok = [e for e in entries if e["status"] == "ok"]
    check("rules: 106 rules compile", len(ok) == 106, f"got {len(ok)}")
    located = all(re.match(r".+:\d+:\d+: ", e["error"] or "") for e in entries if e["status"] == "error")
    check("rules: every error has file:line:col", located)
    by_file = {os.path.relpath(e["file"], pack): e for e in entries}
    dws = by_file.get("RMM/DWService/rmm_DWService_filesig.yaml")
    check("rules: DWService signature rule compiles", dws and dws["status"] == "ok")
    net = by_file.get("RMM/Ammyy/rmm_Ammyy_netconn.yaml", {})
    check("rules: AccountUpn error points at its line and column",
          (net.get("error") or "").endswith("rmm_Ammyy_netconn.yaml:23:7: unknown column 'AccountUpn' in DeviceNetworkEvents"
                                            " (did you mean 'InitiatingProcessAccountUpn'?)"),
          net.get("error"))
    sha = by_file.get("RMM/DWService/rmm_DWService_netconn.yaml", {})
    check("rules: Sha1 gets a did-you-mean SHA1", "did you mean 'SHA1'?" in (sha.get("error") or ""), sha.get("error"))
    level = by_file.get("RMM/Level/rmm_Level_createproc.yaml", {})
    check("rules: has_all has_any is a syntax error", "expected '(' after has_all" in (level.get("error") or ""),
          level.get("error"))


def ctf_export(kqlite, shared):
    csv = shared / "data/defender-export/ctf-Utili-Mystery-DeviceProcessEvents.csv"
    query = "DeviceProcessEvents | summarize n=count(), first=min(Timestamp), last=max(Timestamp)"
    proc = subprocess.run([kqlite, "query", "--quiet", "--format", "csv", query, str(csv)], capture_output=True, text=True)
    lines = proc.stdout.splitlines()
    check("ctf export: 369 rows, first and last timestamps",
          proc.returncode == 0 and lines == ["n,first,last", "369,2024-10-09T14:39:25.0000000Z,2024-10-09T15:15:58.0000000Z"],
          proc.stdout + proc.stderr)


def seed_rule(kqlite, shared):
    text = (shared / "seed/ammyy-rmm-detection.txt").read_text()
    query = text.split("KQL Query\n", 1)[1].split("\nid:", 1)[0]
    proc = subprocess.run([kqlite, "query", "--quiet", "--format", "jsonl", "--now", "2026-12-01T00:00:00Z", query,
                           str(ROOT / "examples/defender-export/DeviceProcessEvents.csv")], capture_output=True, text=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    devices = sorted(r["DeviceName"] for r in rows)
    check("seed rule over the example export finds the two Ammyy devices",
          proc.returncode == 0 and devices == ["eng-wks-077.corp.tailspintoys.com", "fin-wks-014.corp.tailspintoys.com"],
          proc.stdout + proc.stderr)


def main():
    kqlite, shared = sys.argv[1], pathlib.Path(sys.argv[2])
    rules_linter(kqlite, shared)
    ctf_export(kqlite, shared)
    seed_rule(kqlite, shared)
    failed = results.count(False)
    print(f"shared checks: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
