/*
 * Data arguments (PATH or TABLE=PATH), folder walks, per-file reports and the
 * dispatch from a file's detected format to its reader.
 */
#include "sources/source_internal.h"
#include "sources/evtx/evtx.h"
#include "base/limits.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Folder nesting deeper than this is reported instead of walked (a guard against bind-mount loops). */
#define LOAD_MAX_FOLDER_DEPTH 32

void kq_load_report_init(kq_load_report *report)
{
    memset(report, 0, sizeof *report);
}

static void free_file_report(kq_file_report *file)
{
    free(file->path);
    free(file->format);
    free(file->tables);
    free(file->error);
    free(file->skipped);
    free(file->first_conversion_failure);
    for (int i = 0; i < file->nreasons; i++) {
        free(file->reasons[i].reason);
        free(file->reasons[i].first_location);
    }
}

void kq_load_report_free(kq_load_report *report)
{
    for (size_t i = 0; i < report->count; i++)
        free_file_report(&report->files[i]);
    free(report->files);
    kq_load_report_init(report);
}

static kq_file_report *add_file_report(kq_load_report *report, const char *path)
{
    kq_grow((void **)&report->files, &report->cap, report->count + 1, sizeof(kq_file_report));
    kq_file_report *file = &report->files[report->count++];
    memset(file, 0, sizeof *file);
    file->path = kq_xstrdup(path);
    return file;
}

static void set_error(kq_file_report *file, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void set_error(kq_file_report *file, const char *format, ...)
{
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    free(file->error);
    file->error = kq_xstrdup(message);
}

void kq_file_report_skip(kq_file_report *file, const char *reason, const char *location)
{
    file->records_skipped++;
    for (int i = 0; i < file->nreasons; i++) {
        if (strcmp(file->reasons[i].reason, reason) == 0) {
            file->reasons[i].count++;
            return;
        }
    }
    /* The last slot collects every reason that no longer fits, so counts still add up. */
    if (file->nreasons == KQ_MAX_SKIP_REASONS - 1) {
        file->reasons[file->nreasons].reason = kq_xstrdup("other reasons");
        file->reasons[file->nreasons].first_location = kq_xstrdup(location ? location : "");
        file->reasons[file->nreasons].count = 0;
        file->nreasons++;
    }
    if (file->nreasons == KQ_MAX_SKIP_REASONS) {
        file->reasons[KQ_MAX_SKIP_REASONS - 1].count++;
        return;
    }
    kq_skip_reason *slot = &file->reasons[file->nreasons++];
    slot->reason = kq_xstrdup(reason);
    slot->first_location = kq_xstrdup(location ? location : "");
    slot->count = 1;
}

void kq_file_report_set_format(kq_file_report *file, const char *format)
{
    if (file->format && strcmp(file->format, format) == 0)
        return;
    free(file->format);
    file->format = kq_xstrdup(format);
}

void kq_file_report_add_table(kq_file_report *file, const char *table)
{
    size_t len = strlen(table);
    if (file->tables) {
        for (const char *p = file->tables; *p;) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (n == len && memcmp(p, table, len) == 0)
                return;
            p += n + (comma ? 1 : 0);
        }
        size_t old = strlen(file->tables);
        file->tables = kq_xrealloc(file->tables, old + len + 2);
        file->tables[old] = ',';
        memcpy(file->tables + old + 1, table, len + 1);
    } else {
        file->tables = kq_xstrdup(table);
    }
}

kq_table_builder *kq_context_builder(kq_load_context *ctx, const char *table)
{
    const char *name = ctx->forced_table ? ctx->forced_table : table;
    kq_file_report_add_table(ctx->file, name);
    kq_table_builder *builder = kq_catalog_builder(ctx->catalog, name);
    if (ctx->options && ctx->options->column_filter)
        kq_table_builder_set_filter(builder, ctx->options->column_filter, ctx->options->column_filter_user);
    if (ctx->options && ctx->options->flush)
        kq_table_builder_set_flush(builder, ctx->options->flush_rows, ctx->options->flush, ctx->options->flush_user);
    return builder;
}

