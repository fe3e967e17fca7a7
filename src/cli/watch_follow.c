/* Follows growing log files for `kqlite watch` (see watch_follow.h). */
#include "cli/watch_follow.h"

#include "base/buf.h"
#include "base/util.h"
#include "output/output.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Folder nesting followed under a data argument; deeper folders are logged and left out. */
#define FOLLOW_MAX_DEPTH 32

typedef enum follow_mode { MODE_UNKNOWN, MODE_CSV, MODE_LINES, MODE_DOCUMENT } follow_mode;

typedef struct followed_file {
    char *path;
    dev_t device;
    ino_t inode;
    off_t offset;               /* bytes taken into the current segment */
    off_t last_size;            /* size seen at the previous poll */
    follow_mode mode;
    kq_buf *segments;           /* complete records; a new segment starts after truncation */
    size_t nsegments;
    bool document_done;         /* MODE_DOCUMENT: read; later growth is reported once */
    uint64_t logged_loaded, logged_skipped;
    bool seen;                  /* found by the current walk */
} followed_file;

struct kq_follower {
    char **arguments;
    int narguments;
    FILE *log;
    bool *missing_logged;       /* per argument: its absence was logged, so it is not logged every poll */
    followed_file *files;
    size_t count, cap;
};

void kq_watch_log(FILE *log, const char *format, ...)
{
    char stamp[32];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    kq_datetime_format(KQ_UNIX_EPOCH_TICKS + (int64_t)now.tv_sec * KQ_TICKS_PER_SECOND + now.tv_nsec / 100, stamp);
    va_list args, copy;
    va_start(args, format);
    va_copy(copy, args);
    int len = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    char *message = kq_xmalloc(len > 0 ? (size_t)len + 1 : 1);
    vsnprintf(message, len > 0 ? (size_t)len + 1 : 1, format, args);
    va_end(args);
    /* Messages quote file names, rule names and skip reasons from logs: escape them for a terminal. */
    kq_buf escaped;
    kq_buf_init(&escaped);
    kq_terminal_escape(&escaped, message, strlen(message));
    fprintf(log, "%s kqlite watch: %s\n", stamp, escaped.data ? escaped.data : "");
    kq_buf_free(&escaped);
    free(message);
    fflush(log);
}

kq_follower *kq_follower_new(char **arguments, int count, FILE *log)
{
    kq_follower *follower = kq_xcalloc(1, sizeof *follower);
    follower->arguments = arguments;
    follower->narguments = count;
    follower->log = log;
    follower->missing_logged = kq_xcalloc((size_t)count + 1, sizeof *follower->missing_logged);
    return follower;
}

void kq_follower_free(kq_follower *follower)
{
    if (!follower)
        return;
    for (size_t i = 0; i < follower->count; i++) {
        for (size_t s = 0; s < follower->files[i].nsegments; s++)
            kq_buf_free(&follower->files[i].segments[s]);
        free(follower->files[i].segments);
        free(follower->files[i].path);
    }
    free(follower->files);
    free(follower->missing_logged);
    free(follower);
}

static followed_file *find_file(kq_follower *follower, const char *path)
{
    for (size_t i = 0; i < follower->count; i++)
        if (strcmp(follower->files[i].path, path) == 0)
            return &follower->files[i];
    kq_grow((void **)&follower->files, &follower->cap, follower->count + 1, sizeof *follower->files);
    followed_file *file = &follower->files[follower->count++];
    memset(file, 0, sizeof *file);
    file->path = kq_xstrdup(path);
    return file;
}

static kq_buf *current_segment(followed_file *file)
{
    if (!file->nsegments) {
        file->segments = kq_xcalloc(1, sizeof *file->segments);
        kq_buf_init(&file->segments[0]);
        file->nsegments = 1;
    }
    return &file->segments[file->nsegments - 1];
}

