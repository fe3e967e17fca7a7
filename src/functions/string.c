/* String functions: case, concatenation, splitting, trimming, emptiness. */
#include "functions/registry.h"
#include "functions/regex.h"
#include "functions/terms.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

static kq_str text_of(kq_eval_ctx *ctx, const kq_value *v)
{
    return kq_value_to_str(ctx->arena, v);
}

static kq_value arena_string(kq_eval_ctx *ctx, const char *p, size_t len)
{
    return kq_string(kq_arena_strndup(ctx->arena, p, len), len);
}

static void bind_scalar_args(const kq_type *args, int argc, kq_bind_result *result, kq_type type)
{
    for (int i = 0; i < argc; i++)
        if (args[i] == KQ_TYPE_NONE) {
            snprintf(result->error, sizeof result->error, "argument %d has no type", i + 1);
            result->error_arg = i;
            return;
        }
    result->type = type;
}

static void bind_string_in_string_out(const kq_type *args, int argc, kq_bind_result *result)
{
    bind_scalar_args(args, argc, result, KQ_STRING);
}

/* NOTE: case mapping covers ASCII letters only; Kusto maps all of Unicode. */
static kq_value change_case(kq_eval_ctx *ctx, const kq_value *v, bool upper)
{
    kq_str s = text_of(ctx, v);
    char *out = kq_arena_alloc(ctx->arena, s.len + 1);
    for (uint32_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (upper && c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 32);
        else if (!upper && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        out[i] = (char)c;
    }
    return kq_string(out, s.len);
}

static kq_value eval_tolower(kq_eval_ctx *ctx, const kq_value *args, int argc) { return change_case(ctx, &args[0], false); }
static kq_value eval_toupper(kq_eval_ctx *ctx, const kq_value *args, int argc) { return change_case(ctx, &args[0], true); }

static kq_value eval_strcat(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_buf out;
    kq_buf_init(&out);
    for (int i = 0; i < argc; i++) {
        kq_str s = text_of(ctx, &args[i]);
        kq_buf_append(&out, s.ptr, s.len);
    }
    kq_value v = arena_string(ctx, out.data ? out.data : "", out.len);
    kq_buf_free(&out);
    return v;
}

static kq_value eval_strcat_delim(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_buf out;
    kq_buf_init(&out);
    kq_str delimiter = text_of(ctx, &args[0]);
    for (int i = 1; i < argc; i++) {
        if (i > 1)
            kq_buf_append(&out, delimiter.ptr, delimiter.len);
        kq_str s = text_of(ctx, &args[i]);
        kq_buf_append(&out, s.ptr, s.len);
    }
    kq_value v = arena_string(ctx, out.data ? out.data : "", out.len);
    kq_buf_free(&out);
    return v;
}

static kq_value eval_strlen(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    return kq_long((int64_t)kq_utf8_length(s.ptr, s.len));
}

static void bind_split(const kq_type *args, int argc, kq_bind_result *result)
{
    if (argc == 3 && !kq_type_is_integer(args[2])) {
        snprintf(result->error, sizeof result->error, "the index argument of split must be an integer");
        result->error_arg = 2;
        return;
    }
    result->type = KQ_DYNAMIC;
}

/* split(text, delimiter [, index]): an array of the parts, or an array of the one part. */
static kq_value eval_split(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]), d = text_of(ctx, &args[1]);
    const kq_dyn **parts = NULL;
    size_t count = 0, cap = 0;
    size_t start = 0;
    for (;;) {
        long hit = d.len ? kq_find(s.ptr + start, s.len - start, d.ptr, d.len, true) : -1;
        size_t end = hit < 0 ? s.len : start + (size_t)hit;
        kq_value part = kq_string(s.ptr + start, end - start);
        kq_grow((void **)&parts, &cap, count + 1, sizeof(kq_dyn *));
        parts[count++] = kq_dyn_from_value(ctx->arena, &part);
        if (hit < 0)
            break;
        start = end + d.len;
    }
    if (argc == 3) {
        int64_t index = args[2].null ? -1 : args[2].u.l;
        const kq_dyn *one = index >= 0 && (size_t)index < count ? parts[index] : NULL;
        free(parts);
        return kq_dynamic(kq_dyn_array(ctx->arena, one ? &one : NULL, one ? 1 : 0));
    }
    kq_value v = kq_dynamic(kq_dyn_array(ctx->arena, parts, (uint32_t)count));
    free(parts);
    return v;
}

