/*
 * Text functions, part one: regular expressions (extract, extract_all,
 * replace_regex, countof, indexof_regex), string utilities (reverse, strrep,
 * strcmp, string_size, isascii, isutf8, replace_strings, tohex, code point
 * conversions) and the table of the whole family. Encodings, URLs, paths,
 * CSV, versions, JSON paths and hashes are in text_functions2.c.
 *
 * Kusto's regular expressions are RE2. kqlite matches with PCRE2, so every
 * pattern first goes through kq_regex_check_re2(), which rejects the PCRE2
 * constructs RE2 lacks, and repeated matches follow RE2's rule for empty
 * matches (see regex_scan_next()).
 */
#include "functions/text_internal.h"
#include "functions/regex.h"
#include "functions/terms.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest strrep() result; Kusto's own limit on a string value is not documented. */
#define STRREP_MAX_BYTES (64u * 1024u * 1024u)
/* strrep() multiplier limit from the Kusto documentation. */
#define STRREP_MAX_MULTIPLIER 67108864

static kq_str text_of(kq_eval_ctx *ctx, const kq_value *v)
{
    return kq_value_to_str(ctx->arena, v);
}

static kq_value buf_to_string(kq_eval_ctx *ctx, kq_buf *buf)
{
    kq_value v = kq_string(kq_arena_strndup(ctx->arena, buf->data ? buf->data : "", buf->len), buf->len);
    kq_buf_free(buf);
    return v;
}

static void set_error(kq_eval_ctx *ctx, const char *message)
{
    if (!ctx->error)
        ctx->error = kq_arena_strdup(ctx->arena, message);
}

/* Length of the UTF-8 character at text, counting an invalid byte as one. */
static size_t char_length(const char *text, size_t len)
{
    uint32_t cp;
    size_t n = kq_utf8_decode(text, len, &cp);
    return n ? n : 1;
}

/* Byte offset of the character at index chars, clamped to the end of s. */
static size_t byte_offset_of_char(const char *s, size_t len, int64_t chars)
{
    size_t i = 0;
    while (chars > 0 && i < len) {
        i += char_length(s + i, len - i);
        chars--;
    }
    return i;
}

/* ---- RE2 dialect check ---- */

/* Length of a {n}, {n,} or {n,m} repetition starting at p[0] == '{', or 0. */
static size_t repetition_length(const char *p, size_t len)
{
    size_t i = 1;
    size_t digits = 0;
    while (i < len && p[i] >= '0' && p[i] <= '9')
        i++, digits++;
    if (digits == 0)
        return 0;
    if (i < len && p[i] == ',') {
        i++;
        while (i < len && p[i] >= '0' && p[i] <= '9')
            i++;
    }
    return i < len && p[i] == '}' ? i + 1 : 0;
}

/* Names the unsupported construct that starts a "(?" group at p, or returns NULL. */
static const char *unsupported_group(const char *p, size_t len)
{
    if (len < 3)
        return NULL;
    char k = p[2];
    if (k == '=' || k == '!')
        return "lookahead";
    if (k == '<' && len > 3 && (p[3] == '=' || p[3] == '!'))
        return "lookbehind";
    if (k == '>')
        return "atomic groups";
    if (k == '(')
        return "conditional groups";
    if (k == 'R' || k == '&' || k == '+' || (k >= '0' && k <= '9'))
        return "recursion";
    if (k == 'P' && len > 3 && p[3] == '=')
        return "backreferences";
    if (k == 'P' && len > 3 && p[3] == '>')
        return "recursion";
    return NULL;
}

/* Names the unsupported escape \c, or returns NULL. */
static const char *unsupported_escape(char c, bool in_class)
{
    if (c == 'C')
        return "\\C";
    if (in_class)
        return NULL;
    if ((c >= '1' && c <= '9') || c == 'k' || c == 'g')
        return "backreferences";
    if (c == 'Z')
        return "\\Z";
    if (c == 'G')
        return "\\G";
    if (c == 'K')
        return "\\K";
    return NULL;
}

bool kq_regex_check_re2(const char *pattern, size_t len, char *error, size_t size)
{
    bool in_class = false, after_quantifier = false;
    for (size_t i = 0; i < len; i++) {
        char c = pattern[i];
        const char *construct = NULL;
        bool quantifier = false;
        if (c == '\\' && i + 1 < len) {
            construct = unsupported_escape(pattern[i + 1], in_class);
            if (!construct && pattern[i + 1] == 'Q') {
                /* \Q...\E quotes its text literally. */
                const char *end = NULL;
                for (size_t j = i + 2; j + 1 < len && !end; j++)
                    if (pattern[j] == '\\' && pattern[j + 1] == 'E')
                        end = pattern + j;
                i = end ? (size_t)(end - pattern) + 1 : len;
                after_quantifier = false;
                continue;
            }
            if (!construct) {
                i++;
                after_quantifier = false;
                continue;
            }
        } else if (in_class) {
            if (c == ']')
                in_class = false;
            continue;
        } else if (c == '[') {
            in_class = true;
            if (i + 1 < len && pattern[i + 1] == '^')
                i++;
            if (i + 1 < len && pattern[i + 1] == ']')
                i++; /* a ']' first in a class is a literal */
        } else if (c == '(' && i + 1 < len && pattern[i + 1] == '?') {
            construct = unsupported_group(pattern + i, len - i);
            if (!construct)
                i++; /* the '?' of "(?" is not a quantifier */
        } else if (c == '+' && after_quantifier) {
            construct = "possessive quantifiers";
        } else if (c == '*' || c == '+' || c == '?') {
            quantifier = true;
        } else if (c == '{') {
            size_t n = repetition_length(pattern + i, len - i);
            if (n) {
                i += n - 1;
                quantifier = true;
            }
        }
        if (construct) {
            snprintf(error, size, "invalid regular expression '%.*s' at offset %zu: RE2 syntax does not support %s",
                     (int)(len > 80 ? 80 : len), pattern, i, construct);
            return false;
        }
        after_quantifier = quantifier;
    }
    return true;
}

