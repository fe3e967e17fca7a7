#!/usr/bin/env python3
"""Generate kqlite's RMM rule pack from the facts table.

Reads rules/facts/rmm-tools.json and writes one Microsoft Sentinel analytics
rule per tool and event kind:

    rules/rmm/<tool>/<tool>_process.yaml    DeviceProcessEvents, PE version info
    rules/rmm/<tool>/<tool>_network.yaml    DeviceNetworkEvents, RemoteUrl + initiating process
    rules/rmm/<tool>/<tool>_signature.yaml  DeviceFileCertificateInfo, Signer
    rules/rmm/all-tools/all-tools_network.yaml   every tool's domains in one rule

Rule ids are UUIDv5 values derived from the tool key and the kind, so they stay
the same across runs. Generated YAML files that no longer correspond to a fact
are removed. With --check, nothing is written and the exit status is 1 when
any file is out of date.

Uses the Python standard library only.
"""

import argparse
import json
import pathlib
import sys
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
FACTS = ROOT / "rules" / "facts" / "rmm-tools.json"
OUTPUT = ROOT / "rules" / "rmm"

# Namespace for rule ids: uuid5(NAMESPACE_URL, "kqlite:rules/rmm").
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "kqlite:rules/rmm")
RULE_VERSION = "1.0.0"
QUERY_FREQUENCY = "1d"
QUERY_PERIOD = "5d"
SEVERITY = {"process": "Medium", "network": "Medium", "signature": "Low", "all-network": "Low"}
DATA_TYPE = {
    "process": "DeviceProcessEvents",
    "network": "DeviceNetworkEvents",
    "signature": "DeviceFileCertificateInfo",
}
KIND_TITLE = {
    "process": "process creation",
    "network": "network connection",
    "signature": "file signed by the vendor",
}
# Widest value list kept on one query line, in characters.
LIST_WIDTH = 72
FACTS_SOURCE = "https://github.com/jischell-msft/RemoteManagementMonitoringTools"

TIME_WINDOW = ["let Time_start = now(-5d);", "let Time_end = now();", "//"]
SUMMARY_HEAD = "| summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp),"
SUMMARY_AGGREGATES = "    Report=make_set(ReportId), Count=count() by "


def kql_string(text):
    """Return text as a KQL string literal."""
    if "\\" in text:
        if "'" in text:
            raise ValueError(f"cannot quote {text!r}: it contains both a backslash and a quote")
        return "@'" + text + "'"
    if "'" in text:
        return '"' + text.replace('"', '\\"') + '"'
    return "'" + text + "'"


def term_test(column, values, one_operator="has", many_operator="has_any"):
    """Return `column has 'v'` for one value, `column has_any ('a', 'b')` for several.

    A list longer than LIST_WIDTH characters gets one value per line; the
    continuation lines are indented for their place under `| where`.
    """
    if len(values) == 1:
        return f"{column} {one_operator} {kql_string(values[0])}"
    quoted = [kql_string(v) for v in values]
    if len(", ".join(quoted)) <= LIST_WIDTH:
        return f"{column} {many_operator} ({', '.join(quoted)})"
    items = ",\n".join("        " + q for q in quoted)
    return f"{column} {many_operator} (\n{items}\n    )"


def any_of(tests):
    """Return tests joined with `or` in parentheses, one per line when the line gets long."""
    joined = " or ".join(tests)
    if len(joined) <= 2 * LIST_WIDTH or any("\n" in test for test in tests):
        return "(" + joined + ")"
    return "(" + "\n        or ".join(tests) + ")"


