/* Builds SecurityAlert-shaped alerts from a rule run (see alerts.h). */
#include "rules/alerts.h"

#include "base/util.h"
#include "output/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row of the result: its batch and index. */
typedef struct row_ref {
    const kq_batch *batch;
    uint32_t row;
} row_ref;

/* The rows one alert carries. */
typedef struct alert_rows {
    const kq_result *result;
    const row_ref *rows;
    size_t count;
} alert_rows;

static uint64_t fnv1a(uint64_t hash, const void *data, size_t len)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < len; i++) {
        hash ^= bytes[i];
        hash *= UINT64_C(1099511628211);
    }
    return hash;
}

/* Formats a 128-bit FNV-1a digest of the parts as a UUID; not cryptographic, only stable. */
static void alert_id(char out[37], const char *rule_key, int64_t run_time, const char *group_key)
{
    uint64_t halves[2] = {UINT64_C(14695981039346656037), UINT64_C(0x6c62272e07bb0142)};
    for (int h = 0; h < 2; h++) {
        halves[h] = fnv1a(halves[h], rule_key, strlen(rule_key) + 1);
        halves[h] = fnv1a(halves[h], &run_time, sizeof run_time);
        halves[h] = fnv1a(halves[h], group_key, strlen(group_key));
    }
    snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(halves[0] >> 32), (unsigned)(halves[0] >> 16) & 0xFFFFu,
             (unsigned)halves[0] & 0xFFFFu, (unsigned)(halves[1] >> 48),
             (unsigned long long)(halves[1] & UINT64_C(0xFFFFFFFFFFFF)));
}

static void json_key(kq_buf *out, const char *key)
{
    kq_buf_json_string(out, key, strlen(key));
    kq_buf_putc(out, ':');
}

static void json_text(kq_buf *out, const char *key, const char *value)
{
    json_key(out, key);
    if (value)
        kq_buf_json_string(out, value, strlen(value));
    else
        kq_buf_puts(out, "null");
    kq_buf_putc(out, ',');
}

static void json_datetime(kq_buf *out, const char *key, int64_t ticks)
{
    char text[32];
    kq_datetime_format(ticks, text);
    json_text(out, key, text);
}

/* Text of a column's value in a row, or NULL (no such column, or null). Caller frees. */
static char *cell_text(const alert_rows *rows, size_t index, const char *column)
{
    int c = kq_schema_find(&rows->result->schema, column, strlen(column));
    if (c < 0)
        return NULL;
    kq_value value = kq_column_get(&rows->rows[index].batch->cols[c], rows->rows[index].row);
    if (value.null)
        return NULL;
    kq_buf text;
    kq_buf_init(&text);
    kq_value_text(&text, &value);
    if (!text.len) {
        kq_buf_free(&text);
        return NULL;
    }
    return kq_buf_detach(&text);
}

/* Replaces each {{Column}} with the column's text in the alert's first row; unknown names stay as written. */
static char *expand_format(const char *format, const alert_rows *rows)
{
    kq_buf out;
    kq_buf_init(&out);
    const char *p = format;
    while (*p) {
        const char *open = strstr(p, "{{");
        const char *close = open ? strstr(open + 2, "}}") : NULL;
        if (!open || !close) {
            kq_buf_puts(&out, p);
            break;
        }
        kq_buf_append(&out, p, (size_t)(open - p));
        const char *name = open + 2;
        while (*name == ' ')
            name++;
        size_t len = (size_t)(close - name);
        while (len && name[len - 1] == ' ')
            len--;
        char *column = kq_xstrndup(name, len);
        char *value = rows->count ? cell_text(rows, 0, column) : NULL;
        if (value)
            kq_buf_puts(&out, value);
        else if (kq_schema_find(&rows->result->schema, column, len) < 0)
            kq_buf_append(&out, open, (size_t)(close + 2 - open));
        free(value);
        free(column);
        p = close + 2;
    }
    return kq_buf_detach(&out);
}