static void start_segment(followed_file *file)
{
    file->segments = kq_xrealloc(file->segments, (file->nsegments + 1) * sizeof *file->segments);
    kq_buf_init(&file->segments[file->nsegments++]);
    file->offset = 0;
    file->mode = MODE_UNKNOWN;
    file->document_done = false;
}

/* Picks the reading mode from a file's first bytes. */
static follow_mode detect_mode(const char *path, const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF)
        i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    size_t path_len = strlen(path);
    if (path_len > 4 && kq_ascii_ieq(path + path_len - 4, 4, ".csv", 4))
        return MODE_CSV;
    if (i < len && data[i] == '[')
        return MODE_DOCUMENT;
    if (i < len && data[i] == '{') {
        const char *newline = memchr(data + i, '\n', len - i);
        if (!newline)
            return MODE_UNKNOWN; /* decide when the first line is complete */
        json_error_t error;
        json_t *first = json_loadb(data + i, (size_t)(newline - data - i), JSON_DECODE_ANY, &error);
        json_decref(first);
        return first ? MODE_LINES : MODE_DOCUMENT;
    }
    return i < len ? MODE_CSV : MODE_UNKNOWN;
}

/* Length of the complete records at the start of data: up to the last line break outside CSV quotes. */
static size_t complete_length(follow_mode mode, const char *data, size_t len)
{
    size_t end = 0;
    bool quoted = false;
    for (size_t i = 0; i < len; i++) {
        if (mode == MODE_CSV && data[i] == '"')
            quoted = !quoted;
        else if (data[i] == '\n' && !quoted)
            end = i + 1;
    }
    return end;
}

static char *read_range(const char *path, off_t offset, off_t size, size_t *len)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    size_t want = (size_t)(size - offset);
    char *data = kq_xmalloc(want + 1);
    *len = 0;
    if (fseeko(in, offset, SEEK_SET) == 0)
        *len = fread(data, 1, want, in);
    data[*len] = '\0';
    fclose(in);
    return data;
}

/* Takes what one file gained; returns true when records were added. */
static bool take_growth(kq_follower *follower, followed_file *file, const struct stat *info)
{
    bool stable = info->st_size == file->last_size;
    file->last_size = info->st_size;
    if (info->st_size <= file->offset)
        return false;
    if (file->document_done) {
        kq_watch_log(follower->log, "%s: error: the file grew after it was read as one JSON document; "
                "the new content is ignored (write JSON lines to a file that grows)", file->path);
        file->offset = info->st_size;
        return false;
    }
    size_t len;
    char *data = read_range(file->path, file->offset, info->st_size, &len);
    if (!data) {
        kq_watch_log(follower->log, "%s: error: cannot read: %s", file->path, strerror(errno));
        return false;
    }
    if (file->mode == MODE_UNKNOWN)
        file->mode = detect_mode(file->path, data, len);
    size_t take = 0;
    if (file->mode == MODE_DOCUMENT)
        take = stable ? len : 0;
    else if (file->mode != MODE_UNKNOWN)
        take = stable ? len : complete_length(file->mode, data, len);
    else if (stable)
        take = len;
    if (take) {
        kq_buf_append(current_segment(file), data, take);
        file->offset += (off_t)take;
        file->document_done = file->mode == MODE_DOCUMENT;
    }
    free(data);
    return take > 0;
}

