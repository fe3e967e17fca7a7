/*
 * Decoded EVTX events as table rows, and the loader that load.c calls.
 *
 * Every record becomes a WindowsEvent row (Sentinel's generic Windows event
 * table). Records of the Security channel also become SecurityEvent rows,
 * with each EventData field that names a SecurityEvent column copied into
 * it. Events that docs/evtx.md lists as mapped (Sysmon, Security 4688) also
 * become rows of their Defender table through kq_winevent_map, the path
 * JSON-rendered events take, so EVTX and JSON give the same Defender rows.
 */
#include "sources/evtx/evtx.h"
#include "base/util.h"
#include "table/builder.h"
#include "table/table.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_text(kq_table_builder *builder, const char *column, const char *text)
{
    if (!text || !*text)
        return;
    int index = kq_table_builder_column(builder, column, strlen(column));
    kq_table_builder_set_text(builder, index, text, strlen(text));
}

static void put_long(kq_table_builder *builder, const char *column, int64_t value, bool has)
{
    if (!has)
        return;
    int index = kq_table_builder_column(builder, column, strlen(column));
    kq_table_builder_set_value(builder, index, kq_long(value));
}

static void put_time(kq_table_builder *builder, const evtx_event *event)
{
    if (!event->has_time_created)
        return;
    int index = kq_table_builder_column(builder, "TimeGenerated", 13);
    kq_table_builder_set_datetime(builder, index, event->time_created);
}

/* Level names as the Windows event viewer shows them (0 is LogAlways, shown as Information). */
static const char *level_name(int64_t level)
{
    static const char *const names[] = {"Information", "Critical", "Error", "Warning", "Information", "Verbose"};
    return level >= 0 && level <= 5 ? names[level] : NULL;
}

static void write_windows_event(kq_load_context *ctx, const evtx_event *event, const json_t *data)
{
    kq_table_builder *b = kq_context_builder(ctx, "WindowsEvent");
    char record_id[24];
    snprintf(record_id, sizeof record_id, "%" PRIu64, event->record_id);
    put_text(b, "Channel", event->channel);
    put_text(b, "Computer", event->computer);
    put_text(b, "Correlation", event->correlation);
    kq_table_builder_set_json(b, kq_table_builder_column(b, "EventData", 9), data);
    put_long(b, "EventID", event->event_id, event->event_id >= 0);
    put_long(b, "EventLevel", event->level, event->has_level);
    put_text(b, "EventLevelName", event->has_level ? level_name(event->level) : NULL);
    put_text(b, "EventRecordId", record_id);
    put_text(b, "Keywords", event->keywords);
    put_text(b, "Opcode", event->opcode_text);
    put_text(b, "Provider", event->provider);
    put_long(b, "SystemProcessId", event->process_id, event->has_process_id);
    put_long(b, "SystemThreadId", event->thread_id, event->has_thread_id);
    put_text(b, "SystemUserId", event->user_id);
    put_long(b, "Task", event->task, event->has_task);
    put_time(b, event);
    put_text(b, "Type", "WindowsEvent");
    put_long(b, "Version", event->version, event->has_version);
    kq_context_row_loaded(ctx, b);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* SecurityEvent's column names, sorted once for binary search (a linear scan per
 * EventData field was a visible share of the load time). */
static const char **security_columns;
static size_t security_column_count;
static pthread_once_t security_columns_once = PTHREAD_ONCE_INIT;

static void sort_security_columns(void)
{
    const kq_builtin_table *table = kq_builtin_table_find("SecurityEvent", 13);
    security_column_count = table ? table->count : 0;
    security_columns = kq_xcalloc(security_column_count + 1, sizeof *security_columns);
    for (size_t i = 0; i < security_column_count; i++)
        security_columns[i] = table->fields[i].name;
    qsort(security_columns, security_column_count, sizeof *security_columns, compare_names);
}

static bool is_security_column(const char *name)
{
    pthread_once(&security_columns_once, sort_security_columns);
    return bsearch(&name, security_columns, security_column_count, sizeof *security_columns, compare_names) != NULL;
}

/* Writes "DOMAIN\user" from two EventData fields into column; nothing when the user is absent or "-". */
static void put_account(kq_table_builder *b, const json_t *data, const char *column, const char *domain_field,
                        const char *user_field)
{
    const char *user = json_string_value(json_object_get(data, user_field));
    const char *domain = json_string_value(json_object_get(data, domain_field));
    if (!user || !*user || strcmp(user, "-") == 0)
        return;
    char account[512];
    if (domain && *domain && strcmp(domain, "-") != 0)
        snprintf(account, sizeof account, "%s\\%s", domain, user);
    else
        snprintf(account, sizeof account, "%s", user);
    put_text(b, column, account);
}