/* Finds the alert's time span: TimeGenerated or Timestamp, else any datetime column, else false. */
static bool rows_time_span(const alert_rows *rows, int64_t *start, int64_t *end)
{
    const kq_schema *schema = &rows->result->schema;
    int preferred = kq_schema_find(schema, "TimeGenerated", 13);
    if (preferred < 0 || schema->fields[preferred].type != KQ_DATETIME)
        preferred = kq_schema_find(schema, "Timestamp", 9);
    if (preferred >= 0 && schema->fields[preferred].type != KQ_DATETIME)
        preferred = -1;
    bool found = false;
    for (uint32_t c = 0; c < schema->count; c++) {
        if (schema->fields[c].type != KQ_DATETIME || (preferred >= 0 && (int)c != preferred))
            continue;
        for (size_t i = 0; i < rows->count; i++) {
            kq_value value = kq_column_get(&rows->rows[i].batch->cols[c], rows->rows[i].row);
            if (value.null)
                continue;
            if (!found || value.u.l < *start)
                *start = value.u.l;
            if (!found || value.u.l > *end)
                *end = value.u.l;
            found = true;
        }
    }
    return found;
}

static const char *entity_type_name(const char *entity_type)
{
    static const struct { const char *rule, *alert; } names[] = {
        {"Account", "account"}, {"Host", "host"}, {"IP", "ip"}, {"URL", "url"}, {"Process", "process"},
        {"File", "file"}, {"FileHash", "filehash"}, {"DNS", "dns"}, {"RegistryKey", "registry-key"},
        {"RegistryValue", "registry-value"}, {"Mailbox", "mailbox"}, {"Malware", "malware"},
    };
    for (size_t i = 0; i < KQ_ARRAY_LEN(names); i++)
        if (strcmp(names[i].rule, entity_type) == 0)
            return names[i].alert;
    return entity_type;
}

/* Writes one identifier; Host and Account FullName are split the way Sentinel resolves them. */
static void entity_identifier(kq_buf *out, const char *type, const char *identifier, const char *value)
{
    const char *dot = strchr(value, '.');
    const char *slash = strchr(value, '\\');
    const char *at = strchr(value, '@');
    kq_buf part;
    kq_buf_init(&part);
    if (strcmp(type, "Host") == 0 && strcmp(identifier, "FullName") == 0 && dot) {
        kq_buf_append(&part, value, (size_t)(dot - value));
        json_text(out, "HostName", part.data);
        json_text(out, "DnsDomain", dot + 1);
    } else if (strcmp(type, "Account") == 0 && strcmp(identifier, "FullName") == 0 && slash) {
        kq_buf_append(&part, value, (size_t)(slash - value));
        json_text(out, "NTDomain", part.data);
        json_text(out, "Name", slash + 1);
    } else if (strcmp(type, "Account") == 0 && strcmp(identifier, "FullName") == 0 && at) {
        kq_buf_append(&part, value, (size_t)(at - value));
        json_text(out, "Name", part.data);
        json_text(out, "UPNSuffix", at + 1);
    } else {
        json_text(out, identifier, value);
    }
    kq_buf_free(&part);
}

/*
 * Writes the Entities array: one entity per mapping and row whose mapped
 * columns are not all empty, each distinct entity once, numbered with "$id".
 */
static void write_entities(kq_buf *out, const kq_rule *rule, const alert_rows *rows)
{
    kq_buf seen, entity;
    kq_buf_init(&seen);
    kq_buf_init(&entity);
    kq_buf_puts(out, "\"Entities\":[");
    int next_id = 2; /* Sentinel numbers entities from 2; "$id" 1 is the alert itself */
    bool first = true;
    for (size_t m = 0; m < rule->nentity_mappings; m++) {
        const kq_rule_entity_mapping *mapping = &rule->entity_mappings[m];
        for (size_t i = 0; i < rows->count; i++) {
            kq_buf_clear(&entity);
            bool any = false;
            for (size_t f = 0; f < mapping->nfields; f++) {
                char *value = cell_text(rows, i, mapping->fields[f].column);
                if (value)
                    entity_identifier(&entity, mapping->entity_type, mapping->fields[f].identifier, value);
                any |= value != NULL;
                free(value);
            }
            if (!any)
                continue;
            json_text(&entity, "Type", entity_type_name(mapping->entity_type));
            entity.data[--entity.len] = '\0'; /* the trailing comma */
            kq_buf_putc(&entity, '\n');
            if (seen.data && strstr(seen.data, entity.data))
                continue;
            kq_buf_puts(&seen, entity.data);
            entity.data[--entity.len] = '\0';
            kq_buf_printf(out, "%s{\"$id\":\"%d\",%s}", first ? "" : ",", next_id++, entity.data);
            first = false;
        }
    }
    kq_buf_puts(out, "],");
    kq_buf_free(&seen);
    kq_buf_free(&entity);
}