static bool poll_file(kq_follower *follower, const char *path, const struct stat *info)
{
    followed_file *file = find_file(follower, path);
    file->seen = true;
    bool replaced = file->nsegments && (file->device != info->st_dev || file->inode != info->st_ino);
    bool truncated = info->st_size < file->offset;
    if (replaced || truncated) {
        kq_watch_log(follower->log, "%s: the file was %s; reading it again from its start (rows read "
                "before stay loaded)", path, replaced ? "replaced" : "truncated");
        start_segment(file);
        file->last_size = -1;
    }
    file->device = info->st_dev;
    file->inode = info->st_ino;
    return take_growth(follower, file, info);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool poll_path(kq_follower *follower, const char *path, int depth, int argument);

static bool poll_folder(kq_follower *follower, const char *path, int depth)
{
    if (depth > FOLLOW_MAX_DEPTH) {
        kq_watch_log(follower->log, "%s: folder nested more than %d levels deep; not followed", path,
                FOLLOW_MAX_DEPTH);
        return false;
    }
    DIR *dir = opendir(path);
    if (!dir) {
        kq_watch_log(follower->log, "%s: error: cannot open folder: %s", path, strerror(errno));
        return false;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        kq_grow((void **)&names, &cap, count + 1, sizeof *names);
        kq_buf child;
        kq_buf_init(&child);
        kq_buf_printf(&child, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", entry->d_name);
        names[count++] = kq_buf_detach(&child);
    }
    closedir(dir);
    if (count > 1)
        qsort(names, count, sizeof *names, compare_names);
    bool changed = false;
    for (size_t i = 0; i < count; i++) {
        changed |= poll_path(follower, names[i], depth + 1, -1);
        free(names[i]);
    }
    free(names);
    return changed;
}

/* Polls a file or folder; argument is the index of the data argument it is, or -1 below a folder. */
static bool poll_path(kq_follower *follower, const char *path, int depth, int argument)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        if (argument >= 0 && !follower->missing_logged[argument])
            kq_watch_log(follower->log, "%s: waiting for the path to exist (%s)", path, strerror(errno));
        if (argument >= 0)
            follower->missing_logged[argument] = true;
        return false;
    }
    if (argument >= 0)
        follower->missing_logged[argument] = false;
    if (S_ISDIR(info.st_mode))
        return poll_folder(follower, path, depth);
    if (!S_ISREG(info.st_mode))
        return false;
    return poll_file(follower, path, &info);
}

bool kq_follower_poll(kq_follower *follower)
{
    bool changed = false;
    for (int i = 0; i < follower->narguments; i++)
        changed |= poll_path(follower, follower->arguments[i], 0, i);
    return changed;
}

/* Logs a file's load counts when they changed since the last log line. */
static void log_file_report(kq_follower *follower, followed_file *file, const kq_load_report *report, size_t first)
{
    uint64_t loaded = 0, skipped = 0;
    for (size_t r = first; r < report->count; r++) {
        const kq_file_report *part = &report->files[r];
        if (part->error)
            kq_watch_log(follower->log, "%s: error: %s", file->path, part->error);
        loaded += part->records_loaded;
        skipped += part->records_skipped;
        for (int k = 0; k < part->nreasons && part->records_skipped != file->logged_skipped; k++)
            kq_watch_log(follower->log, "%s:   skipped %llu: %s (first at %s)", file->path,
                    (unsigned long long)part->reasons[k].count, part->reasons[k].reason,
                    part->reasons[k].first_location ? part->reasons[k].first_location : "?");
    }
    if (loaded == file->logged_loaded && skipped == file->logged_skipped)
        return;
    kq_watch_log(follower->log, "%s: %llu records loaded, %llu skipped", file->path,
            (unsigned long long)loaded, (unsigned long long)skipped);
    file->logged_loaded = loaded;
    file->logged_skipped = skipped;
}

bool kq_follower_load(kq_follower *follower, kq_catalog *catalog, const kq_load_options *options)
{
    /* NOTE: every poll with new records parses all retained text again; the cost grows with the data kept. */
    kq_load_report report;
    kq_load_report_init(&report);
    bool ok = true;
    for (size_t i = 0; i < follower->count; i++) {
        followed_file *file = &follower->files[i];
        size_t first = report.count;
        for (size_t s = 0; s < file->nsegments; s++) {
            const kq_buf *segment = &file->segments[s];
            if (segment->len && kq_load_buffer(catalog, file->path, segment->data, segment->len, options, &report) != 0)
                ok = false;
        }
        log_file_report(follower, file, &report, first);
    }
    kq_catalog_finish(catalog);
    kq_load_report_free(&report);
    return ok;
}