/* Length of the repeated match of pattern at the start (or end) of s. */
static size_t regex_run(kq_eval_ctx *ctx, kq_str pattern, kq_str s, bool at_end)
{
    char wrapped_text[4200];
    if (pattern.len > 4096) {
        if (!ctx->error)
            ctx->error = kq_arena_strdup(ctx->arena, "trim pattern is longer than 4096 bytes");
        return 0;
    }
    int n = at_end ? snprintf(wrapped_text, sizeof wrapped_text, "(?:%.*s)+$", (int)pattern.len, pattern.ptr)
                   : snprintf(wrapped_text, sizeof wrapped_text, "^(?:%.*s)+", (int)pattern.len, pattern.ptr);
    char error[256];
    const pcre2_code *code = kq_regex_get(wrapped_text, (size_t)n, error, sizeof error);
    if (!code) {
        if (!ctx->error)
            ctx->error = kq_arena_strdup(ctx->arena, error);
        return 0;
    }
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(code, NULL);
    size_t length = 0;
    if (pcre2_match(code, (PCRE2_SPTR)s.ptr, s.len, 0, 0, match, NULL) >= 0) {
        PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(match);
        length = ovector[1] - ovector[0];
    }
    pcre2_match_data_free(match);
    return length;
}

static kq_value trim_common(kq_eval_ctx *ctx, const kq_value *args, bool start, bool end)
{
    kq_str pattern = text_of(ctx, &args[0]), s = text_of(ctx, &args[1]);
    size_t from = 0, to = s.len;
    if (start) {
        kq_str rest = {s.ptr, s.len};
        from = regex_run(ctx, pattern, rest, false);
    }
    if (end && from < to) {
        kq_str rest = {s.ptr + from, (uint32_t)(to - from)};
        to -= regex_run(ctx, pattern, rest, true);
    }
    return kq_string(s.ptr + from, to - from);
}

static kq_value eval_trim(kq_eval_ctx *ctx, const kq_value *args, int argc) { return trim_common(ctx, args, true, true); }
static kq_value eval_trim_start(kq_eval_ctx *ctx, const kq_value *args, int argc) { return trim_common(ctx, args, true, false); }
static kq_value eval_trim_end(kq_eval_ctx *ctx, const kq_value *args, int argc) { return trim_common(ctx, args, false, true); }

static bool value_is_empty(const kq_value *v)
{
    if (v->null)
        return true;
    if (v->type == KQ_STRING || v->type == KQ_GUID)
        return v->u.s.len == 0;
    if (v->type == KQ_DYNAMIC)
        return !v->u.d || v->u.d->kind == KQ_DYN_NULL ||
               (v->u.d->kind == KQ_DYN_STRING && v->u.d->u.s.len == 0);
    return false;
}

static kq_value eval_isempty(kq_eval_ctx *ctx, const kq_value *args, int argc) { return kq_bool(value_is_empty(&args[0])); }
static kq_value eval_isnotempty(kq_eval_ctx *ctx, const kq_value *args, int argc) { return kq_bool(!value_is_empty(&args[0])); }

static kq_value eval_replace_string(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]), find = text_of(ctx, &args[1]), with = text_of(ctx, &args[2]);
    if (find.len == 0)
        return kq_string(s.ptr, s.len);
    kq_buf out;
    kq_buf_init(&out);
    size_t start = 0;
    for (;;) {
        long hit = kq_find(s.ptr + start, s.len - start, find.ptr, find.len, true);
        if (hit < 0)
            break;
        kq_buf_append(&out, s.ptr + start, (size_t)hit);
        kq_buf_append(&out, with.ptr, with.len);
        start += (size_t)hit + find.len;
    }
    kq_buf_append(&out, s.ptr + start, s.len - start);
    kq_value v = arena_string(ctx, out.data, out.len);
    kq_buf_free(&out);
    return v;
}

/* Byte offset of the code point at index `chars`, clamped to the string. */
static size_t byte_offset(kq_str s, int64_t chars);

/*
 * indexof(source, lookup [, start [, length [, occurrence]]]): the code-point position of
 * the occurrence-th match at or after start, within length characters; -1 when there is
 * none, null when start is beyond the string or an argument is negative.
 */
static kq_value eval_indexof(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]), find = text_of(ctx, &args[1]);
    int64_t start = argc > 2 && !args[2].null ? args[2].u.l : 0;
    int64_t length = argc > 3 && !args[3].null ? args[3].u.l : -1;
    int64_t occurrence = argc > 4 && !args[4].null ? args[4].u.l : 1;
    int64_t chars = (int64_t)kq_utf8_length(s.ptr, s.len);
    if (start < 0)
        start = chars + start < 0 ? 0 : chars + start;
    if (start > chars || occurrence <= 0 || length < -1)
        return kq_null(KQ_LONG);
    size_t from = byte_offset(s, start);
    size_t to = s.len;
    if (length >= 0) {
        /* The examined range ends at character start + length, inclusive: the Kusto docs
         * show indexof("abcdefg", "cde", 1, 2) == -1 and indexof("abcdefgabcdefg",
         * "cde", 1, 10, 2) == 9, which one extra character explains and a range of
         * exactly length characters does not. */
        kq_str rest = {s.ptr + from, (uint32_t)(s.len - from)};
        to = from + byte_offset(rest, length + 1);
    }
    size_t at = from;
    for (int64_t n = 0; n < occurrence; n++) {
        long hit = kq_find(s.ptr + at, to - at, find.ptr, find.len, true);
        if (hit < 0)
            return kq_long(-1);
        if (n + 1 == occurrence)
            return kq_long((int64_t)kq_utf8_length(s.ptr, at + (size_t)hit));
        at += (size_t)hit + (find.len ? find.len : 1);
        if (at > to)
            return kq_long(-1);
    }
    return kq_long(-1);
}

