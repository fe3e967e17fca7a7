/* kqlite hunt: run every rule of one or more rule packs over the loaded data. */
#include "cli/cli.h"
#include "base/parallel.h"
#include "base/util.h"
#include "exec/exec.h"
#include "kql/compile.h"
#include "rules/exclusions.h"
#include "rules/rule.h"
#include "rules/scheduled_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(FILE *out)
{
    fprintf(out, "Usage: kqlite hunt [--rules PATH]... [options] DATA...\n"
          "\n"
          "Runs every rule whose tables are present in DATA and prints the hits.\n"
          "Without --rules, the bundled remote-management-tool pack is used.\n"
          "\n"
          "Options:\n"
          "  --rules PATH          a rule file or folder (repeatable)\n"
          "  --now DATETIME        the instant now() and ago() use (default: the current time)\n"
          "  --format FORMAT       table (default), csv, json, jsonl or alerts\n"
          "  --all                 table format: also list rules without hits\n"
          "  --timezone ZONE       zone of datetimes written without one (default UTC)\n"
          "  --wide                do not cut long table cells (default: 80 characters)\n"
          "  -q, --quiet           no per-file load report on stderr\n"
          "  --exclusions FILE     suppress known false positives listed in a YAML file (repeatable)\n"
          "  --show-suppressed     also list the rows the exclusions suppressed\n"
          "  --state DIR           with --format alerts: record each rule's run in DIR and skip\n"
          "                        a rule that already ran at or after --now (each alert once)\n"
          "%s"
          "\n"
          "jsonl writes one object per hit: {\"rule\": {id, name, severity, tactics,\n"
          "techniques, file}, \"row\": {...}}. With --show-suppressed, a suppressed row\n"
          "is written the same way with a \"suppressed_by\" member naming the exclusion.\n"
          "alerts runs each rule as one Sentinel scheduled run at --now: it sees the rows of\n"
          "its queryPeriod, tests its trigger and writes one SecurityAlert-shaped JSON object\n"
          "per alert. docs/tuning.md describes exclusions, alerts and the state folder.\n",
          kq_cli_limit_options_help);
}

typedef struct hunt_counts {
    size_t run, with_results, failed, skipped;
    size_t already_run, suppressed_runs, alerts;
} hunt_counts;

/* One exclusion applied to one rule, for the summary. */
typedef struct exclusion_use {
    size_t entry;               /* index in the exclusion set */
    const kq_rule *rule;
    uint64_t rows;
} exclusion_use;

typedef struct hunt_session {
    kq_cli_common common;
    bool show_all, show_suppressed, alerts;
    const char *state_dir;
    kq_catalog *catalog;
    kq_exclusion_set exclusions;
    bool *entry_matched;        /* per entry: matched a loaded rule */
    exclusion_use *uses;
    size_t nuses, uses_cap;
    kq_schedule_state state;
    bool has_state;
    bool first_json;
    size_t rule_files_failed;   /* rule files that could not be loaded */
    hunt_counts counts;
} hunt_session;

static void json_field(kq_buf *out, const char *name, const char *value)
{
    kq_buf_json_string(out, name, strlen(name));
    kq_buf_putc(out, ':');
    if (value)
        kq_buf_json_string(out, value, strlen(value));
    else
        kq_buf_puts(out, "null");
}

static void json_list(kq_buf *out, const char *name, char **items, size_t count)
{
    kq_buf_json_string(out, name, strlen(name));
    kq_buf_puts(out, ":[");
    for (size_t i = 0; i < count; i++) {
        if (i)
            kq_buf_putc(out, ',');
        kq_buf_json_string(out, items[i], strlen(items[i]));
    }
    kq_buf_putc(out, ']');
}

static void rule_json(kq_buf *out, const kq_rule *rule)
{
    kq_buf_putc(out, '{');
    json_field(out, "id", rule->id);
    kq_buf_putc(out, ',');
    json_field(out, "name", rule->name);
    kq_buf_putc(out, ',');
    json_field(out, "severity", rule->severity);
    kq_buf_putc(out, ',');
    json_list(out, "tactics", rule->tactics, rule->ntactics);
    kq_buf_putc(out, ',');
    json_list(out, "techniques", rule->techniques, rule->ntechniques);
    kq_buf_putc(out, ',');
    json_field(out, "file", rule->file);
    kq_buf_putc(out, '}');
}

static void join(kq_buf *out, char **items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (i)
            kq_buf_puts(out, ", ");
        kq_buf_puts(out, items[i]);
    }
    if (!count)
        kq_buf_puts(out, "-");
}

