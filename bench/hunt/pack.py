#!/usr/bin/env python3
"""Build the SQL equivalents of the bundled RMM pack's process rules.

The KQL rules in rules/rmm/ are generated from rules/facts/rmm-tools.json by
tools/gen-rmm-rules.py. This module reads the same facts, builds each process
rule's condition as a small expression tree that mirrors the generator's
identity_condition(), and renders it as SQL for DuckDB or SQLite:

- `has` is a case-insensitive whole-term match, and a term is a maximal run of
  ASCII letters and digits. It becomes a regular expression that requires a
  non-alphanumeric character or the string's edge on each side of the needle.
  The edge test applies only where the needle itself starts or ends with a
  letter or digit, as in Kusto and kqlite.
- `=~` and `in~` compare lower-cased text, `startswith` compares a lower-cased
  prefix, and `isempty` tests for NULL or the empty string.

It also writes the identity file that bench/hunt/gen reads: one version-info
identity per tool with a process rule, so every such rule can find rows.

Usage: pack.py identities OUTPUT    write the generator's identity file
       pack.py sql duckdb|sqlite    print every rule's SQL (for reading)
"""

import importlib.util
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
FACTS = ROOT / "rules" / "facts" / "rmm-tools.json"

# Portal CSV datetime, for example "Dec 1, 2026 12:03:10 AM", in DuckDB strptime form.
PORTAL_FORMAT = "%b %-d, %Y %-I:%M:%S %p"
REGEX_SPECIAL = set("\\.^$|?*+()[]{}")