/* Writes customDetails as Sentinel shows them: each key with the distinct values of its column. */
static void write_custom_details(kq_buf *out, const kq_rule *rule, const alert_rows *rows)
{
    json_key(out, "Custom Details");
    kq_buf_putc(out, '{');
    for (size_t d = 0; d < rule->ncustom_details; d++) {
        if (d)
            kq_buf_putc(out, ',');
        json_key(out, rule->custom_details[d].key);
        kq_buf_putc(out, '[');
        kq_buf values;
        kq_buf_init(&values);
        bool first = true;
        for (size_t i = 0; i < rows->count; i++) {
            char *value = cell_text(rows, i, rule->custom_details[d].column);
            if (!value)
                continue;
            kq_buf quoted;
            kq_buf_init(&quoted);
            kq_buf_json_string(&quoted, value, strlen(value));
            kq_buf_putc(&quoted, '\n');
            if (!values.data || !strstr(values.data, quoted.data)) {
                kq_buf_puts(&values, quoted.data);
                quoted.data[--quoted.len] = '\0';
                kq_buf_printf(out, "%s%s", first ? "" : ",", quoted.data);
                first = false;
            }
            kq_buf_free(&quoted);
            free(value);
        }
        kq_buf_free(&values);
        kq_buf_putc(out, ']');
    }
    kq_buf_puts(out, "},");
}

static void write_extended_properties(kq_buf *out, const kq_alert_run *run, const alert_rows *rows,
                                      uint64_t result_rows)
{
    const kq_rule *rule = run->rule;
    char period[48], text[64];
    kq_buf_puts(out, "\"ExtendedProperties\":{");
    json_text(out, "Query", rule->query);
    kq_timespan_format(run->schedule->period, period);
    json_text(out, "Query Period", run->schedule->period ? period : NULL);
    if (run->window_start != INT64_MIN)
        json_datetime(out, "Query Start Time UTC", run->window_start);
    json_datetime(out, "Query End Time UTC", run->run_time);
    json_text(out, "Trigger Operator", kq_trigger_arm_name(run->schedule->trigger_op));
    snprintf(text, sizeof text, "%lld", run->schedule->trigger_threshold);
    json_text(out, "Trigger Threshold", text);
    snprintf(text, sizeof text, "%llu", (unsigned long long)result_rows);
    json_text(out, "Search Query Results Overall Count", text);
    json_text(out, "Analytic Rule Name", rule->name);
    json_key(out, "Analytic Rule Ids");
    kq_buf_putc(out, '[');
    if (rule->id)
        kq_buf_json_string(out, rule->id, strlen(rule->id));
    kq_buf_puts(out, "],");
    json_text(out, "Event Grouping",
              rule->grouping == KQ_RULE_GROUPING_ALERT_PER_RESULT ? "AlertPerResult" : "SingleAlert");
    if (rule->ncustom_details)
        write_custom_details(out, rule, rows);
    json_text(out, "ProductComponentName", "Scheduled Alerts");
    out->data[out->len - 1] = '}'; /* replaces the trailing comma */
    kq_buf_putc(out, ',');
}

static void write_severity_and_tactics(kq_buf *out, const kq_rule *rule, const alert_rows *rows)
{
    static const char *const severities[] = {"Informational", "Low", "Medium", "High"};
    char *severity = rule->alert_severity_column && rows->count ? cell_text(rows, 0, rule->alert_severity_column)
                                                                : NULL;
    const char *chosen = rule->severity;
    for (size_t i = 0; severity && i < KQ_ARRAY_LEN(severities); i++)
        if (kq_ascii_ieq(severity, strlen(severity), severities[i], strlen(severities[i])))
            chosen = severities[i];
    json_text(out, "AlertSeverity", chosen);
    free(severity);

    char *tactics = rule->alert_tactics_column && rows->count ? cell_text(rows, 0, rule->alert_tactics_column)
                                                              : NULL;
    kq_buf joined;
    kq_buf_init(&joined);
    for (size_t i = 0; i < rule->ntactics; i++)
        kq_buf_printf(&joined, "%s%s", i ? ", " : "", rule->tactics[i]);
    json_text(out, "Tactics", tactics ? tactics : joined.len ? joined.data : NULL);
    kq_buf_free(&joined);
    free(tactics);
    json_key(out, "Techniques");
    kq_buf_putc(out, '[');
    for (size_t i = 0; i < rule->ntechniques; i++) {
        if (i)
            kq_buf_putc(out, ',');
        kq_buf_json_string(out, rule->techniques[i], strlen(rule->techniques[i]));
    }
    kq_buf_puts(out, "],");
}