static void print_heading(const kq_rule *rule, uint64_t rows)
{
    /* Every field comes from a rule file, so all of it is escaped for the terminal. */
    kq_buf raw, line;
    kq_buf_init(&raw);
    kq_buf_init(&line);
    kq_buf_puts(&line, "== ");
    kq_terminal_escape(&line, rule->name ? rule->name : "(no name)", strlen(rule->name ? rule->name : "(no name)"));
    kq_buf_printf(&raw, "id %s | severity %s | tactics ", rule->id ? rule->id : "-",
                  rule->severity ? rule->severity : "-");
    join(&raw, rule->tactics, rule->ntactics);
    kq_buf_puts(&raw, " | techniques ");
    join(&raw, rule->techniques, rule->ntechniques);
    kq_buf_printf(&raw, " | %llu row%s", (unsigned long long)rows, rows == 1 ? "" : "s");
    kq_buf_puts(&line, "\n   ");
    kq_terminal_escape(&line, raw.data, raw.len);
    kq_buf_putc(&line, '\n');
    fputs(line.data, stdout);
    kq_buf_free(&raw);
    kq_buf_free(&line);
}

/* Appends ,"suppressed_by":{name, file, line, scope, reason} for a --show-suppressed row. */
static void exclusion_json(kq_buf *out, const kq_exclusion *entry)
{
    kq_buf_puts(out, ",\"suppressed_by\":{");
    json_field(out, "name", entry->name);
    kq_buf_putc(out, ',');
    json_field(out, "file", entry->file);
    kq_buf_printf(out, ",\"line\":%d,", entry->line);
    json_field(out, "scope", kq_exclusion_scope_name(entry->scope));
    kq_buf_putc(out, ',');
    json_field(out, "reason", entry->reason);
    kq_buf_putc(out, '}');
}

/* Writes result rows as hits; suppressed_by names the exclusion for --show-suppressed rows, else NULL. */
static void write_hits(hunt_session *session, const kq_rule *rule, const kq_result *result,
                       const kq_exclusion *suppressed_by)
{
    const kq_cli_common *common = &session->common;
    kq_buf out;
    kq_buf_init(&out);
    for (size_t b = 0; b < result->nbatches; b++) {
        const kq_batch *batch = result->batches[b];
        for (uint32_t r = 0; r < batch->nrows; r++) {
            kq_buf_clear(&out);
            if (common->format == KQ_FORMAT_CSV) {
                kq_buf row;
                kq_buf_init(&row);
                kq_row_json(&row, result, batch, r);
                /* One CSV line per hit: rule metadata, then the row as JSON (rules differ in columns). */
                const char *fields[] = {rule->id ? rule->id : "", rule->name ? rule->name : "",
                                        rule->severity ? rule->severity : "", row.data,
                                        suppressed_by ? suppressed_by->name : ""};
                size_t nfields = session->show_suppressed ? 5 : 4;
                for (size_t f = 0; f < nfields; f++) {
                    if (f)
                        kq_buf_putc(&out, ',');
                    kq_buf_putc(&out, '"');
                    if (common->csv_safe && kq_csv_formula_risk(fields[f], strlen(fields[f])))
                        kq_buf_putc(&out, '\'');
                    for (const char *p = fields[f]; *p; p++) {
                        if (*p == '"')
                            kq_buf_putc(&out, '"');
                        kq_buf_putc(&out, *p);
                    }
                    kq_buf_putc(&out, '"');
                }
                kq_buf_puts(&out, "\r\n");
                kq_buf_free(&row);
            } else {
                if (common->format == KQ_FORMAT_JSON)
                    kq_buf_puts(&out, session->first_json ? "\n" : ",\n");
                kq_buf_puts(&out, "{\"rule\":");
                rule_json(&out, rule);
                if (suppressed_by)
                    exclusion_json(&out, suppressed_by);
                kq_buf_puts(&out, ",\"row\":");
                kq_row_json(&out, result, batch, r);
                kq_buf_putc(&out, '}');
                if (common->format == KQ_FORMAT_JSONL)
                    kq_buf_putc(&out, '\n');
                session->first_json = false;
            }
            fputs(out.data, stdout);
        }
    }
    kq_buf_free(&out);
}

/* Prints the rows each exclusion suppressed, after the rule's hits. */
static void write_suppressed(hunt_session *session, const kq_rule *rule, const kq_rule_run *run,
                             const kq_exclusion *const *entries)
{
    for (size_t e = 0; e < run->nentries; e++) {
        const kq_result *rows = run->suppressed_rows[e];
        if (!rows)
            continue;
        if (session->common.format != KQ_FORMAT_TABLE) {
            write_hits(session, rule, rows, entries[e]);
            continue;
        }
        kq_buf line;
        kq_buf_init(&line);
        kq_buf_puts(&line, "-- suppressed by '");
        kq_terminal_escape(&line, entries[e]->name, strlen(entries[e]->name));
        kq_buf_printf(&line, "' (%s:%d, %s rows): %llu row%s; reason: ", entries[e]->file, entries[e]->line,
                      kq_exclusion_scope_name(entries[e]->scope), (unsigned long long)rows->nrows,
                      rows->nrows == 1 ? "" : "s");
        kq_terminal_escape(&line, entries[e]->reason, strlen(entries[e]->reason));
        kq_buf_putc(&line, '\n');
        fputs(line.data, stdout);
        kq_buf_free(&line);
        kq_output_options options = {.max_column_width = session->common.max_width};
        kq_write_result(stdout, rows, KQ_FORMAT_TABLE, &options);
    }
}