void kq_context_row_loaded(kq_load_context *ctx, kq_table_builder *builder)
{
    uint64_t failures_before = kq_table_builder_stats(builder)->conversion_failures;
    kq_table_builder_end_row(builder);
    ctx->file->records_loaded++;
    uint64_t failures = kq_table_builder_stats(builder)->conversion_failures - failures_before;
    ctx->file->conversion_failures += failures;
    if (failures && !ctx->file->first_conversion_failure)
        ctx->file->first_conversion_failure =
            kq_xstrdup(kq_table_builder_stats(builder)->last_failure);
}

char *kq_table_name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *name = kq_xmalloc(len + 2);
    size_t out = 0;
    /* A name that starts with a digit gets a leading '_' so it stays an identifier. */
    if (len == 0 || (base[0] >= '0' && base[0] <= '9'))
        name[out++] = '_';
    for (size_t i = 0; i < len; i++)
        name[out++] = kq_is_alnum((unsigned char)base[i]) ? base[i] : '_';
    name[out] = '\0';
    return name;
}

static bool is_identifier(const char *text, size_t len)
{
    if (len == 0 || (text[0] >= '0' && text[0] <= '9'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!kq_is_alnum((unsigned char)text[i]) && text[i] != '_')
            return false;
    return true;
}

/* Reports a file whose format kqlite does not read: an error when the file was named
 * directly, a skipped file when a folder walk found it. */
static void unreadable(kq_load_context *ctx, const char *message)
{
    if (ctx->in_folder) {
        free(ctx->file->skipped);
        ctx->file->skipped = kq_xstrdup(message);
    } else {
        set_error(ctx->file, "%s", message);
    }
}

/* Runs the reader for the detected format; returns -1 when the format is not one kqlite reads. */
static int load_content(kq_load_context *ctx, const char *data, size_t len)
{
    switch (kq_detect_format(ctx->path, data, len)) {
    case KQ_FORMAT_EMPTY:
        kq_file_report_set_format(ctx->file, "empty");
        return 0;
    case KQ_FORMAT_JSON:
        kq_json_load(ctx, data, len);
        return 0;
    case KQ_FORMAT_CSV:
        kq_csv_load(ctx, data, len);
        return 0;
    case KQ_FORMAT_EVTX:
        kq_evtx_load(ctx, data, len);
        return 0;
    case KQ_FORMAT_BINARY:
        kq_file_report_set_format(ctx->file, "unknown");
        unreadable(ctx, "unknown format: binary data, not CSV or JSON");
        return -1;
    case KQ_FORMAT_TEXT:
    default:
        kq_file_report_set_format(ctx->file, "unknown");
        unreadable(ctx, "unknown format: text that is neither CSV (a header line of "
                        "comma-separated names) nor JSON");
        return -1;
    }
}

static bool init_context(kq_load_context *ctx, kq_catalog *catalog, const kq_load_options *options,
                         kq_file_report *file, const char *forced_table)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->catalog = catalog;
    ctx->options = options;
    ctx->file = file;
    ctx->path = file->path;
    ctx->forced_table = forced_table;
    const char *zone = options ? options->timezone : NULL;
    if (!kq_tz_init(&ctx->tz, zone)) {
        set_error(file, "unknown time zone '%s': use UTC, an offset such as +02:00, or an IANA name "
                        "such as Europe/Berlin", zone);
        return false;
    }
    return true;
}

int kq_load_buffer(kq_catalog *catalog, const char *name, const char *data, size_t len,
                   const kq_load_options *options, kq_load_report *report)
{
    kq_file_report *file = add_file_report(report, name);
    kq_load_context ctx;
    if (!init_context(&ctx, catalog, options, file, NULL))
        return -1;
    return load_content(&ctx, data, len);
}

/* Status of load_file_content when the file could not be read. */
#define READ_FAILED (-2)