def load_generator():
    """Import tools/gen-rmm-rules.py, whose file name is not a module name."""
    spec = importlib.util.spec_from_file_location("gen_rmm_rules", ROOT / "tools" / "gen-rmm-rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_tools():
    return json.loads(FACTS.read_text(encoding="utf-8"))["tools"]


def process_tools(tools, generator):
    """Return the tools that get a process rule over DeviceProcessEvents alone.

    Signed-files tools are left out: their process rule also needs
    DeviceFileCertificateInfo, so kqlite skips it on process data alone.
    """
    selected = []
    for tool in tools:
        kinds = tool.get("kinds") or generator.default_kinds(tool)
        if "process" in kinds and tool.get("match") != "signed-files":
            selected.append(tool)
    return selected


# Expression trees: ("has", column, needle), ("eq", column, value),
# ("prefix", column, value), ("empty", column), ("and", [items]), ("or", [items]).

def any_has(column, values):
    return ("or", [("has", column, v) for v in values])


def identity_groups(tool):
    """Mirror identity_groups() of tools/gen-rmm-rules.py for DeviceProcessEvents."""
    groups = []
    if tool.get("companies"):
        groups.append(any_has("ProcessVersionInfoCompanyName", tool["companies"]))
    if tool.get("products") or tool.get("descriptions"):
        tests = []
        if tool.get("products"):
            tests.append(any_has("ProcessVersionInfoProductName", tool["products"]))
        if tool.get("descriptions"):
            tests.append(any_has("ProcessVersionInfoFileDescription", tool["descriptions"]))
        groups.append(("or", tests))
    if tool.get("original_files"):
        groups.append(("or", [("eq", "ProcessVersionInfoOriginalFileName", v) for v in tool["original_files"]]))
    names = [("eq", "FileName", v) for v in tool.get("file_names", [])]
    names += [("prefix", "FileName", p) for p in tool.get("file_prefixes", [])]
    if names:
        groups.append(("or", names))
    if tool.get("folders"):
        groups.append(any_has("FolderPath", tool["folders"]))
    return groups


def identity_condition(tool):
    """Mirror identity_condition() of tools/gen-rmm-rules.py: the and-ed tests of a process rule."""
    groups = identity_groups(tool)
    if tool.get("match", "all") == "any" and len(groups) > 1:
        groups = [("or", groups)]
    mode = tool.get("version_info", "present")
    if mode == "may-be-empty":
        groups = [("or", [("and", groups), ("empty", "ProcessVersionInfoCompanyName")])]
    elif mode == "empty":
        groups += [("empty", "ProcessVersionInfoCompanyName"), ("empty", "ProcessVersionInfoProductName")]
    return ("and", groups)


def ascii_lower(text):
    """Lower-case ASCII letters only, as kqlite's case-insensitive operators do."""
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def regex_escape(text):
    return "".join("\\" + c if c in REGEX_SPECIAL else c for c in text)


def term_pattern(needle, word_class):
    """Return the regular expression of `has needle`, given the class of term characters."""
    pattern = regex_escape(needle)
    if needle[:1].isascii() and needle[:1].isalnum():
        pattern = f"(^|[^{word_class}])" + pattern
    if needle[-1:].isascii() and needle[-1:].isalnum():
        pattern += f"($|[^{word_class}])"
    return pattern


def quote_column(column):
    return '"' + column + '"'


def render(expr, dialect):
    """Render an expression tree as a SQL condition for "duckdb" or "sqlite"."""
    kind = expr[0]
    if kind in ("and", "or"):
        parts = [render(item, dialect) for item in expr[1]]
        return parts[0] if len(parts) == 1 else "(" + f" {kind.upper()} ".join(parts) + ")"
    column = quote_column(expr[1])
    if kind == "empty":
        return f"({column} IS NULL OR {column} = '')"
    value = expr[2]
    if kind == "has":
        if dialect == "duckdb":
            return f"regexp_matches({column}, {sql_string('(?i)' + term_pattern(value, '0-9A-Za-z'))})"
        return f"lower({column}) REGEXP {sql_string(term_pattern(ascii_lower(value), '0-9a-z'))}"
    if kind == "eq":
        return f"lower({column}) = {sql_string(ascii_lower(value))}"
    if kind == "prefix":
        prefix = ascii_lower(value)
        if dialect == "duckdb":
            return f"starts_with(lower({column}), {sql_string(prefix)})"
        return f"substr(lower({column}), 1, {len(prefix)}) = {sql_string(prefix)}"
    raise ValueError(f"unknown expression kind {kind!r}")


def sqlite_iso_datetime(column):
    """Return a SQLite expression turning a portal datetime into 'YYYY-MM-DD HH:MM:SS'."""
    c = quote_column(column)
    comma = f"instr({c}, ',')"
    clock = f"substr({c}, {comma} + 7)"
    hour = f"CAST(substr({clock}, 1, instr({clock}, ':') - 1) AS INTEGER)"
    return (f"printf('%s-%02d-%02d %02d:%s', substr({c}, {comma} + 2, 4), "
            f"(instr('JanFebMarAprMayJunJulAugSepOctNovDec', substr({c}, 1, 3)) + 2) / 3, "
            f"CAST(substr({c}, 5, {comma} - 5) AS INTEGER), "
            f"{hour} % 12 + 12 * (substr({clock}, -2) = 'PM'), "
            f"substr({clock}, instr({clock}, ':') + 1, 5))")


def duckdb_query(condition, source, start, end):
    """Return the DuckDB SQL of one process rule over source, a table or a subquery.

    start and end are 'YYYY-MM-DD HH:MM:SS' (UTC), the rule's inclusive
    Timestamp window.
    """
    return (
        'SELECT "DeviceId", "DeviceName", min("Timestamp") AS "FirstSeen", max("Timestamp") AS "LastSeen", '
        'list(DISTINCT "ReportId") AS "Report", count(*) AS "Count" '
        f"FROM {source} "
        f"WHERE \"Timestamp\" BETWEEN TIMESTAMP '{start}' AND TIMESTAMP '{end}' AND {render(condition, 'duckdb')} "
        'GROUP BY "DeviceId", "DeviceName"'
    )


def duckdb_csv_source(path):
    """Return a DuckDB subquery reading the CSV with Timestamp parsed from the portal form."""
    return (f"(SELECT * REPLACE (strptime(\"Timestamp\", '{PORTAL_FORMAT}') AS \"Timestamp\") "
            f"FROM read_csv({sql_string(str(path))}))")


def sqlite_query(condition, table, start, end):
    """Return the SQLite SQL of one process rule over table, whose columns are text.

    The term tests run before the datetime conversion, so only candidate rows
    pay for it.
    """
    return (
        'SELECT "DeviceId", "DeviceName", min(ts) AS "FirstSeen", max(ts) AS "LastSeen", '
        'group_concat(DISTINCT "ReportId") AS "Report", count(*) AS "Count" '
        f'FROM (SELECT "DeviceId", "DeviceName", "ReportId", {sqlite_iso_datetime("Timestamp")} AS ts '
        f"FROM {table} WHERE {render(condition, 'sqlite')}) "
        f"WHERE ts BETWEEN '{start}' AND '{end}' "
        'GROUP BY "DeviceId", "DeviceName"'
    )


def rule_file(tool):
    key = tool["tool"]
    return f"rules/rmm/{key}/{key}_process.yaml"


def pack_rules():
    """Return [(rule file, tool key, condition)] for every process rule kqlite runs on process data."""
    generator = load_generator()
    return [(rule_file(t), t["tool"], identity_condition(t)) for t in process_tools(load_tools(), generator)]


def identity_row(tool):
    """Return the generator's identity fields for one tool: a process that its rule matches."""
    display = tool["display"]
    company = (tool.get("companies") or [""])[0]
    product = (tool.get("products") or [display])[0]
    description = (tool.get("descriptions") or [product])[0]
    if tool.get("file_names"):
        file_name = tool["file_names"][0]
    elif tool.get("file_prefixes"):
        file_name = tool["file_prefixes"][0] + "-agent.exe"
    else:
        file_name = tool["tool"] + ".exe"
    original = (tool.get("original_files") or [file_name])[0]
    if tool.get("folders"):
        folder = "C:" + tool["folders"][0].rstrip("\\")
    else:
        folder = "C:\\Program Files (x86)\\" + display
    if tool["tool"] == "Ammyy":
        file_name = original = "AA_v3.exe"
        folder = "%U\\Downloads"
    if tool.get("version_info") == "empty":
        company = product = description = ""
    return [tool["tool"], company, product, description, original, file_name, folder]


def write_identities(path):
    tools = process_tools(load_tools(), load_generator())
    lines = ["# RMM tool identities for bench/hunt/gen, written by bench/hunt/pack.py from "
             "rules/facts/rmm-tools.json.",
             "# TOOL COMPANY PRODUCT DESCRIPTION ORIGINAL_FILE_NAME FILE_NAME FOLDER (tab-separated)"]
    for tool in tools:
        fields = identity_row(tool)
        if any("\t" in f or "\n" in f for f in fields):
            raise ValueError(f"tool {tool['tool']}: a fact contains a tab or a line break")
        lines.append("\t".join(fields))
    pathlib.Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv):
    if len(argv) == 3 and argv[1] == "identities":
        write_identities(argv[2])
        return 0
    if len(argv) == 3 and argv[1] == "sql" and argv[2] in ("duckdb", "sqlite"):
        for path, _, condition in pack_rules():
            if argv[2] == "duckdb":
                sql = duckdb_query(condition, "events", "2026-11-26 00:00:00", "2026-12-01 00:00:00")
            else:
                sql = sqlite_query(condition, "events", "2026-11-26 00:00:00", "2026-12-01 00:00:00")
            print(f"-- {path}\n{sql};\n")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