static void print_rows(hunt_session *session, const kq_rule *rule, const kq_rule_run *run,
                       const kq_exclusion *const *entries)
{
    const kq_result *result = run->result;
    bool any_suppressed = false;
    for (size_t e = 0; e < run->nentries; e++)
        any_suppressed |= run->suppressed_rows[e] != NULL;
    bool show_suppressed = session->show_suppressed && any_suppressed;
    if (session->common.format != KQ_FORMAT_TABLE) {
        write_hits(session, rule, result, NULL);
        if (show_suppressed)
            write_suppressed(session, rule, run, entries);
        return;
    }
    if (result->nrows == 0 && !session->show_all && !show_suppressed)
        return;
    print_heading(rule, result->nrows);
    if (result->nrows > 0) {
        kq_output_options options = {.max_column_width = session->common.max_width};
        kq_write_result(stdout, result, KQ_FORMAT_TABLE, &options);
    }
    if (show_suppressed)
        write_suppressed(session, rule, run, entries);
    fputc('\n', stdout);
}

/*
 * Collects the exclusions that apply to rule at --now, with their indexes in
 * the set. Expired entries are left out. Caller frees both arrays.
 */
static const kq_exclusion **applicable_exclusions(hunt_session *session, const kq_rule *rule, size_t *count,
                                                  size_t **indexes)
{
    const kq_exclusion **entries = kq_xcalloc(session->exclusions.count + 1, sizeof *entries);
    *indexes = kq_xcalloc(session->exclusions.count + 1, sizeof **indexes);
    *count = 0;
    for (size_t i = 0; i < session->exclusions.count; i++) {
        const kq_exclusion *entry = &session->exclusions.items[i];
        if (!kq_exclusion_matches_rule(entry, rule))
            continue;
        session->entry_matched[i] = true;
        if (kq_exclusion_expired(entry, session->common.now))
            continue;
        (*indexes)[*count] = i;
        entries[(*count)++] = entry;
    }
    return entries;
}

static void record_uses(hunt_session *session, const kq_rule *rule, const size_t *indexes, const uint64_t *rows,
                        size_t count)
{
    for (size_t e = 0; e < count; e++) {
        kq_grow((void **)&session->uses, &session->uses_cap, session->nuses + 1, sizeof *session->uses);
        session->uses[session->nuses++] = (exclusion_use){indexes[e], rule, rows[e]};
    }
}

/* Records a completed run in the state folder. Returns false after printing the error. */
static bool save_run(hunt_session *session, kq_rule_state *state, bool alerted)
{
    state->has_run = true;
    state->last_run = session->common.now;
    if (alerted) {
        state->has_alert = true;
        state->last_alert = session->common.now;
    }
    /* The alerts reach the output before the state records the run, so a crash in between repeats them. */
    char *error = NULL;
    if (fflush(stdout) != 0) {
        fprintf(stderr, "kqlite hunt: writing the alerts failed: %s\n", strerror(errno));
        return false;
    }
    if (!kq_schedule_state_save(&session->state, &error)) {
        fprintf(stderr, "kqlite hunt: saving the state failed: %s\n", error);
        free(error);
        return false;
    }
    return true;
}

/* Prints "kqlite: rule 'NAME' (FILE)" and detail to stderr, escaped: both come from rule files. */
static void print_rule_problem(const kq_rule *rule, const char *detail)
{
    kq_buf line;
    kq_buf_init(&line);
    kq_buf_printf(&line, "kqlite: rule '%s' (%s)%s\n", rule->name ? rule->name : "?", rule->file, detail);
    kq_buf escaped;
    kq_buf_init(&escaped);
    kq_terminal_escape_lines(&escaped, line.data, line.len);
    fputs(escaped.data, stderr);
    kq_buf_free(&line);
    kq_buf_free(&escaped);
}

/*
 * Runs a rule as one scheduled run at --now and writes its alerts. Returns 1
 * with alerts, 0 without, -1 failed, -3 already run at or after --now.
 */