static void add_alert(const kq_alert_run *run, const alert_rows *rows, uint64_t result_rows, const char *group_key,
                      kq_alert_list *list)
{
    const kq_rule *rule = run->rule;
    kq_alert alert;
    alert_id(alert.id, rule->id ? rule->id : rule->file, run->run_time, group_key);
    kq_buf out;
    kq_buf_init(&out);
    kq_buf_putc(&out, '{');
    json_datetime(&out, "TimeGenerated", run->run_time);
    char *name = rule->alert_name_format ? expand_format(rule->alert_name_format, rows) : NULL;
    char *description = rule->alert_description_format ? expand_format(rule->alert_description_format, rows) : NULL;
    json_text(&out, "AlertName", name ? name : rule->name);
    json_text(&out, "DisplayName", name ? name : rule->name);
    json_text(&out, "Description", description ? description : rule->description);
    free(name);
    free(description);
    write_severity_and_tactics(&out, rule, rows);
    int64_t start = 0, end = 0;
    if (!rows_time_span(rows, &start, &end)) {
        start = run->window_start != INT64_MIN ? run->window_start : run->run_time;
        end = run->run_time;
    }
    json_datetime(&out, "StartTime", start);
    json_datetime(&out, "EndTime", end);
    json_text(&out, "SystemAlertId", alert.id);
    json_text(&out, "AlertType", rule->id);
    json_text(&out, "ProviderName", "ASI Scheduled Alerts");
    json_text(&out, "ProductName", "Azure Sentinel");
    json_text(&out, "Status", "New");
    write_entities(&out, rule, rows);
    write_extended_properties(&out, run, rows, result_rows);
    json_text(&out, "AnalyticRuleId", rule->id);
    json_text(&out, "AnalyticRuleFile", rule->file);
    kq_buf_puts(&out, "\"Rows\":[");
    for (size_t i = 0; i < rows->count; i++) {
        if (i)
            kq_buf_putc(&out, ',');
        kq_row_json(&out, rows->result, rows->rows[i].batch, rows->rows[i].row);
    }
    kq_buf_puts(&out, "]}");
    alert.json = kq_buf_detach(&out);
    kq_grow((void **)&list->items, &list->cap, list->count + 1, sizeof *list->items);
    list->items[list->count++] = alert;
}

void kq_alerts_build(const kq_alert_run *run, const kq_result *result, kq_alert_list *list)
{
    if (!kq_trigger_fires(run->schedule->trigger_op, run->schedule->trigger_threshold, result->nrows))
        return;
    size_t count = 0;
    row_ref *refs = kq_xmalloc((result->nrows ? result->nrows : 1) * sizeof *refs);
    for (size_t b = 0; b < result->nbatches; b++)
        for (uint32_t r = 0; r < result->batches[b]->nrows; r++)
            refs[count++] = (row_ref){result->batches[b], r};
    /* NOTE: Sentinel caps the alerts one AlertPerResult run creates; kqlite makes one per row, uncapped. */
    if (run->rule->grouping == KQ_RULE_GROUPING_ALERT_PER_RESULT) {
        kq_buf key;
        kq_buf_init(&key);
        for (size_t i = 0; i < count; i++) {
            alert_rows rows = {result, &refs[i], 1};
            kq_buf_clear(&key);
            kq_row_json(&key, result, refs[i].batch, refs[i].row);
            add_alert(run, &rows, result->nrows, key.data, list);
        }
        kq_buf_free(&key);
    } else {
        alert_rows rows = {result, refs, count};
        add_alert(run, &rows, result->nrows, "", list);
    }
    free(refs);
}

void kq_alert_list_free(kq_alert_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i].json);
    free(list->items);
    memset(list, 0, sizeof *list);
}
