#!/usr/bin/env python3
"""Check that loading only the columns a query reads changes no result.

Usage: tests/run_pushdown.py KQLITE [SHARED_DIR]

kqlite compiles the queries before loading and skips the cells of columns
they never read. Each query here runs twice over the bundled examples (whose
Defender export has six columns outside the built-in schema): once as is and
once with --all-columns, and the two outputs must be identical. The queries
cover every operator that passes columns through (extend, project-away,
project-rename, join, union, arg_max(*), distinct *, pack_all). With
SHARED_DIR, the Defender hunting corpus runs the same way.
"""
import pathlib
import subprocess
import sys

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
]


def run(kqlite, args):
    proc = subprocess.run([kqlite, "query", "-q", "--now", NOW, "--format", "jsonl"] + args,
                          capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def main():
    kqlite = sys.argv[1]
    cases = [(q, [q]) for q in QUERIES]
    shared = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
    if shared and (shared / "rules" / "m365d-hunting").is_dir():
        for path in sorted((shared / "rules" / "m365d-hunting").glob("*.kql")):
            cases.append((path.name, ["--query-file", str(path)]))
    failed = answered = 0
    for name, args in cases:
        skipped = run(kqlite, args + DATA)
        loaded = run(kqlite, ["--all-columns"] + args + DATA)
        if skipped[:2] != loaded[:2]:
            failed += 1
            print(f"FAIL {name}: the result changes when every column loads "
                  f"(exit {skipped[0]} vs {loaded[0]}, {len(skipped[1])} vs {len(loaded[1])} bytes)")
        elif skipped[0] == 0 and skipped[1].strip():
            answered += 1
    # The bundled rule pack through hunt, which plans the columns of every rule at once.
    hunt = [kqlite, "hunt", "-q", "--now", NOW, "--format", "jsonl"] + DATA
    skipped = subprocess.run(hunt, capture_output=True, text=True)
    loaded = subprocess.run(hunt[:2] + ["--all-columns"] + hunt[2:], capture_output=True, text=True)
    if (skipped.returncode, skipped.stdout) != (loaded.returncode, loaded.stdout) or not skipped.stdout:
        failed += 1
        print("FAIL hunt with the bundled pack: the hits change when every column loads, or there are none")
    print(f"column skipping: {len(cases)} queries and the bundled pack, {answered} queries with rows, "
          f"{failed} results changed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