/* Compiles pattern after the RE2 check; on failure sets ctx->error and returns NULL. */
static const pcre2_code *text_regex(kq_eval_ctx *ctx, kq_str pattern)
{
    char error[256];
    if (!kq_regex_check_re2(pattern.ptr, pattern.len, error, sizeof error)) {
        set_error(ctx, error);
        return NULL;
    }
    const pcre2_code *code = kq_regex_get(pattern.ptr, pattern.len, error, sizeof error);
    if (!code)
        set_error(ctx, error);
    return code;
}

static uint32_t capture_count(const pcre2_code *code)
{
    uint32_t count = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &count);
    return count;
}

/* ---- repeated matching with RE2's rules ---- */

typedef struct regex_scan {
    const pcre2_code *code;
    pcre2_match_data *match;
    const char *text;
    size_t len;
    size_t pos;      /* where the next search starts */
    size_t last_end; /* end of the previous match, SIZE_MAX before the first */
    bool done;
} regex_scan;

static void regex_scan_init(regex_scan *scan, const pcre2_code *code, const char *text, size_t len)
{
    scan->code = code;
    scan->match = pcre2_match_data_create_from_pattern(code, NULL);
    scan->text = text;
    scan->len = len;
    scan->pos = 0;
    scan->last_end = SIZE_MAX;
    scan->done = scan->match == NULL;
}

static void regex_scan_free(regex_scan *scan)
{
    pcre2_match_data_free(scan->match);
}

/*
 * Finds the next non-overlapping match and returns its ovector (pairs of
 * byte offsets, PCRE2_UNSET for a group that did not take part), or NULL at
 * the end. As in RE2's GlobalReplace, an empty match right where the
 * previous match ended is skipped, so "a*" matches "aaa" once, not twice.
 */
static const PCRE2_SIZE *regex_scan_next(regex_scan *scan)
{
    while (!scan->done && scan->pos <= scan->len) {
        int rc = pcre2_match(scan->code, (PCRE2_SPTR)scan->text, scan->len, scan->pos, 0, scan->match, NULL);
        if (rc < 0)
            break;
        const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(scan->match);
        if (ovector[0] == ovector[1] && ovector[0] == scan->last_end) {
            if (scan->pos >= scan->len)
                break;
            scan->pos += char_length(scan->text + scan->pos, scan->len - scan->pos);
            continue;
        }
        scan->pos = ovector[1];
        scan->last_end = ovector[1];
        return ovector;
    }
    scan->done = true;
    return NULL;
}

/* ---- argument checks ---- */

static void bind_fail(kq_bind_result *result, int arg, const char *message)
{
    snprintf(result->error, sizeof result->error, "%s", message);
    result->error_arg = arg;
}

static bool require_integer(const kq_type *args, int argc, int index, kq_bind_result *result, const char *message)
{
    if (index >= argc || kq_type_is_integer(args[index]) || args[index] == KQ_DYNAMIC)
        return true;
    bind_fail(result, index, message);
    return false;
}

static bool require_dynamic(const kq_type *args, int index, kq_bind_result *result, const char *message)
{
    if (args[index] == KQ_DYNAMIC)
        return true;
    bind_fail(result, index, message);
    return false;
}

/*
 * Requires a string at each argument position set in mask (bit i is
 * argument i). A dynamic argument is accepted too, because an untyped null
 * literal binds as dynamic; the official language service rejects other
 * dynamic values here.
 */
static bool require_strings(const kq_type *args, int argc, unsigned mask, kq_bind_result *result)
{
    for (int i = 0; i < argc && i < 32; i++)
        if ((mask >> i & 1u) && args[i] != KQ_STRING && args[i] != KQ_DYNAMIC) {
            snprintf(result->error, sizeof result->error,
                     "argument %d must be a string, not %s; convert it with tostring()", i + 1, kq_type_name(args[i]));
            result->error_arg = i;
            return false;
        }
    return true;
}

#define ALL_ARGUMENTS 0xFFFFFFFFu

static bool integer_arg(const kq_value *v, int64_t *out)
{
    if (v->null)
        return false;
    if (v->type == KQ_DYNAMIC) {
        kq_value l = kq_dyn_to_value(v->u.d, KQ_LONG, NULL);
        if (l.null)
            return false;
        *out = l.u.l;
        return true;
    }
    *out = v->u.l;
    return true;
}

/* ---- extract, extract_all ---- */

static void bind_extract(const kq_type *args, int argc, kq_bind_result *result)
{
    if (!require_strings(args, argc, 1u | 4u, result))
        return;
    if (!require_integer(args, argc, 1, result, "the capture group argument of extract must be an integer"))
        return;
    if (argc == 4 && args[3] == KQ_TYPE_NONE) {
        bind_fail(result, 3, "the type argument of extract must be typeof(type)");
        return;
    }
    result->type = argc == 4 ? args[3] : KQ_STRING;
}

