/* Detection of a file's format from its bytes and of the table its rows belong to. */
#include "sources/source_internal.h"
#include "base/utf8.h"
#include "base/util.h"

#include <string.h>

/* Bytes examined to tell text from binary data. */
#define DETECT_SAMPLE_BYTES 4096

/* A column match must name at least this many columns... */
#define MATCH_MIN_COLUMNS 5
/* ...and cover at least this share (in percent) of the file's columns. A current portal export
 * of DeviceProcessEvents has 53 of its 59 columns in the documented schema (the others, such
 * as ProcessUniqueId, are newer), so the share must allow about one column in ten more. */
#define MATCH_MIN_PERCENT 80

static size_t skip_bom_and_space(const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB &&
        (unsigned char)data[2] == 0xBF)
        i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return i;
}

/*
 * Binary data holds NUL bytes or bytes that are not UTF-8 at all; text logs may carry any
 * control characters (an attacker can put backspaces or ANSI escapes in a command line),
 * so control bytes alone never make a file binary.
 */
static bool looks_binary(const char *data, size_t len)
{
    size_t n = len < DETECT_SAMPLE_BYTES ? len : DETECT_SAMPLE_BYTES;
    size_t invalid = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)data[i];
        if (c == 0)
            return true;
        if (c < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t step = kq_utf8_decode(data + i, n - i, &cp);
        if (step == 0) {
            /* A sequence cut by the sample's end is not evidence of binary data. */
            if (n - i >= 4)
                invalid++;
            step = 1;
        }
        i += step;
    }
    /* Latin-1 text has the odd invalid byte; more than 1 in 10 bytes means binary data. */
    return invalid * 10 > n;
}

static bool has_csv_extension(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    return dot && (!slash || dot > slash) && kq_ascii_ieq(dot, strlen(dot), ".csv", 4);
}

/* True when the first line has at least two comma-separated fields outside quotes. */
static bool first_line_has_commas(const char *data, size_t len)
{
    bool quoted = false;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && c == ',')
            return true;
        else if (!quoted && (c == '\n' || c == '\r'))
            return false;
    }
    return false;
}

kq_format kq_detect_format(const char *path, const char *data, size_t len)
{
    if (len >= 8 && memcmp(data, "ElfFile", 8) == 0)
        return KQ_FORMAT_EVTX;
    size_t start = skip_bom_and_space(data, len);
    if (start == len)
        return KQ_FORMAT_EMPTY;
    if (looks_binary(data, len))
        return KQ_FORMAT_BINARY;
    if (data[start] == '{' || data[start] == '[')
        return KQ_FORMAT_JSON;
    if (has_csv_extension(path) || first_line_has_commas(data + start, len - start))
        return KQ_FORMAT_CSV;
    return KQ_FORMAT_TEXT;
}

static bool contains_ignoring_case(const char *haystack, size_t hlen, const char *needle, size_t nlen)
{
    for (size_t i = 0; i + nlen <= hlen; i++)
        if (kq_ascii_ieq(haystack + i, nlen, needle, nlen))
            return true;
    return false;
}

const kq_builtin_table *kq_detect_table_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t base_len = strlen(base);
    size_t count;
    const kq_builtin_table *tables = kq_builtin_tables(&count);
    const kq_builtin_table *best = NULL;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(tables[i].name);
        if (contains_ignoring_case(base, base_len, tables[i].name, len) &&
            (!best || len > strlen(best->name)))
            best = &tables[i];
    }
    return best;
}

static bool schema_has(const kq_builtin_table *table, const char *name, size_t len)
{
    for (uint32_t i = 0; i < table->count; i++)
        if (strlen(table->fields[i].name) == len && memcmp(table->fields[i].name, name, len) == 0)
            return true;
    return false;
}

/*
 * Matching rule: count, for each built-in table, how many of the file's
 * columns its schema has. The best table wins when it matches at least
 * MATCH_MIN_COLUMNS columns, at least MATCH_MIN_PERCENT of the file's
 * columns, and no other table matches as many. Device* tables share many
 * columns (Timestamp, DeviceName, InitiatingProcess*), so a tie means the
 * columns alone cannot tell the table and no table is chosen.
 */
const kq_builtin_table *kq_detect_table_from_columns(const char *const *names, const size_t *lens,
                                                     size_t count)
{
    size_t ntables;
    const kq_builtin_table *tables = kq_builtin_tables(&ntables);
    const kq_builtin_table *best = NULL;
    size_t best_score = 0;
    bool tie = false;
    for (size_t t = 0; t < ntables; t++) {
        size_t score = 0;
        for (size_t c = 0; c < count; c++)
            score += schema_has(&tables[t], names[c], lens[c]);
        if (score > best_score) {
            best = &tables[t];
            best_score = score;
            tie = false;
        } else if (score == best_score && score > 0) {
            tie = true;
        }
    }
    if (!best || tie || best_score < MATCH_MIN_COLUMNS || best_score * 100 < count * MATCH_MIN_PERCENT)
        return NULL;
    return best;
}

char *kq_detect_table_name(const kq_load_context *ctx, const char *type_value, size_t type_len,
                           const char *const *names, const size_t *lens, size_t count)
{
    const kq_builtin_table *table = NULL;
    if (type_value && type_len)
        table = kq_builtin_table_find(type_value, type_len);
    if (!table)
        table = kq_detect_table_from_path(ctx->path);
    if (!table && count)
        table = kq_detect_table_from_columns(names, lens, count);
    if (table)
        return kq_xstrdup(table->name);
    return kq_table_name_from_path(ctx->path);
}