/*
 * Reads the file's first kq_csv_window_bytes(). A CSV file longer than that is
 * loaded through a window as its records are read. Anything else is read
 * whole, because the JSON and EVTX readers need all of it. Returns
 * READ_FAILED when the file could not be read, else the reader's status.
 */
static int load_file_content(kq_load_context *ctx, const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        set_error(ctx->file, "cannot read %s: %s", path, strerror(errno));
        return READ_FAILED;
    }
    size_t cap = kq_csv_window_bytes();
    char *data = kq_xmalloc(cap + 1);
    size_t len = fread(data, 1, cap, file);
    int status = 0;
    if (ferror(file)) {
        set_error(ctx->file, "cannot read %s: %s", path, strerror(errno ? errno : EIO));
        status = READ_FAILED;
    } else if (len == cap && kq_detect_format(ctx->path, data, len) == KQ_FORMAT_CSV) {
        if (!kq_csv_load_file(ctx, data, len, cap, file)) {
            set_error(ctx->file, "cannot read %s: %s", path, strerror(errno));
            status = READ_FAILED;
        }
        data = NULL; /* the CSV reader owned the window and freed it */
    } else {
        /* Read the rest, then hand the whole file to the reader its format needs. */
        while (len == cap) {
            cap *= 2;
            data = kq_xrealloc(data, cap + 1);
            size_t got = fread(data + len, 1, cap - len, file);
            len += got;
            if (got == 0)
                break;
        }
        if (ferror(file)) {
            set_error(ctx->file, "cannot read %s: %s", path, strerror(errno ? errno : EIO));
            status = READ_FAILED;
        } else {
            data[len] = '\0';
            status = load_content(ctx, data, len);
        }
    }
    free(data);
    fclose(file);
    return status;
}

/* Bytes of a file's start that a probe reads: enough for a CSV header and its first records. */
#define PROBE_BYTES (64 * 1024)

/*
 * Reports to options->probe which tables the file would feed, from its first
 * PROBE_BYTES: a CSV file's records there go through the CSV reader into a
 * catalog of their own. A file whose tables are known only from a full read
 * (JSON, EVTX) is reported as NULL, unless a TABLE=PATH argument names its table.
 */
static void probe_file(const char *path, const char *forced_table, const kq_load_options *options)
{
    if (forced_table) {
        options->probe(options->probe_user, forced_table);
        return;
    }
    FILE *stream = fopen(path, "rb");
    if (!stream)
        return;
    char *data = kq_xmalloc(PROBE_BYTES + 1);
    size_t len = fread(data, 1, PROBE_BYTES, stream);
    bool whole = len < PROBE_BYTES;
    fclose(stream);
    kq_format format = kq_detect_format(path, data, len);
    if (format == KQ_FORMAT_CSV) {
        /* Only whole records: a cut one would be read as a short record. */
        while (!whole && len > 0 && data[len - 1] != '\n')
            len--;
        data[len] = '\0';
        kq_catalog *scratch = kq_catalog_new();
        kq_load_report report;
        kq_load_report_init(&report);
        kq_load_options plain = {.timezone = options->timezone, .threads = 1};
        kq_file_report *file = add_file_report(&report, path);
        kq_load_context ctx;
        if (init_context(&ctx, scratch, &plain, file, NULL))
            kq_csv_load(&ctx, data, len);
        for (char *table = file->tables; table && *table;) {
            char *comma = strchr(table, ',');
            if (comma)
                *comma = '\0';
            options->probe(options->probe_user, table);
            table = comma ? comma + 1 : NULL;
        }
        kq_load_report_free(&report);
        kq_catalog_free(scratch);
    } else if (format == KQ_FORMAT_JSON || format == KQ_FORMAT_EVTX) {
        options->probe(options->probe_user, NULL);
    }
    free(data);
}