static kq_value eval_extract(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_type type = argc == 4 ? args[3].type : KQ_STRING;
    int64_t group;
    if (!integer_arg(&args[1], &group))
        return kq_null(type);
    const pcre2_code *code = text_regex(ctx, text_of(ctx, &args[0]));
    if (!code || group < 0 || group > (int64_t)capture_count(code))
        return kq_null(type);
    kq_str source = text_of(ctx, &args[2]);
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(code, NULL);
    kq_value result = kq_null(type);
    if (match && pcre2_match(code, (PCRE2_SPTR)source.ptr, source.len, 0, 0, match, NULL) >= 0) {
        const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(match);
        PCRE2_SIZE start = ovector[2 * group], end = ovector[2 * group + 1];
        if (start != PCRE2_UNSET) {
            kq_str part = {source.ptr + start, (uint32_t)(end - start)};
            result = kq_text_convert(ctx->arena, part, type);
        }
    }
    pcre2_match_data_free(match);
    return result;
}

static void bind_extract_all(const kq_type *args, int argc, kq_bind_result *result)
{
    if (!require_strings(args, argc, 1u | 1u << (argc - 1), result))
        return;
    if (argc == 3 && !require_dynamic(args, 1, result, "the capture groups argument of extract_all must be a dynamic array"))
        return;
    result->type = KQ_DYNAMIC;
}

/* Resolves the capture groups extract_all selects into numbers; returns how many, or -1. */
static int select_groups(kq_eval_ctx *ctx, const pcre2_code *code, const kq_dyn *groups, uint32_t captures,
                         uint32_t selected[16])
{
    if (!groups) {
        for (uint32_t i = 0; i < captures; i++)
            selected[i] = i + 1;
        return (int)captures;
    }
    if (groups->kind != KQ_DYN_ARRAY || groups->count == 0 || groups->count > 16) {
        set_error(ctx, "extract_all: the capture groups argument must be an array of 1 to 16 group numbers or names");
        return -1;
    }
    for (uint32_t i = 0; i < groups->count; i++) {
        const kq_dyn *item = groups->u.items[i];
        int64_t number = -1;
        if (item->kind == KQ_DYN_LONG) {
            number = item->u.l;
        } else if (item->kind == KQ_DYN_STRING) {
            char *name = kq_arena_strndup(ctx->arena, item->u.s.ptr, item->u.s.len);
            number = pcre2_substring_number_from_name(code, (PCRE2_SPTR)name);
        }
        if (number < 1 || number > (int64_t)captures) {
            set_error(ctx, "extract_all: a capture group in the second argument does not exist in the regular expression");
            return -1;
        }
        selected[i] = (uint32_t)number;
    }
    return (int)groups->count;
}

static const kq_dyn *group_text(kq_eval_ctx *ctx, kq_str source, const PCRE2_SIZE *ovector, uint32_t group)
{
    PCRE2_SIZE start = ovector[2 * group], end = ovector[2 * group + 1];
    kq_value part = start == PCRE2_UNSET ? kq_string("", 0) : kq_string(source.ptr + start, end - start);
    return kq_dyn_from_value(ctx->arena, &part);
}

static kq_value eval_extract_all(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const pcre2_code *code = text_regex(ctx, text_of(ctx, &args[0]));
    if (!code)
        return kq_dynamic(NULL);
    uint32_t captures = capture_count(code);
    if (captures < 1 || captures > 16) {
        set_error(ctx, "extract_all: the regular expression must have 1 to 16 capture groups");
        return kq_dynamic(NULL);
    }
    uint32_t selected[16];
    const kq_dyn *groups = NULL;
    if (argc == 3 && !args[1].null)
        groups = args[1].u.d;
    int nselected = select_groups(ctx, code, groups, captures, selected);
    if (nselected < 0)
        return kq_dynamic(NULL);
    kq_str source = text_of(ctx, &args[argc - 1]);
    const kq_dyn **matches = NULL;
    size_t count = 0, cap = 0;
    regex_scan scan;
    regex_scan_init(&scan, code, source.ptr, source.len);
    const PCRE2_SIZE *ovector;
    while ((ovector = regex_scan_next(&scan))) {
        const kq_dyn *item;
        if (nselected == 1) {
            item = group_text(ctx, source, ovector, selected[0]);
        } else {
            const kq_dyn *parts[16];
            for (int i = 0; i < nselected; i++)
                parts[i] = group_text(ctx, source, ovector, selected[i]);
            item = kq_dyn_array(ctx->arena, parts, (uint32_t)nselected);
        }
        kq_grow((void **)&matches, &cap, count + 1, sizeof *matches);
        matches[count++] = item;
    }
    regex_scan_free(&scan);
    kq_value result = kq_dynamic(count ? kq_dyn_array(ctx->arena, matches, (uint32_t)count) : NULL);
    free(matches);
    return result;
}

/* ---- replace_regex, replace ---- */