def identity_groups(tool, prefix, only=None):
    """Return the process identity tests of a tool, one string per group.

    prefix is "" for DeviceProcessEvents columns and "InitiatingProcess" for the
    initiating process of a network event. only restricts the groups to
    "company" or "product" (the tool's network_identity).
    """
    version = prefix + "VersionInfo" if prefix else "ProcessVersionInfo"
    file_column = prefix + "FileName" if prefix else "FileName"
    folder_column = prefix + "FolderPath" if prefix else "FolderPath"
    groups = []
    if tool.get("companies") and only in (None, "company"):
        groups.append(term_test(version + "CompanyName", tool["companies"]))
    if (tool.get("products") or tool.get("descriptions")) and only in (None, "product"):
        tests = []
        if tool.get("products"):
            tests.append(term_test(version + "ProductName", tool["products"]))
        if tool.get("descriptions"):
            tests.append(term_test(version + "FileDescription", tool["descriptions"]))
        groups.append(tests[0] if len(tests) == 1 else any_of(tests))
    if only is None:
        if tool.get("original_files"):
            groups.append(term_test(version + "OriginalFileName", tool["original_files"], "=~", "in~"))
        names = []
        if tool.get("file_names"):
            names.append(term_test(file_column, tool["file_names"], "=~", "in~"))
        for file_prefix in tool.get("file_prefixes", []):
            names.append(f"{file_column} startswith {kql_string(file_prefix)}")
        if names:
            groups.append(names[0] if len(names) == 1 else any_of(names))
        if tool.get("folders"):
            groups.append(term_test(folder_column, tool["folders"], "has", "has_any"))
    return groups


def identity_condition(tool, prefix, only=None):
    """Return the tests that make a process this tool, as a list of and-ed lines."""
    groups = identity_groups(tool, prefix, only)
    version = prefix + "VersionInfo" if prefix else "ProcessVersionInfo"
    if tool.get("match", "all") == "any" and len(groups) > 1:
        groups = [any_of(groups)]
    mode = tool.get("version_info", "present")
    if mode == "may-be-empty":
        groups = [any_of([" and ".join(groups), f"isempty({version}CompanyName)"])]
    elif mode == "empty":
        groups += [f"isempty({version}CompanyName)", f"isempty({version}ProductName)"]
    return groups


def where_block(tests):
    """Return `| where a` followed by `    and b` lines."""
    lines = []
    for index, test in enumerate(tests):
        lines.append(("| where " if index == 0 else "    and ") + test)
    return lines


def signed_files_let(tool):
    """Return the let statement that lists the SHA1 of files signed by the tool's vendor."""
    return [
        "// Files signed by the vendor, from certificate records of any age.",
        "let SignedFiles = DeviceFileCertificateInfo",
        "    " + where_block([term_test("Signer", tool["signers"])])[0] + ";",
    ]


def process_query(tool):
    lines = list(TIME_WINDOW)
    if tool.get("match") == "signed-files":
        lines[2:2] = signed_files_let(tool)
        tests = ["SHA1 has_any ((SignedFiles | distinct SHA1))"]
    else:
        tests = identity_condition(tool, "")
    lines += ["DeviceProcessEvents", "| where Timestamp between (Time_start..Time_end)"]
    lines += where_block(tests)
    lines += [SUMMARY_HEAD, SUMMARY_AGGREGATES + "DeviceId, DeviceName"]
    return lines


def network_identity(tool):
    if tool.get("match") == "signed-files":
        return ["InitiatingProcessSHA1 has_any ((SignedFiles | distinct SHA1))"]
    only = tool.get("network_identity", "same")
    return identity_condition(tool, "InitiatingProcess", None if only == "same" else only)


def network_query(tool):
    lines = list(TIME_WINDOW)
    if tool.get("match") == "signed-files":
        lines[2:2] = signed_files_let(tool)
    domains = tool.get("domains", []) + tool.get("domains_with_identity", [])
    tests = [term_test("RemoteUrl", domains)] if domains else []
    tests += network_identity(tool)
    lines += ["DeviceNetworkEvents", "| where Timestamp between (Time_start..Time_end)"]
    lines += where_block(tests)
    lines += [
        SUMMARY_HEAD,
        SUMMARY_AGGREGATES + "DeviceId, DeviceName,",
        "    InitiatingProcessAccountUpn, InitiatingProcessFileName, RemoteUrl",
    ]
    return lines


def signature_query(tool):
    lines = list(TIME_WINDOW)
    lines += ["DeviceFileCertificateInfo", "| where Timestamp between (Time_start..Time_end)"]
    lines += where_block([term_test("Signer", tool["signers"])])
    lines += [SUMMARY_HEAD, SUMMARY_AGGREGATES + "DeviceId, DeviceName, Signer"]
    return lines