static int run_scheduled(hunt_session *session, const kq_rule *rule, const kq_query *query,
                         const kq_exclusion **entries, size_t nentries, uint64_t *suppressed)
{
    kq_scheduled_rule scheduled = {.rule = rule, .query = query, .entries = entries, .nentries = nentries,
                                   .suppressed = suppressed};
    char *error = NULL;
    if (!kq_schedule_from_rule(rule, &scheduled.schedule, &error)) {
        char *detail = kq_xmalloc(strlen(error) + 3);
        snprintf(detail, strlen(error) + 3, ": %s", error);
        print_rule_problem(rule, detail);
        free(detail);
        free(error);
        return -1;
    }
    kq_rule_state *state = session->has_state ? kq_schedule_state_rule(&session->state, kq_scheduled_rule_key(rule))
                                              : NULL;
    kq_run_decision decision = kq_scheduled_decide(&scheduled.schedule, state, session->common.now);
    if (decision == KQ_RUN_ALREADY_DONE)
        return -3;
    kq_alert_list alerts = {0};
    if (decision == KQ_RUN_SUPPRESSED) {
        session->counts.suppressed_runs++;
    } else {
        kq_diags diags;
        kq_diags_init(&diags);
        kq_window_stats stats;
        bool ok = kq_scheduled_run(&scheduled, session->catalog, session->common.now, &alerts, &stats, &diags);
        kq_cli_print_diags(&diags);
        kq_diags_free(&diags);
        if (!ok)
            return -1;
    }
    for (size_t i = 0; i < alerts.count; i++) {
        fputs(alerts.items[i].json, stdout);
        fputc('\n', stdout);
    }
    int status = alerts.count > 0;
    session->counts.alerts += alerts.count;
    kq_alert_list_free(&alerts);
    if (state && !save_run(session, state, status == 1))
        return -1;
    return status;
}

/*
 * Compiles a rule; returns NULL with its errors in diags, or with *missing
 * set when a table is absent.
 */
static kq_query *compile_rule(hunt_session *session, const kq_rule *rule, char **missing, kq_diags *diags)
{
    kq_query *query = kq_compile(&rule->query_source, session->catalog, diags);
    for (size_t i = 0; query && i < query->ntables; i++)
        if (!kq_catalog_table(session->catalog, query->tables[i], strlen(query->tables[i]))) {
            *missing = kq_xstrdup(query->tables[i]);
            kq_query_free(query);
            query = NULL;
        }
    return query;
}

/* Adds a missing table to the summary's comma-separated list, once. */
static void add_skipped_table(kq_buf *skipped_tables, const char *table)
{
    if (skipped_tables->data && strstr(skipped_tables->data, table))
        return;
    kq_buf_puts(skipped_tables, skipped_tables->len ? ", " : "");
    kq_buf_puts(skipped_tables, table);
}

/* With --timer, prints how long one rule took to compile and run. */
static void print_rule_time(hunt_session *session, const kq_rule *rule, double seconds)
{
    kq_cli_timer(&session->common, "%.4f s rule '%s' (%s)", seconds, rule->name ? rule->name : "?", rule->file);
}

/*
 * One rule of a hunt. A worker thread compiles and runs it (rule_work); the
 * calling thread then prints what it produced, in rule order (rule_done).
 */
typedef struct rule_slot {
    const kq_rule *rule;
    const kq_exclusion **entries; /* the exclusions that apply, and their indexes in the set */
    size_t nentries;
    size_t *indexes;
    kq_query *query;
    char *missing;                /* a table the rule reads that no input provides */
    kq_diags compile_diags, run_diags;
    bool ran;                     /* run contains the result */
    kq_rule_run run;
    double seconds;               /* compiling and running it, for --timer */
} rule_slot;

typedef struct rule_batch {
    hunt_session *session;
    rule_slot *slots;
    kq_buf *skipped_tables;
} rule_batch;

static void rule_work(void *user, size_t index, int thread)
{
    (void)thread;
    rule_batch *batch = user;
    hunt_session *session = batch->session;
    rule_slot *slot = &batch->slots[index];
    double start = kq_monotonic_seconds();
    slot->query = compile_rule(session, slot->rule, &slot->missing, &slot->compile_diags);
    if (slot->query) {
        const kq_rule *rule = slot->rule;
        slot->ran = kq_rule_run_with_exclusions(slot->query, session->catalog, session->common.now, slot->entries,
                                                slot->nentries, rule->name ? rule->name : rule->file, rule->file,
                                                session->show_suppressed, &slot->run, &slot->run_diags);
    }
    slot->seconds = kq_monotonic_seconds() - start;
}