/* Appends the rewrite with \0..\9 replaced by the groups of one match and \\ by a backslash. */
static void append_rewrite(kq_buf *out, kq_str rewrite, kq_str source, const PCRE2_SIZE *ovector, uint32_t captures)
{
    for (uint32_t i = 0; i < rewrite.len; i++) {
        char c = rewrite.ptr[i];
        if (c != '\\' || i + 1 >= rewrite.len) {
            kq_buf_putc(out, c);
            continue;
        }
        char next = rewrite.ptr[++i];
        if (next >= '0' && next <= '9') {
            uint32_t group = (uint32_t)(next - '0');
            /* NOTE: RE2 rejects a rewrite naming a group the pattern lacks; such a reference adds nothing here. */
            if (group <= captures && ovector[2 * group] != PCRE2_UNSET)
                kq_buf_append(out, source.ptr + ovector[2 * group], ovector[2 * group + 1] - ovector[2 * group]);
        } else if (next == '\\') {
            kq_buf_putc(out, '\\');
        } else {
            kq_buf_putc(out, '\\');
            kq_buf_putc(out, next);
        }
    }
}

static kq_value replace_all(kq_eval_ctx *ctx, kq_str source, kq_str pattern, kq_str rewrite)
{
    const pcre2_code *code = text_regex(ctx, pattern);
    if (!code)
        return kq_string("", 0);
    uint32_t captures = capture_count(code);
    kq_buf out;
    kq_buf_init(&out);
    regex_scan scan;
    regex_scan_init(&scan, code, source.ptr, source.len);
    size_t copied = 0;
    const PCRE2_SIZE *ovector;
    while ((ovector = regex_scan_next(&scan))) {
        kq_buf_append(&out, source.ptr + copied, ovector[0] - copied);
        append_rewrite(&out, rewrite, source, ovector, captures);
        copied = ovector[1];
    }
    regex_scan_free(&scan);
    kq_buf_append(&out, source.ptr + copied, source.len - copied);
    return buf_to_string(ctx, &out);
}

static kq_value eval_replace_regex(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return replace_all(ctx, text_of(ctx, &args[0]), text_of(ctx, &args[1]), text_of(ctx, &args[2]));
}

/* The deprecated replace() takes (regex, rewrite, source). */
static kq_value eval_replace(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return replace_all(ctx, text_of(ctx, &args[2]), text_of(ctx, &args[0]), text_of(ctx, &args[1]));
}

/* ---- countof, indexof_regex ---- */

static kq_value eval_countof(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str source = text_of(ctx, &args[0]), search = text_of(ctx, &args[1]);
    bool regex = false;
    if (argc == 3) {
        kq_str kind = text_of(ctx, &args[2]);
        if (kq_str_eq(kind, "regex")) {
            regex = true;
        } else if (!kq_str_eq(kind, "normal")) {
            set_error(ctx, "countof: the kind argument must be 'normal' or 'regex'");
            return kq_null(KQ_LONG);
        }
    }
    int64_t count = 0;
    if (!regex) {
        /* Plain matches may overlap: "aaaa" contains "aa" three times. */
        if (search.len == 0)
            return kq_long(0);
        size_t start = 0;
        long hit;
        while (start < source.len &&
               (hit = kq_find(source.ptr + start, source.len - start, search.ptr, search.len, true)) >= 0) {
            count++;
            start += (size_t)hit + 1;
        }
        return kq_long(count);
    }
    const pcre2_code *code = text_regex(ctx, search);
    if (!code)
        return kq_null(KQ_LONG);
    regex_scan scan;
    regex_scan_init(&scan, code, source.ptr, source.len);
    while (regex_scan_next(&scan))
        count++;
    regex_scan_free(&scan);
    return kq_long(count);
}

static void bind_indexof_regex(const kq_type *args, int argc, kq_bind_result *result)
{
    for (int i = 2; i < argc; i++)
        if (!require_integer(args, argc, i, result, "the start, length and occurrence arguments of indexof_regex must be integers"))
            return;
    result->type = KQ_LONG;
}

static kq_value eval_indexof_regex(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int64_t start = 0, length = -1, occurrence = 1;
    if ((argc > 2 && !integer_arg(&args[2], &start)) || (argc > 3 && !integer_arg(&args[3], &length)) ||
        (argc > 4 && !integer_arg(&args[4], &occurrence)))
        return kq_null(KQ_LONG);
    if (start < 0 || length < -1 || occurrence < 0)
        return kq_null(KQ_LONG);
    /* NOTE: the documentation does not say what occurrence 0 means; it is taken as the first. */
    if (occurrence == 0)
        occurrence = 1;
    const pcre2_code *code = text_regex(ctx, text_of(ctx, &args[1]));
    if (!code)
        return kq_null(KQ_LONG);
    kq_str s = text_of(ctx, &args[0]);
    size_t from = byte_offset_of_char(s.ptr, s.len, start);
    size_t to = length < 0 ? s.len : from + byte_offset_of_char(s.ptr + from, s.len - from, length);
    if ((uint64_t)start > kq_utf8_length(s.ptr, s.len))
        return kq_long(-1);
    regex_scan scan;
    regex_scan_init(&scan, code, s.ptr + from, to - from);
    const PCRE2_SIZE *ovector;
    int64_t index = -1;
    while ((ovector = regex_scan_next(&scan)))
        if (--occurrence == 0) {
            index = start + (int64_t)kq_utf8_length(s.ptr + from, ovector[0]);
            break;
        }
    regex_scan_free(&scan);
    return kq_long(index);
}

/* ---- string utilities ---- */

static kq_value eval_reverse(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    char *out = kq_arena_alloc(ctx->arena, s.len + 1);
    size_t i = 0;
    while (i < s.len) {
        size_t n = char_length(s.ptr + i, s.len - i);
        memcpy(out + s.len - i - n, s.ptr + i, n);
        i += n;
    }
    return kq_string(out, s.len);
}