def all_tools_query(tools):
    rows = []
    for tool in tools:
        for domain in tool.get("domains", []):
            rows.append(f"    {kql_string(domain)}, {kql_string(tool['display'])},")
    rows[-1] = rows[-1].rstrip(",")
    lines = ["let RmmDomains = datatable(Domain:string, Tool:string) ["]
    lines += rows
    lines += ["];"] + list(TIME_WINDOW)
    lines += [
        "DeviceNetworkEvents",
        "| where Timestamp between (Time_start..Time_end)",
        "| where RemoteUrl has_any ((RmmDomains | distinct Domain))",
        SUMMARY_HEAD,
        SUMMARY_AGGREGATES + "DeviceId, DeviceName,",
        "    InitiatingProcessAccountUpn, InitiatingProcessFileName, RemoteUrl",
    ]
    return lines


def default_kinds(tool):
    has_identity = bool(identity_groups(tool, "")) or tool.get("match") == "signed-files"
    kinds = []
    if has_identity:
        kinds.append("process")
    if has_identity or tool.get("domains"):
        kinds.append("network")
    if tool.get("signers"):
        kinds.append("signature")
    return kinds


def identity_basis(tool, only=None):
    """Return the words for what identifies a process of the tool, e.g. "its company name"."""
    if tool.get("match") == "signed-files":
        return "the SHA1 of files signed by its publisher"
    parts = []
    if tool.get("companies") and only in (None, "company"):
        parts.append("company name")
    if (tool.get("products") or tool.get("descriptions")) and only in (None, "product"):
        parts.append("product name")
    if only is None:
        if tool.get("original_files"):
            parts.append("original file name")
        if tool.get("file_names") or tool.get("file_prefixes"):
            parts.append("file name")
        if tool.get("folders"):
            parts.append("install folder")
    joiner = " or " if tool.get("match") == "any" else " and "
    words = "its " + joiner.join(parts)
    if tool.get("version_info") == "empty":
        words += ", with empty version information"
    elif tool.get("version_info") == "may-be-empty":
        words += ", or an empty company name"
    return words


def describe(tool, kind):
    """Return the rule description paragraphs for one tool and kind."""
    name = tool["display"]
    has_domains = bool(tool.get("domains") or tool.get("domains_with_identity"))
    if kind == "process":
        summary = (f"Reports devices that started a process of {name}, found by "
                f"{identity_basis(tool)}.")
    elif kind == "network" and not network_identity(tool):
        summary = (f"Reports devices where any process connected to a host of {name}'s service, "
                "found by the remote host alone.")
    elif kind == "network":
        only = tool.get("network_identity", "same")
        basis = identity_basis(tool, None if only == "same" else only)
        if has_domains:
            summary = (f"Reports devices where a process of {name} connected to the tool's service, "
                    f"found by the remote host and the initiating process's identity ({basis}).")
        else:
            summary = (f"Reports devices where a process of {name} made any network connection, "
                    f"found by the initiating process's identity ({basis}).")
    else:
        summary = (f"Reports devices that hold a file signed by the publisher of {name}. The file "
                "may never have run.")
    paragraphs = [
        summary,
        (f"{name} is a remote monitoring and management (RMM) tool. Administrators use it "
         "legitimately, and attackers install the same tools to keep remote access and a "
         "command-and-control channel (MITRE ATT&CK T1219). Check that the tool was deployed "
         "by IT on this device."),
    ]
    if tool.get("notes"):
        paragraphs.append(tool["notes"])
    paragraphs.append(f"Generated by kqlite from facts collected in {FACTS_SOURCE} (MIT licence).")
    return paragraphs


def yaml_scalar(text):
    """Return text as a YAML flow scalar, quoted when plain style would change its meaning."""
    plain_safe = (text and text[0] not in "-?:,[]{}#&*!|>'\"%@`" and ": " not in text
                  and " #" not in text and text == text.strip())
    return text if plain_safe else json.dumps(text, ensure_ascii=False)