static size_t byte_offset(kq_str s, int64_t chars)
{
    size_t i = 0;
    while (chars > 0 && i < s.len) {
        uint32_t cp;
        size_t n = kq_utf8_decode(s.ptr + i, s.len - i, &cp);
        i += n ? n : 1;
        chars--;
    }
    return i;
}

static kq_value eval_substring(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    if (args[1].null)
        return kq_string("", 0);
    int64_t start = args[1].u.l < 0 ? 0 : args[1].u.l;
    size_t from = byte_offset(s, start);
    size_t to = s.len;
    if (argc == 3 && !args[2].null) {
        if (args[2].u.l < 0)
            return kq_string("", 0);
        kq_str rest = {s.ptr + from, (uint32_t)(s.len - from)};
        to = from + byte_offset(rest, args[2].u.l);
    }
    return kq_string(s.ptr + from, to - from);
}

static void bind_substring(const kq_type *args, int argc, kq_bind_result *result)
{
    for (int i = 1; i < argc; i++)
        if (!kq_type_is_integer(args[i])) {
            snprintf(result->error, sizeof result->error, "substring positions must be integers");
            result->error_arg = i;
            return;
        }
    result->type = KQ_STRING;
}

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_string_functions[] = {
    FN("tolower", 1, 1, bind_string_in_string_out, eval_tolower, "tolower(string) -> string", "Lower-cases ASCII letters."),
    FN("toupper", 1, 1, bind_string_in_string_out, eval_toupper, "toupper(string) -> string", "Upper-cases ASCII letters."),
    FN("strcat", 1, 64, bind_string_in_string_out, eval_strcat, "strcat(a, b, ...) -> string", "Concatenates the string forms of its arguments."),
    FN("strcat_delim", 3, 64, bind_string_in_string_out, eval_strcat_delim, "strcat_delim(delimiter, a, b, ...) -> string", "Concatenates with a delimiter between arguments."),
    FN("strlen", 1, 1, kq_bind_long_result, eval_strlen, "strlen(string) -> long", "Number of Unicode code points."),
    FN("split", 2, 3, bind_split, eval_split, "split(string, delimiter [, index]) -> dynamic", "Splits a string into an array of substrings."),
    FN("trim", 2, 2, bind_string_in_string_out, eval_trim, "trim(regex, string) -> string", "Removes leading and trailing matches of a regular expression."),
    FN("trim_start", 2, 2, bind_string_in_string_out, eval_trim_start, "trim_start(regex, string) -> string", "Removes leading matches of a regular expression."),
    FN("trim_end", 2, 2, bind_string_in_string_out, eval_trim_end, "trim_end(regex, string) -> string", "Removes trailing matches of a regular expression."),
    FN("isempty", 1, 1, kq_bind_bool_result, eval_isempty, "isempty(x) -> bool", "True for an empty string or a null value."),
    FN("isnotempty", 1, 1, kq_bind_bool_result, eval_isnotempty, "isnotempty(x) -> bool", "False for an empty string or a null value."),
    FN("notempty", 1, 1, kq_bind_bool_result, eval_isnotempty, "notempty(x) -> bool", "Deprecated name of isnotempty()."),
    FN("isnotnull_or_empty", 1, 1, kq_bind_bool_result, eval_isnotempty, "isnotnull_or_empty(x) -> bool", "Same as isnotempty()."),
    FN("replace_string", 3, 3, bind_string_in_string_out, eval_replace_string, "replace_string(text, lookup, replacement) -> string", "Replaces every occurrence of lookup."),
    FN("indexof", 2, 5, kq_bind_long_result, eval_indexof, "indexof(string, lookup [, start [, length [, occurrence]]]) -> long", "Zero-based position of an occurrence, or -1."),
    FN("substring", 2, 3, bind_substring, eval_substring, "substring(string, start [, length]) -> string", "Part of a string, by code points."),
};
const size_t kq_string_function_count = KQ_ARRAY_LEN(kq_string_functions);