/* Loads one regular file. top_level: the file was named on the command line, so an unknown format is an error. */
static int load_file(kq_catalog *catalog, const char *path, const char *forced_table,
                     const kq_load_options *options, kq_load_report *report, bool top_level)
{
    if (options && options->probe) {
        probe_file(path, forced_table, options);
        return 0;
    }
    kq_file_report *file = add_file_report(report, path);
    kq_load_context ctx;
    if (!init_context(&ctx, catalog, options, file, forced_table))
        return -1;
    ctx.in_folder = !top_level;
    int status = load_file_content(&ctx, path);
    if (status == READ_FAILED)
        return -1;
    return top_level ? status : 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_path(kq_catalog *catalog, const char *path, const char *forced_table,
                     const kq_load_options *options, kq_load_report *report, int depth);

/* Consecutive EVTX files of one folder, decoded as one job (KQ_EVTX_BATCH_BYTES explains why). */
typedef struct evtx_batch {
    char **paths;
    size_t count, cap;
    uint64_t bytes;
} evtx_batch;

/* Returns true when path is a regular file that starts with the EVTX signature; size gets its size. */
static bool is_evtx_file(const char *path, uint64_t *size)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    FILE *file = fopen(path, "rb");
    if (!file)
        return false;
    uint8_t signature[8];
    size_t got = fread(signature, 1, sizeof signature, file);
    fclose(file);
    *size = (uint64_t)st.st_size;
    return evtx_is_evtx(signature, got);
}

/* Reads every file of the batch and decodes them together; returns -1 when a file could not be read. */
static int flush_evtx_batch(evtx_batch *batch, kq_catalog *catalog, const char *forced_table,
                             const kq_load_options *options, kq_load_report *report)
{
    size_t n = batch->count;
    if (n == 0)
        return 0;
    if (options && options->probe) {
        for (size_t i = 0; i < n; i++) {
            options->probe(options->probe_user, forced_table);
            free(batch->paths[i]);
        }
        batch->count = 0;
        batch->bytes = 0;
        return 0;
    }
    int status = 0;
    size_t first = report->count;
    for (size_t i = 0; i < n; i++)
        add_file_report(report, batch->paths[i]);
    /* Reports may move while they are added, so contexts point at them only now. */
    kq_load_context *contexts = kq_xcalloc(n, sizeof *contexts);
    kq_load_context **ready = kq_xcalloc(n, sizeof *ready);
    char **data = kq_xcalloc(n, sizeof *data);
    size_t *lens = kq_xcalloc(n, sizeof *lens);
    size_t nready = 0;
    for (size_t i = 0; i < n; i++) {
        kq_file_report *file = &report->files[first + i];
        if (!init_context(&contexts[i], catalog, options, file, forced_table)) {
            status = -1;
            continue;
        }
        contexts[i].in_folder = true;
        size_t len = 0;
        char *bytes = kq_read_file(batch->paths[i], &len);
        if (!bytes) {
            set_error(file, "cannot read %s: %s", batch->paths[i], strerror(errno));
            status = -1;
            continue;
        }
        if (!evtx_is_evtx((const uint8_t *)bytes, len)) {
            /* The file changed after the signature was read: load it as whatever it is now. */
            load_content(&contexts[i], bytes, len);
            free(bytes);
            continue;
        }
        ready[nready] = &contexts[i];
        data[nready] = bytes;
        lens[nready++] = len;
    }
    kq_evtx_load_files(ready, (const char **)data, lens, nready);
    for (size_t i = 0; i < nready; i++)
        free(data[i]);
    for (size_t i = 0; i < n; i++)
        free(batch->paths[i]);
    free(contexts);
    free(ready);
    free(data);
    free(lens);
    batch->count = 0;
    batch->bytes = 0;
    return status;
}

/* Returns false after adding a report for a file that options->file_check skips. */
static bool file_wanted(const char *path, const kq_load_options *options, kq_load_report *report)
{
    if (!options || !options->file_check)
        return true;
    char *reason = options->file_check(options->file_check_user, path);
    if (!reason)
        return true;
    kq_file_report *file = add_file_report(report, path);
    file->skipped = reason;
    return false;
}

