/* The public C API over the stages: sources -> catalog -> compile -> execute -> output. */
#include "kqlite.h"
#include "base/util.h"
#include "exec/exec.h"
#include "kql/compile.h"
#include "output/output.h"
#include "sources/source.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kqlite_session {
    kq_catalog *catalog;
    char *timezone;
};

struct kqlite_query {
    kq_query *query;
    char *text;
    char *name;
};

struct kqlite_result {
    kq_result *result;
};

kqlite_session *kqlite_open(void)
{
    kqlite_session *session = kq_xcalloc(1, sizeof *session);
    session->catalog = kq_catalog_new();
    return session;
}

void kqlite_close(kqlite_session *session)
{
    if (!session)
        return;
    kq_catalog_free(session->catalog);
    free(session->timezone);
    free(session);
}

void kqlite_free(void *pointer)
{
    free(pointer);
}

void kqlite_set_timezone(kqlite_session *session, const char *timezone)
{
    free(session->timezone);
    session->timezone = timezone ? kq_xstrdup(timezone) : NULL;
}

int kqlite_load(kqlite_session *session, const char *data_argument, char **report)
{
    kq_load_options options = {.timezone = session->timezone};
    kq_load_report load_report;
    kq_load_report_init(&load_report);
    int status = kq_load_data_argument(session->catalog, data_argument, &options, &load_report);
    kq_catalog_finish(session->catalog);
    if (report) {
        kq_buf text;
        kq_buf_init(&text);
        for (size_t i = 0; i < load_report.count; i++) {
            const kq_file_report *file = &load_report.files[i];
            if (file->error)
                kq_buf_printf(&text, "%s: error: %s\n", file->path, file->error);
            else
                kq_buf_printf(&text, "%s: %s -> %s: %llu read, %llu loaded, %llu skipped\n", file->path,
                              file->format ? file->format : "?", file->tables ? file->tables : "",
                              (unsigned long long)file->records_read, (unsigned long long)file->records_loaded,
                              (unsigned long long)file->records_skipped);
        }
        *report = kq_buf_detach(&text);
    }
    kq_load_report_free(&load_report);
    return status;
}

kqlite_query *kqlite_compile(kqlite_session *session, const char *name, const char *text, char **errors)
{
    kqlite_query *compiled = kq_xcalloc(1, sizeof *compiled);
    compiled->text = kq_xstrdup(text);
    compiled->name = kq_xstrdup(name ? name : "<query>");
    kq_source source = {.file = compiled->name, .text = compiled->text, .len = strlen(text), .first_line = 1};
    kq_diags diags;
    kq_diags_init(&diags);
    compiled->query = kq_compile(&source, session->catalog, &diags);
    if (errors) {
        kq_buf out;
        kq_buf_init(&out);
        for (size_t i = 0; i < diags.count; i++)
            kq_diag_render(&diags.items[i], &out);
        *errors = kq_buf_detach(&out);
    }
    kq_diags_free(&diags);
    if (!compiled->query) {
        kqlite_query_free(compiled);
        return NULL;
    }
    return compiled;
}

void kqlite_query_free(kqlite_query *query)
{
    if (!query)
        return;
    kq_query_free(query->query);
    free(query->text);
    free(query->name);
    free(query);
}

kqlite_result *kqlite_run(kqlite_session *session, const kqlite_query *query, int64_t now_ticks, char **error)
{
    char *message = NULL;
    kq_result *result = kq_execute(query->query, session->catalog, now_ticks, &message);
    if (!result) {
        if (error)
            *error = message;
        else
            free(message);
        return NULL;
    }
    kqlite_result *wrapped = kq_xcalloc(1, sizeof *wrapped);
    wrapped->result = result;
    return wrapped;
}

int64_t kqlite_now_ticks(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return KQ_UNIX_EPOCH_TICKS + (int64_t)now.tv_sec * KQ_TICKS_PER_SECOND + now.tv_nsec / 100;
}

void kqlite_result_free(kqlite_result *result)
{
    if (!result)
        return;
    kq_result_free(result->result);
    free(result);
}

size_t kqlite_result_columns(const kqlite_result *result)
{
    return result->result->schema.count;
}

const char *kqlite_result_column_name(const kqlite_result *result, size_t column)
{
    return column < result->result->schema.count ? result->result->schema.fields[column].name : NULL;
}

const char *kqlite_result_column_type(const kqlite_result *result, size_t column)
{
    return column < result->result->schema.count ? kq_type_name(result->result->schema.fields[column].type) : NULL;
}

uint64_t kqlite_result_rows(const kqlite_result *result)
{
    return result->result->nrows;
}

/* Finds the batch and row within it; returns NULL when row is out of range. */
static const kq_batch *locate(const kq_result *result, uint64_t row, uint32_t *index)
{
    for (size_t b = 0; b < result->nbatches; b++) {
        if (row < result->batches[b]->nrows) {
            *index = (uint32_t)row;
            return result->batches[b];
        }
        row -= result->batches[b]->nrows;
    }
    return NULL;
}

char *kqlite_result_text(const kqlite_result *result, uint64_t row, size_t column)
{
    uint32_t index;
    const kq_batch *batch = locate(result->result, row, &index);
    if (!batch || column >= result->result->schema.count)
        return NULL;
    kq_buf text;
    kq_buf_init(&text);
    kq_value v = kq_column_get(&batch->cols[column], index);
    kq_value_text(&text, &v);
    return kq_buf_detach(&text);
}

char *kqlite_result_row_json(const kqlite_result *result, uint64_t row)
{
    uint32_t index;
    const kq_batch *batch = locate(result->result, row, &index);
    if (!batch)
        return NULL;
    kq_buf text;
    kq_buf_init(&text);
    kq_row_json(&text, result->result, batch, index);
    return kq_buf_detach(&text);
}
