#!/usr/bin/env python3
"""Check kqlite's command-line forms: exit statuses, usage messages and option placement.

Usage: tests/run_cli.py KQLITE

Scripts and other tools call these forms, so they must keep working as the tool
grows. Prints one line per check and a closing "N passed, N failed" line; exits 1
when any check failed.
"""
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXPORT = ROOT / "examples" / "defender-export"
SEED = "DeviceProcessEvents | summarize n=count()"
NOW = "2026-12-01T00:00:00Z"

# (label, arguments, expected exit status, text stdout must contain, text stderr must contain)
CASES = [
    ("help", ["--help"], 0, "Usage", ""),
    ("version", ["--version"], 0, "kqlite ", ""),
    ("no command", [], 2, "", "Usage"),
    ("unknown command", ["frobnicate"], 2, "", "unknown command 'frobnicate'"),
    ("query without text", ["query"], 2, "", "missing the query text"),
    ("unknown option", ["query", "--bogus", "print 1"], 2, "", "unknown option '--bogus'"),
    ("hunt without data", ["hunt"], 2, "", "missing DATA"),
    ("print", ["query", "--format", "csv", "print x=1"], 0, "x\n1\n", ""),
    ("quiet after command", ["query", "-q", "--format", "csv", SEED, str(EXPORT)], 0, "n\n", ""),
    ("quiet before command", ["-q", "query", "--format", "csv", SEED, str(EXPORT)], 0, "n\n", ""),
    ("two flags before command", ["--quiet", "--strict", "query", "--format", "csv", "print y=2"], 0, "y\n2\n", ""),
    ("flag without command", ["-q"], 2, "", "unknown command"),
    ("threads before command", ["--threads", "2", "-q", "query", "--format", "csv", "print z=3"], 0, "z\n3\n", ""),
    ("help for a command", ["help", "ingest"], 0, "Usage: kqlite ingest", ""),
    ("help for an unknown command", ["help", "frobnicate"], 2, "", "unknown command 'frobnicate'"),
    ("functions help", ["functions", "--help"], 0, "Usage: kqlite functions", ""),
    ("functions unknown option", ["functions", "--bogus"], 2, "", "unknown argument '--bogus'"),
    ("query timer", ["query", "--timer", "-q", "--format", "csv", SEED, str(EXPORT)], 0, "n\n",
     "kqlite: timer: total "),
    # --now pins the rules' 5-day window on the examples' dates, so the rule finds its rows on any day.
    ("hunt timer", ["hunt", "--timer", "-q", "--now", NOW, "--rules", str(ROOT / "rules" / "rmm" / "Ammyy"),
                    "--format", "jsonl", str(EXPORT)], 0, "Ammyy", "kqlite: timer: rules "),
]


def main():
    kqlite = sys.argv[1]
    passed = failed = 0
    empty = tempfile.TemporaryDirectory()
    cases = CASES + [
        ("empty data folder", ["query", "--format", "csv", SEED, empty.name], 0, "n\n0\n",
         f"{empty.name}: the folder contains no files"),
    ]
    for label, args, status, out_text, err_text in cases:
        proc = subprocess.run([kqlite] + args, capture_output=True, text=True, timeout=120)
        problems = []
        if proc.returncode != status:
            problems.append(f"exit status {proc.returncode}, expected {status}")
        if out_text not in proc.stdout:
            problems.append(f"stdout lacks {out_text!r}: {proc.stdout[:200]!r}")
        if err_text not in proc.stderr:
            problems.append(f"stderr lacks {err_text!r}: {proc.stderr[:200]!r}")
        if label.startswith("quiet") and proc.stderr:
            problems.append(f"--quiet still printed {proc.stderr[:200]!r}")
        if label.endswith("timer"):
            # --timer only adds lines to stderr: the rows must equal those of the same run without it.
            plain = subprocess.run([kqlite] + [a for a in args if a != "--timer"], capture_output=True, text=True,
                                   timeout=120)
            if plain.stdout != proc.stdout:
                problems.append("--timer changed stdout")
            if "kqlite: timer: loading data " not in proc.stderr:
                problems.append(f"stderr lacks the load time: {proc.stderr[:300]!r}")
        if problems:
            failed += 1
            print(f"FAIL {label}: " + "; ".join(problems))
        else:
            passed += 1
            print(f"ok   {label}")
    empty.cleanup()
    print(f"cli: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