static void write_security_event(kq_load_context *ctx, const evtx_event *event, const json_t *data)
{
    kq_table_builder *b = kq_context_builder(ctx, "SecurityEvent");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)data, key, value)
    {
        if (!is_security_column(key))
            continue;
        char number[32];
        if (json_is_integer(value)) {
            snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
            put_text(b, key, number);
        } else if (json_is_string(value)) {
            put_text(b, key, json_string_value(value));
        }
    }
    put_account(b, data, "SubjectAccount", "SubjectDomainName", "SubjectUserName");
    put_account(b, data, "TargetAccount", "TargetDomainName", "TargetUserName");
    put_account(b, data, "Account", "TargetDomainName", "TargetUserName");
    if (!json_object_get(data, "TargetUserName"))
        put_account(b, data, "Account", "SubjectDomainName", "SubjectUserName");
    put_text(b, "Channel", event->channel);
    put_text(b, "Computer", event->computer);
    put_long(b, "EventID", event->event_id, event->event_id >= 0);
    put_text(b, "EventSourceName", event->provider);
    char level[24];
    snprintf(level, sizeof level, "%" PRId64, event->level);
    put_text(b, "Level", event->has_level ? level : NULL);
    char *text = json_dumps(data, JSON_COMPACT);
    put_text(b, "EventData", text);
    free(text);
    put_time(b, event);
    put_text(b, "Type", "SecurityEvent");
    kq_context_row_loaded(ctx, b);
}

void evtx_rows_write(kq_load_context *ctx, const evtx_event *event)
{
    json_t *data = evtx_event_data(event);
    write_windows_event(ctx, event, data);
    /* TABLE=PATH sends every row to TABLE: one WindowsEvent-shaped row per record. */
    if (ctx->forced_table) {
        json_decref(data);
        return;
    }
    if (strcmp(event->channel, "Security") == 0)
        write_security_event(ctx, event, data);
    kq_winevent model = {
        .provider = event->provider,
        .event_id = event->event_id,
        .computer = event->computer,
        .record_id = (int64_t)event->record_id,
        .has_record_id = true,
        .time_created = event->time_created,
        .has_time_created = event->has_time_created,
        .data = data,
    };
    kq_winevent_map(ctx, &model);
    json_decref(data);
}

/* Adds one chunk's events and damage to the tables and its file's report. */
static void load_chunk(void *user, evtx_chunk_result *result)
{
    kq_load_context *ctx = ((kq_load_context **)user)[result->input];
    for (size_t i = 0; i < result->nevents; i++)
        evtx_rows_write(ctx, &result->events[i]);
    for (size_t i = 0; i < result->ndamage; i++) {
        kq_file_report_skip(ctx->file, result->damage[i].reason, result->damage[i].location);
        /* kq_file_report_skip counts a skipped record; damage to a chunk header skips none by itself. */
        ctx->file->records_skipped--;
    }
    ctx->file->records_read += result->records_read;
    ctx->file->records_skipped += result->records_skipped;
}

/*
 * A file cut short loses whole chunks, and nothing left in the file records
 * how many events they held. The header's chunk count at least shows that
 * they are gone. A log not closed cleanly can list fewer chunks than it has,
 * so only a shortfall is reported.
 */
static void report_missing_chunks(kq_load_context *ctx, const uint8_t *data, size_t len)
{
    uint64_t listed = evtx_le16(data + 42);
    uint64_t present = len > EVTX_FILE_HEADER_SIZE ? (len - EVTX_FILE_HEADER_SIZE + EVTX_CHUNK_SIZE - 1) / EVTX_CHUNK_SIZE : 0;
    if (listed <= present)
        return;
    char reason[160];
    snprintf(reason, sizeof reason,
             "file ends after %" PRIu64 " of the %" PRIu64 " chunks its header lists: the records of the other %" PRIu64
             " chunks are lost and cannot be counted",
             present, listed, listed - present);
    kq_file_report_skip(ctx->file, reason, "file header");
    ctx->file->records_skipped--;
}

void kq_evtx_load_files(kq_load_context **contexts, const char **data, const size_t *lens, size_t count)
{
    evtx_input *inputs = kq_xcalloc(count ? count : 1, sizeof *inputs);
    uint64_t *loaded_before = kq_xcalloc(count ? count : 1, sizeof *loaded_before);
    for (size_t i = 0; i < count; i++) {
        kq_load_context *ctx = contexts[i];
        kq_file_report_set_format(ctx->file, "evtx");
        inputs[i] = (evtx_input){(const uint8_t *)data[i], lens[i]};
        loaded_before[i] = ctx->file->records_loaded;
        char header_damage[160];
        evtx_check_file_header(inputs[i].data, inputs[i].len, header_damage, sizeof header_damage);
        if (header_damage[0]) {
            kq_file_report_skip(ctx->file, header_damage, "file header");
            ctx->file->records_skipped--;
        } else {
            report_missing_chunks(ctx, inputs[i].data, inputs[i].len);
        }
    }
    evtx_decode_options options = {.threads = count && contexts[0]->options ? contexts[0]->options->threads : 0};
    evtx_decode_files(inputs, count, &options, load_chunk, contexts);
    for (size_t i = 0; i < count; i++) {
        kq_file_report *file = contexts[i]->file;
        /* One record can feed several tables; the report counts records, not rows. */
        file->records_loaded = loaded_before[i] + (file->records_read - file->records_skipped);
    }
    free(inputs);
    free(loaded_before);
}

void kq_evtx_load(kq_load_context *ctx, const char *data, size_t len)
{
    kq_evtx_load_files(&ctx, &data, &len, 1);
}