/* Prints one rule's rows and messages and counts its outcome; on the calling thread, in rule order. */
static void rule_done(void *user, size_t index)
{
    rule_batch *batch = user;
    hunt_session *session = batch->session;
    rule_slot *slot = &batch->slots[index];
    hunt_counts *counts = &session->counts;
    if (slot->missing) {
        counts->skipped++;
        add_skipped_table(batch->skipped_tables, slot->missing);
    } else if (!slot->query) {
        print_rule_problem(slot->rule, " does not compile:");
        kq_cli_print_diags(&slot->compile_diags);
        counts->failed++;
    } else {
        kq_cli_print_diags(&slot->run_diags);
        print_rule_time(session, slot->rule, slot->seconds);
        if (slot->ran) {
            print_rows(session, slot->rule, &slot->run, slot->entries);
            record_uses(session, slot->rule, slot->indexes, slot->run.suppressed, slot->nentries);
            counts->run++;
            counts->with_results += slot->run.result->nrows > 0;
            kq_rule_run_free(&slot->run);
        } else {
            counts->failed++;
        }
    }
    kq_query_free(slot->query);
    kq_diags_free(&slot->compile_diags);
    kq_diags_free(&slot->run_diags);
    free(slot->missing);
    free(slot->entries);
    free(slot->indexes);
}

/*
 * Runs one rule as a scheduled run (--format alerts). Returns 1 with alerts,
 * 0 without, -1 when it failed, -2 when it was skipped for a missing table,
 * and -3 when it already ran (--state).
 */
static int run_scheduled_rule(hunt_session *session, const kq_rule *rule, char **missing)
{
    kq_diags diags;
    kq_diags_init(&diags);
    kq_query *query = compile_rule(session, rule, missing, &diags);
    if (!query && !*missing) {
        print_rule_problem(rule, " does not compile:");
        kq_cli_print_diags(&diags);
    }
    kq_diags_free(&diags);
    if (!query)
        return *missing ? -2 : -1;
    size_t nentries, *indexes;
    const kq_exclusion **entries = applicable_exclusions(session, rule, &nentries, &indexes);
    uint64_t *suppressed = kq_xcalloc(nentries + 1, sizeof *suppressed);
    int status = run_scheduled(session, rule, query, entries, nentries, suppressed);
    if (status >= 0)
        record_uses(session, rule, indexes, suppressed, nentries);
    free(suppressed);
    free(entries);
    free(indexes);
    kq_query_free(query);
    return status;
}

/* Appends what one exclusion did: expired, matched no rule, or its row count per rule. */
static void describe_exclusion(hunt_session *session, size_t index, kq_buf *line)
{
    const kq_exclusion *entry = &session->exclusions.items[index];
    size_t start = line->len;
    if (kq_exclusion_expired(entry, session->common.now))
        kq_buf_printf(line, "expired on %s; not applied", entry->expires_text);
    else if (!session->entry_matched[index])
        kq_buf_puts(line, "matches no loaded rule; check its 'rules' patterns");
    for (size_t u = 0; u < session->nuses; u++) {
        if (session->uses[u].entry != index)
            continue;
        const kq_rule *rule = session->uses[u].rule;
        const char *name = rule->name ? rule->name : rule->file;
        kq_buf_printf(line, "%s%llu row%s in '", line->len > start ? ", " : "",
                      (unsigned long long)session->uses[u].rows, session->uses[u].rows == 1 ? "" : "s");
        kq_terminal_escape(line, name, strlen(name));
        kq_buf_putc(line, '\'');
    }
    if (line->len == start)
        kq_buf_puts(line, "its rules did not run");
}

/* Prints how many rows each exclusion suppressed, and the entries that did not apply. */
static void print_exclusion_summary(hunt_session *session, FILE *out, const char *prefix)
{
    const kq_exclusion_set *set = &session->exclusions;
    if (!set->count)
        return;
    uint64_t total = 0;
    for (size_t u = 0; u < session->nuses; u++)
        total += session->uses[u].rows;
    fprintf(out, "%sexclusions: %llu row%s suppressed by %zu entr%s\n", prefix, (unsigned long long)total,
            total == 1 ? "" : "s", set->count, set->count == 1 ? "y" : "ies");
    for (size_t i = 0; i < set->count; i++) {
        const kq_exclusion *entry = &set->items[i];
        kq_buf line;
        kq_buf_init(&line);
        kq_buf_printf(&line, "%s  '", prefix);
        kq_terminal_escape(&line, entry->name, strlen(entry->name));
        kq_buf_printf(&line, "' (%s:%d, %s rows): ", entry->file, entry->line, kq_exclusion_scope_name(entry->scope));
        describe_exclusion(session, i, &line);
        fprintf(out, "%s\n", line.data);
        kq_buf_free(&line);
    }
}