/* Walks a folder in name order so table row order is the same on every run. */
static int load_folder(kq_catalog *catalog, const char *path, const char *forced_table,
                       const kq_load_options *options, kq_load_report *report, int depth)
{
    DIR *dir = opendir(path);
    if (!dir) {
        kq_file_report *file = add_file_report(report, path);
        set_error(file, "cannot open folder %s: %s", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        kq_grow((void **)&names, &cap, count + 1, sizeof(char *));
        names[count++] = kq_xstrdup(entry->d_name);
    }
    closedir(dir);
    if (count)
        qsort(names, count, sizeof(char *), compare_names);
    int status = 0;
    evtx_batch batch = {0};
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *child = kq_xmalloc(len);
        snprintf(child, len, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
        free(names[i]);
        uint64_t size;
        if (is_evtx_file(child, &size)) {
            if (!file_wanted(child, options, report)) {
                free(child);
                continue;
            }
            bool full = batch.bytes + size > KQ_EVTX_BATCH_BYTES || batch.count >= KQ_EVTX_BATCH_FILES;
            if (full && flush_evtx_batch(&batch, catalog, forced_table, options, report) != 0)
                status = -1;
            kq_grow((void **)&batch.paths, &batch.cap, batch.count + 1, sizeof(char *));
            batch.paths[batch.count++] = child;
            batch.bytes += size;
            continue;
        }
        if (flush_evtx_batch(&batch, catalog, forced_table, options, report) != 0)
            status = -1;
        if (load_path(catalog, child, forced_table, options, report, depth + 1) != 0)
            status = -1;
        free(child);
    }
    if (flush_evtx_batch(&batch, catalog, forced_table, options, report) != 0)
        status = -1;
    free(batch.paths);
    free(names);
    return status;
}

static int load_path(kq_catalog *catalog, const char *path, const char *forced_table,
                     const kq_load_options *options, kq_load_report *report, int depth)
{
    struct stat st;
    /* Inside a folder, symbolic links to folders are not followed, so a link cycle cannot recurse. */
    if ((depth > 0 ? lstat(path, &st) : stat(path, &st)) != 0) {
        kq_file_report *file = add_file_report(report, path);
        set_error(file, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        struct stat target;
        if (stat(path, &target) != 0 || !S_ISREG(target.st_mode))
            return 0;
        st = target;
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth >= LOAD_MAX_FOLDER_DEPTH) {
            kq_file_report *file = add_file_report(report, path);
            set_error(file, "folder nesting deeper than %d levels; not walked", LOAD_MAX_FOLDER_DEPTH);
            return -1;
        }
        return load_folder(catalog, path, forced_table, options, report, depth);
    }
    if (!S_ISREG(st.st_mode)) {
        /* A FIFO or device could block or never end; only regular files are read. */
        kq_file_report *file = add_file_report(report, path);
        set_error(file, "%s is not a regular file or folder", path);
        return depth == 0 ? -1 : 0;
    }
    if (!file_wanted(path, options, report))
        return 0;
    return load_file(catalog, path, forced_table, options, report, depth == 0);
}

int kq_load_data_argument(kq_catalog *catalog, const char *argument, const kq_load_options *options,
                          kq_load_report *report)
{
    if (!argument || !*argument) {
        kq_file_report *file = add_file_report(report, "");
        set_error(file, "empty data argument: expected PATH or TABLE=PATH");
        return -1;
    }
    /* TABLE=PATH, unless the whole argument names an existing path (file names may contain '='). */
    const char *equals = strchr(argument, '=');
    struct stat st;
    if (equals && stat(argument, &st) != 0) {
        size_t table_len = (size_t)(equals - argument);
        if (!is_identifier(argument, table_len) || equals[1] == '\0') {
            kq_file_report *file = add_file_report(report, argument);
            set_error(file, "invalid data argument '%s': expected PATH or TABLE=PATH, where TABLE is a "
                            "name of letters, digits and '_'", argument);
            return -1;
        }
        char *table = kq_xstrndup(argument, table_len);
        int status = load_path(catalog, equals + 1, table, options, report, 0);
        free(table);
        return status;
    }
    return load_path(catalog, argument, NULL, options, report, 0);
}