static void bind_strrep(const kq_type *args, int argc, kq_bind_result *result)
{
    if (require_integer(args, argc, 1, result, "the multiplier argument of strrep must be an integer"))
        result->type = KQ_STRING;
}

static kq_value eval_strrep(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int64_t times;
    if (!integer_arg(&args[1], &times) || times < 1)
        return kq_string("", 0);
    if (times > STRREP_MAX_MULTIPLIER)
        times = STRREP_MAX_MULTIPLIER;
    kq_str value = text_of(ctx, &args[0]);
    kq_str delimiter = argc == 3 ? text_of(ctx, &args[2]) : (kq_str){"", 0};
    uint64_t total = (uint64_t)times * value.len + (uint64_t)(times - 1) * delimiter.len;
    if (total > STRREP_MAX_BYTES) {
        set_error(ctx, "strrep: the result would be longer than 64 MiB");
        return kq_string("", 0);
    }
    char *out = kq_arena_alloc(ctx->arena, (size_t)total + 1);
    size_t at = 0;
    for (int64_t i = 0; i < times; i++) {
        if (i > 0) {
            memcpy(out + at, delimiter.ptr, delimiter.len);
            at += delimiter.len;
        }
        memcpy(out + at, value.ptr, value.len);
        at += value.len;
    }
    return kq_string(out, at);
}

/* Ordinal comparison: -1, 0 or 1. Byte order of UTF-8 is code point order. */
static kq_value eval_strcmp(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str a = text_of(ctx, &args[0]), b = text_of(ctx, &args[1]);
    size_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.ptr, b.ptr, n);
    if (c == 0)
        c = (a.len > b.len) - (a.len < b.len);
    return kq_long((c > 0) - (c < 0));
}

static kq_value eval_string_size(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return kq_long(text_of(ctx, &args[0]).len);
}

static kq_value eval_isascii(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    for (uint32_t i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] >= 0x80)
            return kq_bool(false);
    return kq_bool(true);
}

static kq_value eval_isutf8(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    size_t i = 0;
    while (i < s.len) {
        uint32_t cp;
        size_t n = kq_utf8_decode(s.ptr + i, s.len - i, &cp);
        if (n == 0)
            return kq_bool(false);
        i += n;
    }
    return kq_bool(true);
}

/* ---- replace_strings ---- */

static void bind_replace_strings(const kq_type *args, int argc, kq_bind_result *result)
{
    if (require_dynamic(args, 1, result, "the lookups argument of replace_strings must be a dynamic array") &&
        require_dynamic(args, 2, result, "the rewrites argument of replace_strings must be a dynamic array"))
        result->type = KQ_STRING;
}

/*
 * Lookups take precedence in array order: every match of the first lookup is
 * claimed before the second is searched for, and a later lookup matches only
 * text no earlier match claimed ("is" before "This" turns "This" into "Thwas").
 * owner[i] is 1 + the lookup index of the match starting at byte i;
 * claimed[i] marks bytes inside any match.
 */
static kq_value eval_replace_strings(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str text = text_of(ctx, &args[0]);
    const kq_dyn *lookups = args[1].null ? NULL : args[1].u.d;
    const kq_dyn *rewrites = args[2].null ? NULL : args[2].u.d;
    if (!lookups || lookups->kind != KQ_DYN_ARRAY || text.len == 0)
        return text.len ? kq_string(text.ptr, text.len) : kq_string("", 0);
    uint32_t *owner = kq_xcalloc(text.len, sizeof *owner);
    unsigned char *claimed = kq_xcalloc(text.len, 1);
    for (uint32_t k = 0; k < lookups->count; k++) {
        const kq_dyn *lookup = lookups->u.items[k];
        if (lookup->kind != KQ_DYN_STRING || lookup->u.s.len == 0)
            continue;
        kq_str find = lookup->u.s;
        size_t pos = 0;
        long hit;
        while (pos < text.len && (hit = kq_find(text.ptr + pos, text.len - pos, find.ptr, find.len, true)) >= 0) {
            size_t at = pos + (size_t)hit;
            bool free_span = true;
            for (size_t i = at; i < at + find.len && free_span; i++)
                free_span = !claimed[i];
            if (!free_span) {
                pos = at + 1;
                continue;
            }
            memset(claimed + at, 1, find.len);
            owner[at] = k + 1;
            pos = at + find.len;
        }
    }
    kq_buf out;
    kq_buf_init(&out);
    for (size_t i = 0; i < text.len;) {
        if (!owner[i]) {
            kq_buf_putc(&out, text.ptr[i++]);
            continue;
        }
        uint32_t k = owner[i] - 1;
        kq_str find = lookups->u.items[k]->u.s;
        const kq_dyn *rewrite = rewrites && rewrites->kind == KQ_DYN_ARRAY && k < rewrites->count ? rewrites->u.items[k] : NULL;
        /* A missing or non-string rewrite keeps the matched text. */
        if (rewrite && rewrite->kind == KQ_DYN_STRING)
            kq_buf_append(&out, rewrite->u.s.ptr, rewrite->u.s.len);
        else
            kq_buf_append(&out, find.ptr, find.len);
        i += find.len;
    }
    free(owner);
    free(claimed);
    return buf_to_string(ctx, &out);
}

/* ---- tohex ---- */