/* Parses hunt's own options; returns 1 when consumed, 0 when not hunt's, -1 after a usage error. */
static int parse_hunt_option(hunt_session *session, int argc, char **argv, int *i, char **rule_paths,
                             int *nrule_paths, char **exclusion_paths, int *nexclusion_paths)
{
    static const char *const value_options[] = {"--rules", "--exclusions", "--state", "--format"};
    static const char *const value_names[] = {"a rule file or folder", "a YAML exclusions file", "a folder"};
    const char *arg = argv[*i];
    if (strcmp(arg, "-F") == 0 && *i + 1 < argc && strcmp(argv[*i + 1], "alerts") == 0) {
        session->alerts = true;
        session->common.format = KQ_FORMAT_JSONL;
        (*i)++;
        return 1;
    }
    for (size_t k = 0; k < KQ_ARRAY_LEN(value_options); k++) {
        size_t n = strlen(value_options[k]);
        if (strncmp(arg, value_options[k], n) != 0 || (arg[n] != '\0' && arg[n] != '='))
            continue;
        const char *value = arg[n] == '=' ? arg + n + 1 : (*i + 1 < argc ? argv[*i + 1] : NULL);
        kq_format format;
        if (k == 3) {
            if (value && kq_format_parse(value, &format))
                return 0; /* the shared option parser takes the row formats */
            if (!value || strcmp(value, "alerts") != 0) {
                kq_cli_usage_error("hunt", "--format takes table, csv, json, jsonl or alerts, got '%s'",
                                   value ? value : "");
                return -1;
            }
            session->alerts = true;
            session->common.format = KQ_FORMAT_JSONL;
        } else if (!value || !*value) {
            kq_cli_usage_error("hunt", "%s needs %s", value_options[k], value_names[k]);
            return -1;
        } else if (k == 0) {
            rule_paths[(*nrule_paths)++] = (char *)value;
        } else if (k == 1) {
            exclusion_paths[(*nexclusion_paths)++] = (char *)value;
        } else {
            session->state_dir = value;
        }
        if (arg[n] != '=')
            (*i)++;
        return 1;
    }
    if (strcmp(arg, "--all") == 0)
        session->show_all = true;
    else if (strcmp(arg, "--show-suppressed") == 0)
        session->show_suppressed = true;
    else
        return 0;
    return 1;
}

static bool load_exclusions(hunt_session *session, char **paths, int count)
{
    kq_diags diags;
    kq_diags_init(&diags);
    bool ok = true;
    for (int i = 0; i < count; i++)
        ok &= kq_exclusions_load_file(paths[i], &session->exclusions, &diags);
    kq_cli_print_diags(&diags);
    kq_diags_free(&diags);
    session->entry_matched = kq_xcalloc(session->exclusions.count + 1, sizeof *session->entry_matched);
    return ok;
}

static bool check_option_combinations(const hunt_session *session)
{
    if (session->state_dir && !session->alerts) {
        kq_cli_usage_error("hunt", "--state records scheduled runs; use it with --format alerts");
        return false;
    }
    if (session->show_suppressed && session->alerts) {
        kq_cli_usage_error("hunt", "--show-suppressed lists rows; use it with the table, csv, json or jsonl format");
        return false;
    }
    return true;
}

/*
 * Builds the batch facts the rules' where clauses read (term filters, time
 * ranges) on every thread, one batch per thread at a time, before the rules
 * run. Rules that ran first would otherwise build them one batch after
 * another while the others wait on the batch's lock. The rules are compiled
 * here only for that: rule_work compiles them again and reports their errors
 * in rule order.
 */
static void prepare_batch_facts(hunt_session *session, const kq_rule_set *set)
{
    if (session->common.threads == 1)
        return;
    kq_query **queries = kq_xcalloc(set->count + 1, sizeof *queries);
    for (size_t i = 0; i < set->count; i++) {
        kq_diags diags;
        kq_diags_init(&diags);
        queries[i] = kq_compile(&set->rules[i]->query_source, session->catalog, &diags);
        kq_diags_free(&diags);
    }
    kq_prepare_batch_facts((const kq_query *const *)queries, set->count, session->catalog, session->common.now,
                           session->common.threads);
    for (size_t i = 0; i < set->count; i++)
        kq_query_free(queries[i]);
    free(queries);
}

/* Runs the rules as scheduled runs (--format alerts), one after another: each saves its state before the next. */
static void run_scheduled_rules(hunt_session *session, const kq_rule_set *set, kq_buf *skipped_tables)
{
    for (size_t i = 0; i < set->count; i++) {
        char *missing = NULL;
        double start = kq_monotonic_seconds();
        const kq_rule *rule = set->rules[i];
        int outcome = run_scheduled_rule(session, rule, &missing);
        if (outcome != -2)
            print_rule_time(session, rule, kq_monotonic_seconds() - start);
        if (outcome == -2) {
            session->counts.skipped++;
            add_skipped_table(skipped_tables, missing);
            free(missing);
        } else if (outcome == -3) {
            session->counts.already_run++;
        } else if (outcome == -1) {
            session->counts.failed++;
        } else {
            session->counts.run++;
            session->counts.with_results += outcome == 1;
        }
    }
}

/* Rules that may be finished but not yet printed, per thread: bounds the results held at once. */
#define RULES_AHEAD_PER_THREAD 4

/*
 * Runs every rule. The rules run on every thread at once over the shared
 * tables, and their rows are printed in rule order as they finish.
 */