def rule_yaml(rule_id, name, description, severity, data_types, query_lines):
    lines = [
        f"id: {rule_id}",
        f"name: {yaml_scalar(name)}",
        "description: |",
    ]
    for index, paragraph in enumerate(description):
        if index:
            lines.append("")
        lines.append("  " + paragraph)
    lines += [
        f"severity: {severity}",
        "requiredDataConnectors:",
        "  - connectorId: MicrosoftThreatProtection",
        "    dataTypes:",
    ]
    lines += [f"      - {data_type}" for data_type in data_types]
    lines += [
        f"queryFrequency: {QUERY_FREQUENCY}",
        f"queryPeriod: {QUERY_PERIOD}",
        "triggerOperator: gt",
        "triggerThreshold: 0",
        "tactics:",
        "  - CommandAndControl",
        "relevantTechniques:",
        "  - T1219",
        "query: |",
    ]
    for line in query_lines:
        lines += ["  " + part for part in line.split("\n")]
    lines += [
        "entityMappings:",
        "  - entityType: Host",
        "    fieldMappings:",
        "      - identifier: FullName",
        "        columnName: DeviceName",
        "kind: Scheduled",
        f"version: {RULE_VERSION}",
    ]
    return "\n".join(lines) + "\n"


def tool_rules(tool):
    """Yield (relative path, YAML text) for every rule of one tool."""
    key = tool["tool"]
    builders = {"process": process_query, "network": network_query, "signature": signature_query}
    for kind in tool.get("kinds") or default_kinds(tool):
        data_types = [DATA_TYPE[kind]]
        if tool.get("match") == "signed-files" and kind != "signature":
            data_types.append("DeviceFileCertificateInfo")
        text = rule_yaml(
            uuid.uuid5(ID_NAMESPACE, f"{key}/{kind}"),
            f"{tool['display']} (RMM) - {KIND_TITLE[kind]}",
            describe(tool, kind),
            SEVERITY[kind],
            data_types,
            builders[kind](tool),
        )
        yield pathlib.Path(key) / f"{key}_{kind}.yaml", text


def all_tools_rule(tools):
    description = [
        ("Reports network connections to any host of the remote monitoring and management (RMM) "
         "tools in this pack, whatever process made them. It also fires when a browser visits a "
         "vendor's web site, so treat a hit as a lead: the per-tool network rules confirm the tool "
         "by its process."),
        (f"Generated by kqlite from facts collected in {FACTS_SOURCE} (MIT licence)."),
    ]
    text = rule_yaml(
        uuid.uuid5(ID_NAMESPACE, "all-tools/network"),
        "RMM tools - network connection to any known RMM host",
        description,
        SEVERITY["all-network"],
        ["DeviceNetworkEvents"],
        all_tools_query(tools),
    )
    return pathlib.Path("all-tools") / "all-tools_network.yaml", text


def generate(facts):
    tools = sorted(facts["tools"], key=lambda tool: tool["tool"].lower())
    keys = [tool["tool"] for tool in tools]
    if len(set(keys)) != len(keys):
        raise ValueError("the facts table lists a tool key twice")
    files = {}
    for tool in tools:
        for path, text in tool_rules(tool):
            files[path] = text
    path, text = all_tools_rule(tools)
    files[path] = text
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a generated file is missing, stale or extra")
    args = parser.parse_args()

    facts = json.loads(FACTS.read_text(encoding="utf-8"))
    files = generate(facts)
    existing = {p.relative_to(OUTPUT) for p in OUTPUT.rglob("*.yaml")} if OUTPUT.exists() else set()
    stale = sorted(p for p in files if not (OUTPUT / p).exists()
                   or (OUTPUT / p).read_text(encoding="utf-8") != files[p])
    extra = sorted(existing - set(files))

    if args.check:
        for path in stale:
            print(f"out of date: rules/rmm/{path}", file=sys.stderr)
        for path in extra:
            print(f"not generated from the facts: rules/rmm/{path}", file=sys.stderr)
        return 1 if stale or extra else 0

    for path in stale:
        target = OUTPUT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(files[path], encoding="utf-8")
    for path in extra:
        (OUTPUT / path).unlink()
        if not any((OUTPUT / path).parent.iterdir()):
            (OUTPUT / path).parent.rmdir()
    print(f"{len(files)} rules: {len(stale)} written, {len(extra)} removed, "
          f"{len(files) - len(stale)} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