static void bind_tohex(const kq_type *args, int argc, kq_bind_result *result)
{
    if (!kq_type_is_integer(args[0]) && args[0] != KQ_DYNAMIC) {
        bind_fail(result, 0, "tohex expects an int or long value");
        return;
    }
    if (require_integer(args, argc, 1, result, "the minimum length argument of tohex must be an integer"))
        result->type = KQ_STRING;
}

/* Two's complement hex: 32 bits for a negative int, 64 bits for a negative long. */
static kq_value eval_tohex(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    int64_t value, min_length = 0;
    if (!integer_arg(&args[0], &value) || (argc == 2 && !integer_arg(&args[1], &min_length)))
        return kq_string("", 0);
    if (min_length > 16)
        min_length = 16;
    if (min_length < 0)
        min_length = 0;
    uint64_t bits = args[0].type == KQ_INT ? (uint64_t)(uint32_t)value : (uint64_t)value;
    char text[24];
    int n = snprintf(text, sizeof text, "%0*llx", (int)min_length, (unsigned long long)bits);
    return kq_string(kq_arena_strndup(ctx->arena, text, (size_t)n), (size_t)n);
}

/* ---- code points ---- */

/* Array of the code points of a string; an invalid UTF-8 byte gives U+FFFD. */
static kq_value eval_codepoints_from_string(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    const kq_dyn **items = kq_arena_alloc(ctx->arena, (s.len ? s.len : 1) * sizeof *items);
    uint32_t count = 0;
    for (size_t i = 0; i < s.len;) {
        uint32_t cp;
        size_t n = kq_utf8_decode(s.ptr + i, s.len - i, &cp);
        if (n == 0) {
            cp = 0xFFFD;
            n = 1;
        }
        kq_value v = kq_long(cp);
        items[count++] = kq_dyn_from_value(ctx->arena, &v);
        i += n;
    }
    return kq_dynamic(kq_dyn_array(ctx->arena, items, count));
}

static void bind_codepoints_to_string(const kq_type *args, int argc, kq_bind_result *result)
{
    for (int i = 0; i < argc; i++)
        if (!kq_type_is_integer(args[i]) && args[i] != KQ_DYNAMIC) {
            bind_fail(result, i, "the arguments of unicode_codepoints_to_string must be integers or arrays of integers");
            return;
        }
    result->type = KQ_STRING;
}

static bool append_codepoint(kq_buf *out, const kq_dyn *item)
{
    if (item->kind != KQ_DYN_LONG || item->u.l < 0 || item->u.l > 0x10FFFF ||
        (item->u.l >= 0xD800 && item->u.l <= 0xDFFF))
        return false;
    char bytes[4];
    kq_buf_append(out, bytes, kq_utf8_encode((uint32_t)item->u.l, bytes));
    return true;
}

/* Each argument is a code point or an array of code points; any invalid one makes the result empty. */
static kq_value eval_codepoints_to_string(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_buf out;
    kq_buf_init(&out);
    bool valid = true;
    for (int i = 0; i < argc && valid; i++) {
        if (args[i].type != KQ_DYNAMIC) {
            kq_value v = args[i];
            valid = !v.null && append_codepoint(&out, kq_dyn_from_value(ctx->arena, &v));
            continue;
        }
        const kq_dyn *d = args[i].u.d;
        if (!d || d->kind == KQ_DYN_NULL) {
            valid = false;
        } else if (d->kind == KQ_DYN_ARRAY) {
            for (uint32_t j = 0; j < d->count && valid; j++)
                valid = append_codepoint(&out, d->u.items[j]);
        } else {
            valid = append_codepoint(&out, d);
        }
    }
    if (!valid)
        kq_buf_clear(&out);
    return buf_to_string(ctx, &out);
}

/* ---- has_any_index ---- */

/* The index of the first element of args[1] that the text has as a term (has semantics,
 * case-insensitive); -1 when none does or the array is empty or null. */
static kq_value eval_has_any_index(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *values = args[1].null ? NULL : args[1].u.d;
    if (!values || values->kind != KQ_DYN_ARRAY)
        return kq_long(-1);
    kq_str source = text_of(ctx, &args[0]);
    for (uint32_t i = 0; i < values->count; i++) {
        kq_value item = kq_dyn_to_value(values->u.items[i], KQ_STRING, ctx->arena);
        if (item.null || item.u.s.len == 0)
            continue;
        if (kq_has(source.ptr, source.len, item.u.s.ptr, item.u.s.len, KQ_TERM_WHOLE, false))
            return kq_long((int64_t)i);
    }
    return kq_long(-1);
}

static void bind_has_any_index(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_STRING && args[0] != KQ_DYNAMIC) {
        bind_fail(result, 0, "the first argument of has_any_index must be a string or dynamic");
        return;
    }
    if (require_dynamic(args, 1, result, "the second argument of has_any_index must be a dynamic array"))
        result->type = KQ_LONG;
}

/* ---- registry table ---- */

static void bind_string_out(const kq_type *args, int argc, kq_bind_result *result)
{
    for (int i = 0; i < argc; i++)
        if (args[i] == KQ_TYPE_NONE) {
            bind_fail(result, i, "this argument has no type");
            return;
        }
    result->type = KQ_STRING;
}

static void bind_dynamic_out(const kq_type *args, int argc, kq_bind_result *result)
{
    result->type = KQ_DYNAMIC;
}

static void bind_strings_to_string(const kq_type *args, int argc, kq_bind_result *result)
{
    if (require_strings(args, argc, ALL_ARGUMENTS, result))
        result->type = KQ_STRING;
}