static void run_all_rules(hunt_session *session, const kq_rule_set *set, kq_buf *skipped_tables)
{
    double start = kq_monotonic_seconds();
    prepare_batch_facts(session, set);
    double rules_start = kq_monotonic_seconds();
    kq_cli_timer(&session->common, "batch facts (term filters, time ranges) %.4f s", rules_start - start);
    if (session->alerts) {
        run_scheduled_rules(session, set, skipped_tables);
        kq_cli_timer(&session->common, "rules %.4f s, one after another", kq_monotonic_seconds() - rules_start);
        return;
    }
    rule_slot *slots = kq_xcalloc(set->count + 1, sizeof *slots);
    for (size_t i = 0; i < set->count; i++) {
        rule_slot *slot = &slots[i];
        slot->rule = set->rules[i];
        slot->entries = applicable_exclusions(session, slot->rule, &slot->nentries, &slot->indexes);
        kq_diags_init(&slot->compile_diags);
        kq_diags_init(&slot->run_diags);
    }
    rule_batch batch = {session, slots, skipped_tables};
    int threads = kq_thread_count(session->common.threads);
    kq_parallel_ordered(set->count, threads, (size_t)threads * RULES_AHEAD_PER_THREAD, rule_work, rule_done,
                        &batch);
    free(slots);
    kq_cli_timer(&session->common, "rules %.4f s on %d thread%s", kq_monotonic_seconds() - rules_start, threads,
                 threads == 1 ? "" : "s");
}

static void print_summary(hunt_session *session, const kq_rule_set *set, const kq_buf *skipped_tables)
{
    const hunt_counts *counts = &session->counts;
    FILE *summary = session->common.format == KQ_FORMAT_TABLE ? stdout : stderr;
    const char *prefix = session->common.format == KQ_FORMAT_TABLE ? "" : "kqlite: ";
    fprintf(summary, "%s%zu rules: %zu run, %zu with %s, %zu failed, %zu skipped for a missing table%s%s%s\n", prefix,
            set->count, counts->run, counts->with_results, session->alerts ? "alerts" : "results", counts->failed,
            counts->skipped, skipped_tables->len ? " (" : "", skipped_tables->len ? skipped_tables->data : "",
            skipped_tables->len ? ")" : "");
    if (session->rule_files_failed)
        fprintf(summary, "%s%zu rule file%s could not be loaded (see the errors above)\n", prefix,
                session->rule_files_failed, session->rule_files_failed == 1 ? "" : "s");
    if (session->alerts)
        fprintf(summary, "%s%zu alerts; %zu rules already ran at or after --now; %zu runs skipped in suppression\n",
                prefix, counts->alerts, counts->already_run, counts->suppressed_runs);
    print_exclusion_summary(session, summary, prefix);
}

/* Opens the state folder and loads the data; returns false after printing why the hunt cannot start. */
static bool prepare(hunt_session *session, bool exclusions_ok)
{
    if (!exclusions_ok) {
        /* Hits the analyst meant to suppress would be reported as new: stop instead. */
        fprintf(stderr, "kqlite hunt: the exclusions file has errors; fix them, then run again\n");
        return false;
    }
    if (session->state_dir) {
        char *error = NULL;
        session->has_state = kq_schedule_state_open(session->state_dir, &session->state, &error);
        if (!session->has_state) {
            fprintf(stderr, "kqlite hunt: %s\n", error);
            free(error);
            return false;
        }
    }
    return true;
}

/*
 * Works out which columns the rules read, so the loader skips the rest.
 * Exclusions and scheduled alert runs (their time window) read source rows
 * beyond the queries, so they load every column.
 */
static kq_column_use *plan_column_use(hunt_session *session, const kq_rule_set *set)
{
    if (session->exclusions.count || session->alerts || session->state_dir)
        return NULL;
    const kq_source **sources = kq_xcalloc(set->count + 1, sizeof *sources);
    for (size_t i = 0; i < set->count; i++)
        sources[i] = &set->rules[i]->query_source;
    kq_column_use *use = kq_cli_plan_columns(&session->common, sources, set->count);
    free(sources);
    return use;
}

