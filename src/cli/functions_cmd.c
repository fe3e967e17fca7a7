/* kqlite functions: list the registry (functions, operators, aggregates), as text or Markdown. */
#include "cli/cli.h"
#include "functions/registry.h"

#include <stdio.h>
#include <string.h>

/* Tabular operators and statements the parser and binder accept; kept beside the registry
 * listing so that docs/kql-support.md shows the whole supported language. */
static const char *const tabular_operators[][2] = {
    {"let name = value;", "Scalar or tabular value bound to a name."},
    {"datatable(Col:type, ...)[values]", "Inline table."},
    {"print name = expr, ...", "One-row table; unnamed columns are print_0, print_1, ..."},
    {"scalar expression as the query", "Runs as print does: one row, column print_0."},
    {"[T |] search [kind=case_sensitive] [in (T1, ...)] \"term\" and Column:\"x*\" ...",
     "Keeps rows matching terms in string and dynamic columns (has; x* hasprefix, *x hassuffix, *x* contains, a*b regex), with a $table column; without T or in, reads every table and view."},
    {"column_ifexists(\"Name\", default)", "The column when the rows have it (and it is not dynamic), else the default."},
    {"declare pattern Name = (Arg:string, ...)[Path:string] { (\"v\").[\"p\"] = { query }; ... }",
     "Maps string tuples to tabular expressions; Name(\"v\").p runs the case with equal values."},
    {"externaldata (Col:type, ...) [uri, ...] / inline_external_table (...) kind=... (uri, ...)",
     "Compile with the declared columns; running them fails, as kqlite reads no network data."},
    {"where / filter predicate", "Keeps rows whose predicate is true."},
    {"extend name = expr, ...", "Adds or replaces columns."},
    {"project name = expr, ...", "Selects and computes columns."},
    {"project-away / project-keep / project-rename / project-reorder", "Drops, keeps, renames or reorders columns (wildcards with '*'; reorder sorts with asc, desc, granny-asc, granny-desc)."},
    {"project-by-names \"name\", \"pattern*\", dynamic([...])", "Keeps the named columns in the order given; column_names_of(T) gives a table's names."},
    {"as Name", "Names the rows for union withsource=."},
    {"summarize aggregates by keys", "Groups rows; unnamed aggregates are named as Kusto names them."},
    {"distinct columns | *", "Distinct combinations of values."},
    {"sort / order by expr [asc|desc] [nulls first|last]", "Sorts, descending by default."},
    {"top n by expr [asc|desc]", "First n rows in that order."},
    {"take / limit n", "First n rows."},
    {"count", "Row count as one column named Count."},
    {"join / lookup", "Joins two tables, with every join kind."},
    {"union", "Rows of several tables, with withsource= and kind=."},
    {"mv-expand / mv-apply", "One row per element of a dynamic array or bag, or a subquery over them."},
    {"parse [kind=simple|regex|relaxed] [flags=...] expr with pattern", "Extracts columns from text by a pattern."},
    {"parse-where ...", "parse that drops the rows whose text does not match."},
    {"parse-kv expr as (Key:type, ...) [with (options)]", "Extracts columns from key/value text: delimiters, quotes, greedy or regex."},
    {"range name from a to b step s", "One row per value."},
    {"make-series", "Aggregates into arrays over a range of bins."},
    {"top-nested", "Hierarchical top-n aggregation."},
    {"partition by column (subquery)", "Runs the subquery once per value of the column."},
    {"row_number(), prev(x), row_cumsum(x), row_rank_min(x), row_rank_dense(x), row_window_session(t, max, gap)",
     "Window functions over the rows in their serialized order, with an optional restart condition."},
    {"scan [with_match_id=Id] [declare (...)] with (step s: condition => column = value; ...)",
     "Matches sequences of rows against steps, as Kusto's scan does."},
    {"make-graph Source --> Target [with Nodes on Id | with_node_id=Name] | graph-match [cycles=...] pattern [where ...] project ...",
     "Matches paths such as (a)-[e*1..3]->(b) in a graph of the rows; all, any, map, inner_nodes, node_id, node_degree_out/_in work on its variables."},
    {"graph-shortest-paths [output=any|all] / graph-mark-components [with_component_id=Name] / graph-to-table nodes|edges",
     "Shortest paths of a pattern, weak components as a node property, and the graph's nodes or edges as a table."},
    {"serialize / render / invoke", "Marks rows as ordered; render leaves the rows unchanged; invoke calls a tabular function."},
};

static const char *const unsupported[][2] = {
    {"reduce, evaluate plugins (bag_unpack, ...), make-graph partitioned-by, graph-to-table options (as, with_node_id), next()",
     "not implemented yet"},
    {"running externaldata, inline_external_table", "kqlite reads no network data; pass the file as a data argument instead"},
};

/* Writes a Markdown table cell: '|' inside code or text would end the cell. */
static void cell(const char *text, bool code)
{
    fputs(code ? " `" : " ", stdout);
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            fputs(code ? "\\|" : "\\|", stdout);
        else
            fputc(*p, stdout);
    }
    fputs(code ? "` |" : " |", stdout);
}

static void row(const char *a, bool a_code, const char *b, bool b_code, const char *c)
{
    fputc('|', stdout);
    cell(a, a_code);
    cell(b, b_code);
    if (c)
        cell(c, false);
    fputc('\n', stdout);
}

static void markdown(void)
{
    puts("# Supported KQL\n");
    puts("Generated by `kqlite functions --markdown` from the function registry; do not edit.\n");
    puts("## Statements and tabular operators\n");
    puts("| syntax | meaning |\n|---|---|");
    for (size_t i = 0; i < sizeof tabular_operators / sizeof tabular_operators[0]; i++)
        row(tabular_operators[i][0], true, tabular_operators[i][1], false, NULL);
    puts("\n## Scalar functions and operators\n");
    puts("| name | signature | description |\n|---|---|---|");
    for (size_t i = 0; i < kq_function_count(); i++) {
        const kq_function *fn = kq_function_at(i);
        row(fn->name, true, fn->signature, true, fn->description);
    }
    puts("\n`and`, `or`, `in`, `!in`, `in~`, `!in~`, `has_any` and `has_all` are evaluated by the"
         " engine itself; the list operators also take a dynamic array or a tabular expression"
         " (its first column).\n");
    puts("## Aggregates (summarize)\n");
    puts("| name | signature | description |\n|---|---|---|");
    for (size_t i = 0; i < kq_aggregate_count(); i++) {
        const kq_aggregate *agg = kq_aggregate_at(i);
        row(agg->name, true, agg->signature, true, agg->description);
    }
    puts("\n## Not supported\n");
    puts("| feature | reason |\n|---|---|");
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        row(unsupported[i][0], false, unsupported[i][1], false, NULL);
}

int kq_cmd_functions(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--markdown") == 0) {
        markdown();
        return KQ_EXIT_OK;
    }
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("Usage: kqlite functions [--markdown]\n\nLists the supported functions, operators and aggregates.");
        return KQ_EXIT_OK;
    }
    if (argc > 1) {
        kq_cli_usage_error("functions", "unknown argument '%s' (the only option is --markdown)", argv[1]);
        return KQ_EXIT_USAGE;
    }
    for (size_t i = 0; i < kq_function_count(); i++) {
        const kq_function *fn = kq_function_at(i);
        printf("%-50s %s\n", fn->signature, fn->description);
    }
    for (size_t i = 0; i < kq_aggregate_count(); i++) {
        const kq_aggregate *agg = kq_aggregate_at(i);
        printf("%-50s %s\n", agg->signature, agg->description);
    }
    return KQ_EXIT_OK;
}