static void bind_strings_to_long(const kq_type *args, int argc, kq_bind_result *result)
{
    if (require_strings(args, argc, ALL_ARGUMENTS, result))
        result->type = KQ_LONG;
}

static void bind_strings_to_dynamic(const kq_type *args, int argc, kq_bind_result *result)
{
    if (require_strings(args, argc, ALL_ARGUMENTS, result))
        result->type = KQ_DYNAMIC;
}

static void bind_strings_to_guid(const kq_type *args, int argc, kq_bind_result *result)
{
    if (require_strings(args, argc, ALL_ARGUMENTS, result))
        result->type = KQ_GUID;
}

static void bind_strings_to_decimal(const kq_type *args, int argc, kq_bind_result *result)
{
    if (require_strings(args, argc, ALL_ARGUMENTS, result))
        result->type = KQ_DECIMAL;
}

static void bind_byte_array(const kq_type *args, int argc, kq_bind_result *result)
{
    if (require_dynamic(args, 0, result, "the argument of base64_encode_fromarray must be a dynamic array"))
        result->type = KQ_STRING;
}

static void bind_extract_json(const kq_type *args, int argc, kq_bind_result *result)
{
    if (!require_strings(args, argc, 1u | 2u, result))
        return;
    if (argc == 3 && args[2] == KQ_TYPE_NONE) {
        bind_fail(result, 2, "the type argument of extract_json must be typeof(type)");
        return;
    }
    result->type = argc == 3 ? args[2] : KQ_STRING;
}

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_text_functions[] = {
    FN("has_any_index", 2, 2, bind_has_any_index, eval_has_any_index, "has_any_index(source, values) -> long",
       "Index of the first array element that the source has as a whole term (case-insensitive), or -1."),
    FN("extract", 3, 4, bind_extract, eval_extract, "extract(regex, captureGroup, source [, typeof(T)]) -> string or T",
       "The text one capture group of the first match, optionally converted to type T; null without a match."),
    FN("extract_all", 2, 3, bind_extract_all, eval_extract_all, "extract_all(regex, [captureGroups,] source) -> dynamic",
       "Array of all matches' capture groups; null without a match."),
    FN("replace_regex", 3, 3, bind_strings_to_string, eval_replace_regex, "replace_regex(source, regex, rewrite) -> string",
       "Replaces every match; \\0 to \\9 in rewrite insert capture groups."),
    FN("replace", 3, 3, bind_strings_to_string, eval_replace, "replace(regex, rewrite, source) -> string",
       "Deprecated form of replace_regex with the source last."),
    FN("countof", 2, 3, bind_strings_to_long, eval_countof, "countof(source, search [, 'normal' | 'regex']) -> long",
       "Number of occurrences; plain matches may overlap, regex matches do not."),
    FN("indexof_regex", 2, 5, bind_indexof_regex, eval_indexof_regex,
       "indexof_regex(source, regex [, start [, length [, occurrence]]]) -> long",
       "Character position of the n-th regex match, -1 when absent, null for invalid arguments."),
    FN("reverse", 1, 1, bind_string_out, eval_reverse, "reverse(value) -> string", "The string form of value, reversed."),
    FN("strrep", 2, 3, bind_strrep, eval_strrep, "strrep(value, multiplier [, delimiter]) -> string",
       "The string form of value repeated, with an optional delimiter."),
    FN("strcmp", 2, 2, kq_bind_long_result, eval_strcmp, "strcmp(a, b) -> long", "Ordinal comparison: -1, 0 or 1."),
    FN("string_size", 1, 1, bind_strings_to_long, eval_string_size, "string_size(string) -> long", "Size in bytes (UTF-8)."),
    FN("isascii", 1, 1, kq_bind_bool_result, eval_isascii, "isascii(string) -> bool", "True when every character is ASCII."),
    FN("isutf8", 1, 1, kq_bind_bool_result, eval_isutf8, "isutf8(string) -> bool", "True when the bytes are valid UTF-8."),
    FN("replace_strings", 3, 3, bind_replace_strings, eval_replace_strings,
       "replace_strings(text, lookups, rewrites) -> string", "Replaces several strings at once; earlier lookups take precedence."),
    FN("tohex", 1, 2, bind_tohex, eval_tohex, "tohex(value [, minLength]) -> string",
       "Hexadecimal text of an int or long, two's complement for negative values."),
    FN("unicode_codepoints_from_string", 1, 1, bind_dynamic_out, eval_codepoints_from_string,
       "unicode_codepoints_from_string(string) -> dynamic", "Array of the string's Unicode code points."),
    FN("to_utf8", 1, 1, bind_dynamic_out, eval_codepoints_from_string, "to_utf8(string) -> dynamic",
       "Array of the string's Unicode code points."),
    FN("unicode_codepoints_to_string", 1, 64, bind_codepoints_to_string, eval_codepoints_to_string,
       "unicode_codepoints_to_string(codepoint or array, ...) -> string", "String made of the given code points."),
    FN("make_string", 1, 64, bind_codepoints_to_string, eval_codepoints_to_string,
       "make_string(codepoint or array, ...) -> string", "String made of the given code points."),
    FN("extract_json", 2, 3, bind_extract_json, kq_text_eval_extract_json,
       "extract_json(jsonPath, json [, typeof(T)]) -> string or T", "Value at a JSONPath in JSON text, optionally converted to T."),
    FN("extractjson", 2, 3, bind_extract_json, kq_text_eval_extract_json,
       "extractjson(jsonPath, json [, typeof(T)]) -> string or T", "Same as extract_json."),
    FN("base64_encode_tostring", 1, 1, bind_strings_to_string, kq_text_eval_base64_encode_tostring,
       "base64_encode_tostring(string) -> string", "Base64 of the string's UTF-8 bytes."),
    FN("base64_decode_tostring", 1, 1, bind_strings_to_string, kq_text_eval_base64_decode_tostring,
       "base64_decode_tostring(string) -> string", "Decodes base64 to a UTF-8 string; empty when not valid UTF-8."),
    FN("base64_encode_fromarray", 1, 1, bind_byte_array, kq_text_eval_base64_encode_fromarray,
       "base64_encode_fromarray(dynamic) -> string", "Base64 of an array of byte values."),
    FN("base64_decode_toarray", 1, 1, bind_strings_to_dynamic, kq_text_eval_base64_decode_toarray,
       "base64_decode_toarray(string) -> dynamic", "Decodes base64 to an array of byte values."),
    FN("base64_encode_fromguid", 1, 1, kq_text_bind_guid_arg, kq_text_eval_base64_encode_fromguid,
       "base64_encode_fromguid(guid) -> string", "Base64 of a GUID's 16 bytes in .NET order."),
    FN("base64_decode_toguid", 1, 1, bind_strings_to_guid, kq_text_eval_base64_decode_toguid,
       "base64_decode_toguid(string) -> guid", "GUID from 16 base64-encoded bytes; null otherwise."),
    FN("url_encode", 1, 1, bind_strings_to_string, kq_text_eval_url_encode, "url_encode(string) -> string",
       "Percent-encodes a URL; a space becomes '+'."),
    FN("url_encode_component", 1, 1, bind_strings_to_string, kq_text_eval_url_encode_component,
       "url_encode_component(string) -> string", "Percent-encodes a URL component; a space becomes %20."),
    FN("url_decode", 1, 1, bind_strings_to_string, kq_text_eval_url_decode, "url_decode(string) -> string",
       "Decodes percent-encoding and '+'."),
    FN("parse_url", 1, 1, bind_strings_to_dynamic, kq_text_eval_parse_url, "parse_url(string) -> dynamic",
       "Scheme, Host, Port, Path, Username, Password, Query Parameters and Fragment of an absolute URL."),
    FN("parse_urlquery", 1, 1, bind_strings_to_dynamic, kq_text_eval_parse_urlquery, "parse_urlquery(string) -> dynamic",
       "{\"Query Parameters\": {...}} from the query part of a URL."),
    FN("parse_path", 1, 1, bind_strings_to_dynamic, kq_text_eval_parse_path, "parse_path(string) -> dynamic",
       "Scheme, RootPath, DirectoryPath, DirectoryName, Filename, Extension and AlternateDataStreamName of a path."),
    FN("parse_csv", 1, 1, bind_strings_to_dynamic, kq_text_eval_parse_csv, "parse_csv(string) -> dynamic",
       "Fields of the first CSV record, as an array of strings."),
    FN("parse_version", 1, 1, bind_strings_to_decimal, kq_text_eval_parse_version, "parse_version(string) -> decimal",
       "Comparable number for a version of one to four dot-separated parts; null when invalid."),
    FN("hash_sha256", 1, 1, bind_string_out, kq_text_eval_hash_sha256, "hash_sha256(value) -> string",
       "SHA-256 of the value's string form, as hex."),
    FN("hash_sha1", 1, 1, bind_string_out, kq_text_eval_hash_sha1, "hash_sha1(value) -> string",
       "SHA-1 of the value's string form, as hex."),
    FN("hash_md5", 1, 1, bind_string_out, kq_text_eval_hash_md5, "hash_md5(value) -> string",
       "MD5 of the value's string form, as hex."),
    FN("hash", 1, 2, kq_text_bind_hash, kq_text_eval_hash, "hash(value [, mod]) -> long",
       "xxHash64 of the value's bytes, optionally modulo mod."),
    FN("hash_xxhash64", 1, 2, kq_text_bind_hash, kq_text_eval_hash, "hash_xxhash64(value [, mod]) -> long",
       "xxHash64 of the value's bytes, optionally modulo mod."),
    /* Deprecated names that the Kusto language service still accepts. */
    FN("extractall", 2, 3, bind_extract_all, eval_extract_all, "extractall(regex, [captureGroups,] source) -> dynamic",
       "Deprecated name of extract_all."),
    FN("parseurl", 1, 1, bind_strings_to_dynamic, kq_text_eval_parse_url, "parseurl(string) -> dynamic",
       "Deprecated name of parse_url."),
    FN("parseurlquery", 1, 1, bind_strings_to_dynamic, kq_text_eval_parse_urlquery, "parseurlquery(string) -> dynamic",
       "Deprecated name of parse_urlquery."),
    FN("base64_encodestring", 1, 1, bind_strings_to_string, kq_text_eval_base64_encode_tostring,
       "base64_encodestring(string) -> string", "Deprecated name of base64_encode_tostring."),
    FN("base64_decodestring", 1, 1, bind_strings_to_string, kq_text_eval_base64_decode_tostring,
       "base64_decodestring(string) -> string", "Deprecated name of base64_decode_tostring."),
};
const size_t kq_text_function_count = KQ_ARRAY_LEN(kq_text_functions);