/* Loads rules, exclusions, state and data, runs every rule and prints the summary; returns the exit status. */
static int hunt_run(hunt_session *session, char **rule_paths, int nrule_paths, char **exclusion_paths,
                    int nexclusion_paths, char **data, int ndata)
{
    kq_rule_set set;
    kq_rule_set_init(&set);
    kq_diags load_diags;
    kq_diags_init(&load_diags);
    for (int i = 0; i < nrule_paths; i++)
        kq_rules_load_path(rule_paths[i], &set, &load_diags);
    kq_cli_print_diags(&load_diags);
    kq_cli_timer(&session->common, "loading rules %.4f s (%zu rules)", kq_monotonic_seconds() - session->common.started,
                 set.count);
    bool rules_ok = load_diags.errors == 0;
    session->rule_files_failed = load_diags.errors;
    kq_diags_free(&load_diags);
    kq_exclusion_set_init(&session->exclusions);
    bool exclusions_ok = load_exclusions(session, exclusion_paths, nexclusion_paths);
    int status = KQ_EXIT_FAILED;
    if (prepare(session, exclusions_ok)) {
        /* Rules run on every thread at once; a single rule's scans use them instead. */
        int scan_threads = set.count == 1 ? kq_thread_count(session->common.threads) : 1;
        kq_exec_set_default_limits(&(kq_exec_limits){.max_memory = session->common.max_memory,
                                                     .threads = scan_threads});
        session->catalog = kq_catalog_new();
        double load_start = kq_monotonic_seconds();
        kq_column_use *use = plan_column_use(session, &set);
        session->common.column_use = use;
        bool inputs_ok = kq_cli_load_data(session->catalog, data, ndata, &session->common);
        kq_cli_free_columns(&session->common, use);
        kq_cli_timer(&session->common, "loading data %.4f s", kq_monotonic_seconds() - load_start);
        if (!inputs_ok && session->common.store) {
            /* No store, no data: running the rules would report a clean hunt. */
            kq_catalog_free(session->catalog);
            goto finished;
        }
        if (session->common.format == KQ_FORMAT_JSON)
            fputc('[', stdout);
        if (session->common.format == KQ_FORMAT_CSV)
            fputs(session->show_suppressed ? "rule_id,rule_name,severity,row,suppressed_by\r\n"
                                           : "rule_id,rule_name,severity,row\r\n", stdout);
        kq_buf skipped_tables;
        kq_buf_init(&skipped_tables);
        run_all_rules(session, &set, &skipped_tables);
        if (session->common.format == KQ_FORMAT_JSON)
            fputs(session->first_json ? "]\n" : "\n]\n", stdout);
        print_summary(session, &set, &skipped_tables);
        kq_cli_timer(&session->common, "total %.4f s", kq_monotonic_seconds() - session->common.started);
        kq_buf_free(&skipped_tables);
        status = session->counts.failed || !inputs_ok || !rules_ok ? KQ_EXIT_FAILED : KQ_EXIT_OK;
        kq_catalog_free(session->catalog);
    }
finished:
    if (session->has_state)
        kq_schedule_state_close(&session->state);
    kq_exclusion_set_free(&session->exclusions);
    free(session->entry_matched);
    free(session->uses);
    kq_rule_set_free(&set);
    return status;
}

int kq_cmd_hunt(int argc, char **argv)
{
    hunt_session session = {.first_json = true};
    if (kq_cli_common_init(&session.common, "hunt") != 0)
        return KQ_EXIT_USAGE;
    char **rule_paths = kq_xcalloc((size_t)argc, sizeof(char *));
    char **exclusion_paths = kq_xcalloc((size_t)argc, sizeof(char *));
    char **data = kq_xcalloc((size_t)argc, sizeof(char *));
    int nrule_paths = 0, nexclusion_paths = 0, ndata = 0;
    int status = KQ_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help(stdout);
            goto done;
        }
        int used = parse_hunt_option(&session, argc, argv, &i, rule_paths, &nrule_paths, exclusion_paths,
                                     &nexclusion_paths);
        if (used == 0)
            used = kq_cli_common_option(&session.common, argc, argv, &i);
        if (used < 0) {
            status = KQ_EXIT_USAGE;
            goto done;
        }
        if (used)
            continue;
        if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
            kq_cli_usage_error("hunt", "unknown option '%s'", arg);
            status = KQ_EXIT_USAGE;
            goto done;
        }
        data[ndata++] = (char *)arg;
    }
    if (kq_cli_common_check(&session.common, "hunt", ndata) != 0 || !check_option_combinations(&session)) {
        status = KQ_EXIT_USAGE;
        goto done;
    }
    if (ndata == 0 && !session.common.store) {
        kq_cli_usage_error("hunt", "missing DATA: give log files or folders to hunt in, or --store STORE");
        status = KQ_EXIT_USAGE;
        goto done;
    }
    if (nrule_paths == 0) {
        const char *bundled = kq_cli_bundled_rules();
        if (!bundled) {
            fprintf(stderr, "kqlite hunt: the bundled rule pack was not found; pass --rules PATH\n");
            status = KQ_EXIT_FAILED;
            goto done;
        }
        rule_paths[nrule_paths++] = (char *)bundled;
    }
    status = hunt_run(&session, rule_paths, nrule_paths, exclusion_paths, nexclusion_paths, data, ndata);
done:
    free(rule_paths);
    free(exclusion_paths);
    free(data);
    if (fflush(stdout) != 0) {
        perror("kqlite: writing the result failed");
        return KQ_EXIT_FAILED;
    }
    return status;
}
