#!/usr/bin/env python3
"""Compare kqlite's compile verdicts and result schemas with the official Kusto language service.

Usage: tests/run_kqlcheck.py KQLITE SHARED_DIR [--list-differences | --prune]

The language service (npm package @kusto/language-service-next) is the oracle for
whether a query parses and binds and which columns and types it returns. This runs
it over every query of the public hunting corpus, the public RMM rule pack and the
docs' conformance examples, runs `kqlite rules --format jsonl` over the same
queries, and compares. Differences that are known and explained are listed in
tests/kqlcheck-known-differences.txt; the run fails on any other difference, and
on a listed one that no longer occurs.

The language service is taken from $KQL_CHECK_DIR, or installed with npm into
<build>/kql-check from SHARED_DIR/tools/kql-check/package.json. Without Node.js
or npm the check is skipped.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
KNOWN = ROOT / "tests" / "kqlcheck-known-differences.txt"
CHECKER = ROOT / "tests" / "kql-check" / "check-corpus.js"
# Workspace columns kqlite's built-in Defender tables add for Sentinel queries.
SENTINEL_COLUMNS = {"TenantId", "TimeGenerated", "SourceSystem", "Type", "MachineGroup"}


def language_service(kqlite, shared):
    env_dir = os.environ.get("KQL_CHECK_DIR")
    if env_dir and pathlib.Path(env_dir, "Kusto.Language.Bridge.js").exists():
        return env_dir
    if not shutil.which("node") or not shutil.which("npm"):
        return None
    install = pathlib.Path(kqlite).resolve().parent / "kql-check"
    package = install / "node_modules" / "@kusto" / "language-service-next"
    if not (package / "Kusto.Language.Bridge.js").exists():
        install.mkdir(parents=True, exist_ok=True)
        shutil.copy(shared / "tools" / "kql-check" / "package.json", install / "package.json")
        proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=install,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            print(f"npm install failed: {proc.stderr.strip()[:300]}")
            return None
    return str(package)


def extract_yaml_query(text):
    """The block-literal `query: |` value of a Sentinel rule file."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if re.match(r"^query:\s*\|", line):
            body = []
            indent = None
            for follow in lines[i + 1:]:
                if follow.strip() == "":
                    body.append("")
                    continue
                current = len(follow) - len(follow.lstrip(" "))
                if indent is None:
                    indent = current
                if current < indent:
                    break
                body.append(follow[indent:])
            return "\n".join(body).rstrip("\n") + "\n"
    return None


def gather(shared, workdir):
    """Returns {key: path of a .kql file} for every query of the three corpora."""
    files = {}
    for path in sorted((shared / "rules" / "m365d-hunting").glob("*.kql")):
        files["m365d/" + path.name] = path
    for path in sorted((shared / "conformance" / "docs").glob("*.kql")):
        files["conformance/" + path.name] = path
    rmm = shared / "rules" / "rmm"
    for path in sorted(rmm.rglob("*.yaml")):
        query = extract_yaml_query(path.read_text(encoding="utf-8"))
        if query is None:
            continue
        key = "rmm/" + str(path.relative_to(rmm))
        out = workdir / (re.sub(r"[^A-Za-z0-9_.-]", "_", key) + ".kql")
        out.write_text(query, encoding="utf-8")
        files[key] = out
    return files


def kusto_verdicts(service, files):
    env = dict(os.environ, KQL_CHECK_DIR=service)
    paths = [str(p) for p in files.values()]
    proc = subprocess.run(["node", str(CHECKER)] + paths, capture_output=True, text=True, env=env, timeout=900)
    by_path = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            by_path[entry["file"]] = entry
    return {key: by_path.get(str(path)) for key, path in files.items()}


def kqlite_verdicts(kqlite, files):
    by_path = {}
    paths = [str(p) for p in files.values()]
    for start in range(0, len(paths), 200):
        proc = subprocess.run([kqlite, "rules", "--format", "jsonl"] + paths[start:start + 200],
                              capture_output=True, text=True, timeout=600)
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                by_path[entry["file"]] = entry
    return {key: by_path.get(str(path)) for key, path in files.items()}


def difference(kusto, mine):
    if kusto is None or mine is None:
        return "no verdict"
    kusto_ok, mine_ok = kusto["ok"], mine["status"] == "ok"
    if kusto_ok and not mine_ok:
        return "kqlite rejects: " + (mine.get("error") or "")[-160:]
    if mine_ok and not kusto_ok:
        first = kusto["diagnostics"][0]["message"] if kusto["diagnostics"] else "?"
        return "Kusto rejects: " + first[:160]
    if not kusto_ok:
        return None
    expected = [(c["name"], c["type"]) for c in kusto.get("columns") or []]
    actual = [(c["name"], c["type"]) for c in mine.get("columns") or []]
    if actual != expected:
        trimmed = [c for c in actual if c[0] not in SENTINEL_COLUMNS or c in expected]
        if trimmed == expected:
            return None
        return f"columns differ: kusto {expected[:8]} kqlite {actual[:8]}"
    return None


def prune_known(still_failing):
    """Rewrites the known list without the entries that no longer fail (--prune)."""
    kept = []
    for line in KNOWN.read_text().splitlines():
        key = line.partition("\t")[0].strip()
        if line.startswith("#") or not line.strip() or key in still_failing:
            kept.append(line)
    KNOWN.write_text("\n".join(kept) + "\n")


def main():
    kqlite, shared = sys.argv[1], pathlib.Path(sys.argv[2])
    listing = "--list-differences" in sys.argv
    service = language_service(kqlite, shared)
    if not service:
        print("kql-check: skipped (no Node.js, npm or language service)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        files = gather(shared, pathlib.Path(tmp))
        kusto = kusto_verdicts(service, files)
        mine = kqlite_verdicts(kqlite, files)
        differences = {key: difference(kusto[key], mine[key]) for key in files}
    differences = {k: v for k, v in differences.items() if v}
    if listing:
        for key, reason in sorted(differences.items()):
            print(f"{key}\t{reason}")
        return 0
    if "--prune" in sys.argv:
        prune_known(set(differences))
        print(f"pruned {KNOWN.name}")
        return 0
    known = {}
    if KNOWN.exists():
        for line in KNOWN.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                key, _, reason = line.partition("\t")
                known[key.strip()] = reason.strip()
    failed = 0
    for key, reason in sorted(differences.items()):
        if key not in known:
            failed += 1
            print(f"FAIL {key}: {reason}")
    for key in sorted(known):
        if key not in differences:
            failed += 1
            print(f"FAIL {key}: agrees with Kusto now; remove it from {KNOWN.name}")
    agree = len(files) - len(differences)
    print(f"kql-check: kqlite agrees with the Kusto language service on {agree} of {len(files)} queries "
          f"({len(differences)} known differences)")
    print(f"kql-check: {len(files) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
