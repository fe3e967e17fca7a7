/* kqlite tables --store: what a store holds, from its manifest alone. */
#include "store/store.h"
#include "store/format.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void put_time(kq_buf *out, int64_t ticks)
{
    char text[32];
    kq_datetime_format(ticks, text);
    kq_buf_puts(out, text);
}

/* Appends the range of the table's time column (Timestamp, else TimeGenerated, else the first datetime). */
static void describe_time(const kq_store_table *table, kq_buf *out)
{
    int column = -1;
    const char *names[] = {"Timestamp", "TimeGenerated"};
    for (size_t i = 0; i < 2 && column < 0; i++)
        for (uint32_t c = 0; c < table->ncols; c++)
            if (table->fields[c].type == KQ_DATETIME && strcmp(table->fields[c].name, names[i]) == 0)
                column = (int)c;
    for (uint32_t c = 0; c < table->ncols && column < 0; c++)
        if (table->fields[c].type == KQ_DATETIME)
            column = (int)c;
    if (column < 0)
        return;
    bool any = false;
    int64_t min = 0, max = 0;
    for (uint32_t b = 0; b < table->nblocks; b++) {
        const kq_store_column_block *col = kq_store_block_column(table, &table->blocks[b], (uint32_t)column);
        if (!col || !(col->flags & KQ_STORE_ANY_VALUE))
            continue;
        if (!any || col->min < min)
            min = col->min;
        if (!any || col->max > max)
            max = col->max;
        any = true;
    }
    kq_buf_printf(out, "  %s: ", table->fields[column].name);
    if (!any) {
        kq_buf_puts(out, "no values\n");
        return;
    }
    put_time(out, min);
    kq_buf_puts(out, " .. ");
    put_time(out, max);
    kq_buf_putc(out, '\n');
}

bool kq_store_describe(const char *path, kq_buf *out, char **error)
{
    kq_store_manifest m;
    char message[700];
    if (!kq_store_manifest_load(path, NULL, NULL, &m, message, sizeof message)) {
        *error = kq_xstrdup(message);
        return false;
    }
    /* The same checks as opening the store for a query, so a listing does not vouch for a damaged store. */
    bool segments_ok = kq_store_check_segments(path, &m, message, sizeof message);
    uint64_t bytes = 0;
    for (uint32_t s = 1; segments_ok && s <= m.segments; s++) {
        char *segment = kq_store_segment_path(path, s);
        struct stat st;
        if (stat(segment, &st) == 0)
            bytes += (uint64_t)st.st_size;
        free(segment);
    }
    if (segments_ok)
        kq_buf_printf(out, "store %s: format version %u, %u ingest%s, %llu bytes of segments\n", path,
                      m.version, m.segments, m.segments == 1 ? "" : "s", (unsigned long long)bytes);
    else
        kq_buf_printf(out, "store %s: format version %u, %u ingest%s, damaged segments (see the error)\n", path,
                      m.version, m.segments, m.segments == 1 ? "" : "s");
    for (uint32_t t = 0; t < m.ntables; t++) {
        const kq_store_table *table = &m.tables[t];
        kq_buf_printf(out, "%s: %llu rows in %u blocks, %u columns\n", table->name,
                      (unsigned long long)table->nrows, table->nblocks, table->ncols);
        describe_time(table, out);
    }
    kq_buf_printf(out, "sources (%u files):\n", m.nsources);
    for (uint32_t i = 0; i < m.nsources; i++) {
        const kq_store_source *source = &m.sources[i];
        char when[32];
        time_t t = (time_t)source->ingested;
        struct tm tm;
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        kq_buf_printf(out, "  %s: %s -> %s, %llu records, %llu bytes, ingested %s (segment %u)\n", source->path,
                      source->format, source->tables, (unsigned long long)source->records,
                      (unsigned long long)source->size, when, source->segment);
    }
    kq_store_manifest_free(&m);
    if (!segments_ok)
        *error = kq_xstrdup(message);
    return segments_ok;
}
