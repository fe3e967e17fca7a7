/*
 * Text functions, part two: typed conversion for extract(), extract_json,
 * base64, URL encoding and parsing, parse_path, parse_csv, parse_version and
 * hashes. The registry table is in text_functions.c.
 */
#include "functions/text_internal.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "base/util.h"

#include <math.h>
#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static kq_str text_of(kq_eval_ctx *ctx, const kq_value *v)
{
    return kq_value_to_str(ctx->arena, v);
}

static kq_value arena_string(kq_eval_ctx *ctx, const char *p, size_t len)
{
    return kq_string(kq_arena_strndup(ctx->arena, p ? p : "", len), len);
}

static kq_value buf_to_string(kq_eval_ctx *ctx, kq_buf *buf)
{
    kq_value v = arena_string(ctx, buf->data, buf->len);
    kq_buf_free(buf);
    return v;
}

static const kq_dyn *dyn_string(kq_arena *arena, const char *p, size_t len)
{
    kq_value v = kq_string(kq_arena_strndup(arena, p ? p : "", len), len);
    return kq_dyn_from_value(arena, &v);
}

/* Object with the given keys (static strings) and values, in that order. */
static const kq_dyn *dyn_object(kq_arena *arena, const char *const *keys, const kq_dyn *const *values, uint32_t count)
{
    kq_dyn *obj = kq_arena_alloc(arena, sizeof *obj);
    obj->kind = KQ_DYN_OBJECT;
    obj->count = count;
    obj->u.members = kq_arena_alloc(arena, (count ? count : 1) * sizeof *obj->u.members);
    for (uint32_t i = 0; i < count; i++) {
        obj->u.members[i].key = (kq_str){keys[i], (uint32_t)strlen(keys[i])};
        obj->u.members[i].value = values[i];
    }
    return obj;
}

/* ---- conversion to a typeof() type ---- */

static bool parse_integer(kq_str text, int64_t *out)
{
    size_t i = 0;
    bool negative = false;
    if (i < text.len && (text.ptr[i] == '-' || text.ptr[i] == '+'))
        negative = text.ptr[i++] == '-';
    if (i == text.len)
        return false;
    uint64_t value = 0;
    for (; i < text.len; i++) {
        unsigned char c = (unsigned char)text.ptr[i];
        if (c < '0' || c > '9')
            return false;
        if (value > (UINT64_C(1) << 63) / 10)
            return false;
        value = value * 10 + (uint64_t)(c - '0');
    }
    if (value > (negative ? (UINT64_C(1) << 63) : (uint64_t)INT64_MAX))
        return false;
    *out = negative ? (int64_t)(0 - value) : (int64_t)value;
    return true;
}

static bool parse_real(kq_str text, double *out)
{
    if (text.len == 0 || text.len > 400)
        return false;
    char copy[401];
    memcpy(copy, text.ptr, text.len);
    copy[text.len] = '\0';
    if (strcmp(copy, "NaN") == 0 || strcmp(copy, "Infinity") == 0 || strcmp(copy, "-Infinity") == 0) {
        if (copy[0] == 'N')
            *out = NAN;
        else
            *out = copy[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    for (size_t i = 0; i < text.len; i++) {
        char c = copy[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return false;
    }
    char *end;
    *out = strtod(copy, &end);
    return *end == '\0';
}

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into 16 bytes in text order. */
static bool parse_guid_text(kq_str text, unsigned char bytes[16])
{
    static const int dash_at[] = {8, 13, 18, 23};
    if (text.len != 36)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < 36;) {
        if (i == (size_t)dash_at[0] || i == (size_t)dash_at[1] || i == (size_t)dash_at[2] || i == (size_t)dash_at[3]) {
            if (text.ptr[i] != '-')
                return false;
            i++;
            continue;
        }
        int high = hex_digit((unsigned char)text.ptr[i]), low = hex_digit((unsigned char)text.ptr[i + 1]);
        if (high < 0 || low < 0)
            return false;
        bytes[n++] = (unsigned char)(high * 16 + low);
        i += 2;
    }
    return true;
}

static kq_value guid_from_bytes(kq_arena *arena, const unsigned char b[16])
{
    char *text = kq_arena_printf(arena,
                                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                                 b[12], b[13], b[14], b[15]);
    kq_value v = {.type = KQ_GUID};
    v.u.s = (kq_str){text, 36};
    return v;
}

kq_value kq_text_convert(kq_arena *arena, kq_str text, kq_type type)
{
    int64_t l;
    double r;
    unsigned char guid[16];
    switch (type) {
    case KQ_STRING:
        return kq_string(text.ptr, text.len);
    case KQ_BOOL:
        if (kq_ascii_ieq(text.ptr, text.len, "true", 4) || kq_str_eq(text, "1"))
            return kq_bool(true);
        if (kq_ascii_ieq(text.ptr, text.len, "false", 5) || kq_str_eq(text, "0"))
            return kq_bool(false);
        return kq_null(type);
    case KQ_INT:
        if (parse_integer(text, &l) && l >= INT32_MIN && l <= INT32_MAX)
            return kq_int(l);
        return kq_null(type);
    case KQ_LONG:
        return parse_integer(text, &l) ? kq_long(l) : kq_null(type);
    case KQ_REAL:
    case KQ_DECIMAL:
        if (!parse_real(text, &r))
            return kq_null(type);
        kq_value v = kq_real(r);
        v.type = type;
        return v;
    case KQ_DATETIME:
        return kq_datetime_parse(text.ptr, text.len, &l) ? kq_datetime(l) : kq_null(type);
    case KQ_TIMESPAN:
        return kq_timespan_parse(text.ptr, text.len, &l) ? kq_timespan(l) : kq_null(type);
    case KQ_GUID:
        return parse_guid_text(text, guid) ? guid_from_bytes(arena, guid) : kq_null(type);
    case KQ_DYNAMIC: {
        const kq_dyn *d = kq_dyn_parse(arena, text.ptr, text.len, NULL);
        if (!d) {
            kq_value s = kq_string(text.ptr, text.len);
            d = kq_dyn_from_value(arena, &s);
        }
        return kq_dynamic(d);
    }
    default:
        return kq_null(type);
    }
}

/* ---- extract_json ---- */

/*
 * Follows one JSONPath step at path[*at]: .name, ['name'], ["name"] or [index].
 * Returns the child, or NULL when the step is malformed or the child is absent.
 */
static const kq_dyn *json_path_step(const kq_dyn *node, kq_str path, size_t *at)
{
    size_t i = *at;
    if (path.ptr[i] == '.') {
        size_t start = ++i;
        while (i < path.len && path.ptr[i] != '.' && path.ptr[i] != '[')
            i++;
        *at = i;
        if (i == start)
            return NULL;
        return kq_dyn_get_member(node, path.ptr + start, i - start);
    }
    if (path.ptr[i] != '[' || ++i >= path.len)
        return NULL;
    char quote = path.ptr[i];
    if (quote == '\'' || quote == '"') {
        size_t start = ++i;
        while (i < path.len && path.ptr[i] != quote)
            i++;
        if (i + 1 >= path.len || path.ptr[i + 1] != ']')
            return NULL;
        *at = i + 2;
        return kq_dyn_get_member(node, path.ptr + start, i - start);
    }
    size_t start = i;
    while (i < path.len && path.ptr[i] != ']')
        i++;
    int64_t index;
    if (i >= path.len || !parse_integer((kq_str){path.ptr + start, (uint32_t)(i - start)}, &index) || index < 0)
        return NULL;
    *at = i + 1;
    if (!node || node->kind != KQ_DYN_ARRAY)
        return NULL;
    return kq_dyn_get_index(node, index);
}

/* NOTE: supports $, .name, ['name'] and [index]; wildcards, slices and filters give null. */
kq_value kq_text_eval_extract_json(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_type type = argc == 3 ? args[2].type : KQ_STRING;
    kq_str path = text_of(ctx, &args[0]), json = text_of(ctx, &args[1]);
    if (path.len == 0 || path.ptr[0] != '$')
        return kq_null(type);
    const kq_dyn *node = kq_dyn_parse(ctx->arena, json.ptr, json.len, NULL);
    size_t at = 1;
    while (node && at < path.len)
        node = json_path_step(node, path, &at);
    if (!node || node->kind == KQ_DYN_NULL)
        return kq_null(type);
    if (type == KQ_DYNAMIC)
        return kq_dynamic(node);
    kq_value text = kq_dyn_to_value(node, KQ_STRING, ctx->arena);
    return kq_text_convert(ctx->arena, text.u.s, type);
}

/* ---- base64 ---- */

static const char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

kq_value kq_text_base64_encode(kq_eval_ctx *ctx, const unsigned char *data, size_t len)
{
    size_t out_len = (len + 2) / 3 * 4;
    char *out = kq_arena_alloc(ctx->arena, out_len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t chunk = (uint32_t)data[i] << 16;
        if (i + 1 < len)
            chunk |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len)
            chunk |= data[i + 2];
        out[o++] = base64_alphabet[(chunk >> 18) & 63];
        out[o++] = base64_alphabet[(chunk >> 12) & 63];
        out[o++] = i + 1 < len ? base64_alphabet[(chunk >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? base64_alphabet[chunk & 63] : '=';
    }
    return kq_string(out, o);
}

static int base64_value(unsigned char c)
{
    const char *hit = c ? strchr(base64_alphabet, c) : NULL;
    return hit ? (int)(hit - base64_alphabet) : -1;
}

/*
 * Decodes base64 as .NET's Convert.FromBase64String does: whitespace is
 * ignored, the rest must be a multiple of four characters with at most two
 * '=' at the end. Returns a malloc'ed buffer and its length, or NULL.
 */
unsigned char *kq_text_base64_decode(kq_str text, size_t *out_len)
{
    unsigned char *out = kq_xmalloc(text.len / 4 * 3 + 3);
    size_t o = 0, count = 0, padding = 0;
    uint32_t chunk = 0;
    for (size_t i = 0; i < text.len; i++) {
        unsigned char c = (unsigned char)text.ptr[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        int value = c == '=' ? 0 : base64_value(c);
        if (value < 0 || (c != '=' && padding > 0) || (c == '=' && ++padding > 2)) {
            free(out);
            return NULL;
        }
        chunk = chunk << 6 | (uint32_t)value;
        if (++count % 4 == 0) {
            out[o++] = (unsigned char)(chunk >> 16);
            out[o++] = (unsigned char)(chunk >> 8);
            out[o++] = (unsigned char)chunk;
            chunk = 0;
        }
    }
    if (count % 4 != 0 || (padding > 0 && count < 4)) {
        free(out);
        return NULL;
    }
    *out_len = o - padding;
    return out;
}

static bool is_valid_utf8(const char *text, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = kq_utf8_decode(text + i, len - i, &cp);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

kq_value kq_text_eval_base64_encode_tostring(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    return kq_text_base64_encode(ctx, (const unsigned char *)s.ptr, s.len);
}

kq_value kq_text_eval_base64_decode_tostring(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    size_t len;
    unsigned char *bytes = kq_text_base64_decode(text_of(ctx, &args[0]), &len);
    if (!bytes)
        return kq_string("", 0);
    kq_value v = is_valid_utf8((const char *)bytes, len) ? arena_string(ctx, (const char *)bytes, len) : kq_string("", 0);
    free(bytes);
    return v;
}

kq_value kq_text_eval_base64_decode_toarray(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    size_t len;
    unsigned char *bytes = kq_text_base64_decode(text_of(ctx, &args[0]), &len);
    if (!bytes)
        return kq_dynamic(NULL);
    const kq_dyn **items = kq_arena_alloc(ctx->arena, (len ? len : 1) * sizeof *items);
    for (size_t i = 0; i < len; i++) {
        kq_value v = kq_long(bytes[i]);
        items[i] = kq_dyn_from_value(ctx->arena, &v);
    }
    free(bytes);
    return kq_dynamic(kq_dyn_array(ctx->arena, items, (uint32_t)len));
}

/* Array of byte values (0 to 255) to base64; empty when any element is not a byte. */
kq_value kq_text_eval_base64_encode_fromarray(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_dyn *array = args[0].type == KQ_DYNAMIC && !args[0].null ? args[0].u.d : NULL;
    if (!array || array->kind != KQ_DYN_ARRAY)
        return kq_string("", 0);
    unsigned char *bytes = kq_arena_alloc(ctx->arena, array->count ? array->count : 1);
    for (uint32_t i = 0; i < array->count; i++) {
        const kq_dyn *item = array->u.items[i];
        if (item->kind != KQ_DYN_LONG || item->u.l < 0 || item->u.l > 255)
            return kq_string("", 0);
        bytes[i] = (unsigned char)item->u.l;
    }
    return kq_text_base64_encode(ctx, bytes, array->count);
}

void kq_text_bind_guid_arg(const kq_type *args, int argc, kq_bind_result *result)
{
    if (args[0] != KQ_GUID && args[0] != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "base64_encode_fromguid expects a guid, not %s",
                 kq_type_name(args[0]));
        result->error_arg = 0;
        return;
    }
    result->type = KQ_STRING;
}

/* .NET stores a GUID's first three groups little-endian: swap them between text order and byte order. */
static void guid_swap_order(unsigned char b[16])
{
    unsigned char t;
    t = b[0], b[0] = b[3], b[3] = t;
    t = b[1], b[1] = b[2], b[2] = t;
    t = b[4], b[4] = b[5], b[5] = t;
    t = b[6], b[6] = b[7], b[7] = t;
}

kq_value kq_text_eval_base64_encode_fromguid(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    unsigned char bytes[16];
    if (args[0].null || !parse_guid_text(text_of(ctx, &args[0]), bytes))
        return kq_string("", 0);
    guid_swap_order(bytes);
    return kq_text_base64_encode(ctx, bytes, 16);
}

kq_value kq_text_eval_base64_decode_toguid(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    size_t len;
    unsigned char *bytes = kq_text_base64_decode(text_of(ctx, &args[0]), &len);
    if (!bytes || len != 16) {
        free(bytes);
        return kq_null(KQ_GUID);
    }
    guid_swap_order(bytes);
    kq_value v = guid_from_bytes(ctx->arena, bytes);
    free(bytes);
    return v;
}

/* ---- URL encoding ---- */

/* Characters .NET's HttpUtility.UrlEncode leaves as they are. */
static bool url_safe(unsigned char c)
{
    return kq_is_alnum(c) || c == '-' || c == '_' || c == '.' || c == '!' || c == '*' || c == '(' || c == ')';
}

static kq_value url_encode(kq_eval_ctx *ctx, const kq_value *arg, const char *space)
{
    static const char hex[] = "0123456789abcdef";
    kq_str s = text_of(ctx, arg);
    kq_buf out;
    kq_buf_init(&out);
    for (uint32_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (url_safe(c)) {
            kq_buf_putc(&out, (char)c);
        } else if (c == ' ') {
            kq_buf_puts(&out, space);
        } else {
            char escape[3] = {'%', hex[c >> 4], hex[c & 15]};
            kq_buf_append(&out, escape, 3);
        }
    }
    return buf_to_string(ctx, &out);
}

kq_value kq_text_eval_url_encode(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return url_encode(ctx, &args[0], "+");
}

kq_value kq_text_eval_url_encode_component(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return url_encode(ctx, &args[0], "%20");
}

/* Appends text with invalid UTF-8 bytes replaced by U+FFFD. */
static void append_utf8_repaired(kq_buf *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = kq_utf8_decode(text + i, len - i, &cp);
        if (n == 0) {
            kq_buf_append(out, "\xEF\xBF\xBD", 3);
            i++;
        } else {
            kq_buf_append(out, text + i, n);
            i += n;
        }
    }
}

/* Decodes '+', %xx and %uxxxx; a '%' that starts no valid escape stays as it is. */
static void url_decode_into(kq_buf *out, const char *text, size_t len)
{
    kq_buf bytes;
    kq_buf_init(&bytes);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '+') {
            kq_buf_putc(&bytes, ' ');
            continue;
        }
        if (c == '%' && i + 5 < len && (text[i + 1] == 'u' || text[i + 1] == 'U')) {
            int d[4];
            for (int k = 0; k < 4; k++)
                d[k] = hex_digit((unsigned char)text[i + 2 + k]);
            if (d[0] >= 0 && d[1] >= 0 && d[2] >= 0 && d[3] >= 0) {
                char utf8[4];
                uint32_t cp = (uint32_t)(d[0] << 12 | d[1] << 8 | d[2] << 4 | d[3]);
                kq_buf_append(&bytes, utf8, kq_utf8_encode(cp, utf8));
                i += 5;
                continue;
            }
        }
        if (c == '%' && i + 2 < len) {
            int high = hex_digit((unsigned char)text[i + 1]), low = hex_digit((unsigned char)text[i + 2]);
            if (high >= 0 && low >= 0) {
                kq_buf_putc(&bytes, (char)(high * 16 + low));
                i += 2;
                continue;
            }
        }
        kq_buf_putc(&bytes, (char)c);
    }
    append_utf8_repaired(out, bytes.data ? bytes.data : "", bytes.len);
    kq_buf_free(&bytes);
}

kq_value kq_text_eval_url_decode(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    kq_buf out;
    kq_buf_init(&out);
    url_decode_into(&out, s.ptr, s.len);
    return buf_to_string(ctx, &out);
}

/* ---- parse_url, parse_urlquery ---- */

static const kq_dyn *decoded_string(kq_arena *arena, const char *text, size_t len)
{
    kq_buf out;
    kq_buf_init(&out);
    url_decode_into(&out, text, len);
    const kq_dyn *d = dyn_string(arena, out.data, out.len);
    kq_buf_free(&out);
    return d;
}

/* Object of the key=value pairs of a query string; values are URL-decoded, a repeated key keeps its last value. */
static const kq_dyn *query_parameters(kq_arena *arena, const char *text, size_t len)
{
    size_t pairs = 1;
    for (size_t i = 0; i < len; i++)
        pairs += text[i] == '&';
    kq_dyn *obj = kq_arena_alloc(arena, sizeof *obj);
    obj->kind = KQ_DYN_OBJECT;
    obj->u.members = kq_arena_alloc(arena, pairs * sizeof *obj->u.members);
    size_t start = 0;
    while (start < len) {
        const char *amp = memchr(text + start, '&', len - start);
        size_t end = amp ? (size_t)(amp - text) : len;
        const char *eq = memchr(text + start, '=', end - start);
        size_t key_end = eq ? (size_t)(eq - text) : end;
        if (key_end > start) {
            const kq_dyn *key = decoded_string(arena, text + start, key_end - start);
            const kq_dyn *value = eq ? decoded_string(arena, eq + 1, end - key_end - 1) : dyn_string(arena, "", 0);
            uint32_t slot = obj->count;
            for (uint32_t m = 0; m < obj->count; m++)
                if (obj->u.members[m].key.len == key->u.s.len &&
                    memcmp(obj->u.members[m].key.ptr, key->u.s.ptr, key->u.s.len) == 0)
                    slot = m;
            obj->u.members[slot].key = key->u.s;
            obj->u.members[slot].value = value;
            if (slot == obj->count)
                obj->count++;
        }
        start = end + 1;
    }
    return obj;
}

typedef struct url_parts {
    kq_str scheme, host, port, path, username, password, query, fragment;
} url_parts;

static kq_str slice(const char *p, size_t from, size_t to)
{
    return (kq_str){p + from, (uint32_t)(to > from ? to - from : 0)};
}

static size_t find_any(const char *p, size_t from, size_t to, const char *set)
{
    for (size_t i = from; i < to; i++)
        if (strchr(set, p[i]))
            return i;
    return to;
}

/* Splits scheme://[user[:password]@]host[:port][/path][?query][#fragment]; false when not absolute. */
static bool split_url(kq_str url, url_parts *parts)
{
    const char *p = url.ptr;
    size_t len = url.len, i = 0;
    memset(parts, 0, sizeof *parts);
    if (len == 0 || !((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')))
        return false;
    while (i < len && (kq_is_alnum((unsigned char)p[i]) || p[i] == '+' || p[i] == '-' || p[i] == '.'))
        i++;
    if (i + 3 > len || memcmp(p + i, "://", 3) != 0)
        return false;
    parts->scheme = slice(p, 0, i);
    size_t authority = i + 3;
    size_t authority_end = find_any(p, authority, len, "/?#");
    size_t host_start = authority;
    const char *at = NULL;
    for (size_t k = authority; k < authority_end; k++)
        if (p[k] == '@')
            at = p + k;
    if (at) {
        size_t at_pos = (size_t)(at - p);
        size_t colon = find_any(p, authority, at_pos, ":");
        parts->username = slice(p, authority, colon);
        parts->password = slice(p, colon < at_pos ? colon + 1 : at_pos, at_pos);
        host_start = at_pos + 1;
    }
    size_t host_end = host_start < authority_end && p[host_start] == '['
                          ? find_any(p, host_start, authority_end, "]") + 1
                          : host_start;
    if (host_end > authority_end)
        host_end = authority_end;
    host_end = find_any(p, host_end, authority_end, ":");
    parts->host = slice(p, host_start, host_end);
    parts->port = slice(p, host_end < authority_end ? host_end + 1 : authority_end, authority_end);
    size_t path_end = find_any(p, authority_end, len, "?#");
    parts->path = slice(p, authority_end, path_end);
    size_t query_end = find_any(p, path_end, len, "#");
    parts->query = slice(p, path_end < query_end ? path_end + 1 : query_end, query_end);
    parts->fragment = slice(p, query_end < len ? query_end + 1 : len, len);
    return true;
}

/*
 * NOTE: a string that is not an absolute URL gives an object of empty parts;
 * Kusto's result for such input is not documented.
 */
kq_value kq_text_eval_parse_url(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    static const char *const keys[] = {"Scheme", "Host", "Port", "Path", "Username", "Password", "Query Parameters", "Fragment"};
    url_parts parts;
    if (!split_url(text_of(ctx, &args[0]), &parts))
        memset(&parts, 0, sizeof parts);
    kq_str fields[] = {parts.scheme, parts.host, parts.port, parts.path, parts.username, parts.password};
    const kq_dyn *values[8];
    for (int i = 0; i < 6; i++)
        values[i] = dyn_string(ctx->arena, fields[i].ptr, fields[i].len);
    values[6] = query_parameters(ctx->arena, parts.query.ptr, parts.query.len);
    values[7] = dyn_string(ctx->arena, parts.fragment.ptr, parts.fragment.len);
    return kq_dynamic(dyn_object(ctx->arena, keys, values, 8));
}

kq_value kq_text_eval_parse_urlquery(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    static const char *const keys[] = {"Query Parameters"};
    kq_str query = text_of(ctx, &args[0]);
    if (query.len > 0 && query.ptr[0] == '?')
        query = slice(query.ptr, 1, query.len);
    const kq_dyn *values[] = {query_parameters(ctx->arena, query.ptr, query.len)};
    return kq_dynamic(dyn_object(ctx->arena, keys, values, 1));
}

/* ---- parse_path ---- */

static bool is_separator(char c)
{
    return c == '/' || c == '\\';
}

/*
 * Splits [scheme://][X:]dir\...\name[.ext][:stream]. DirectoryPath keeps the
 * root ("C:\temp"), or its separator when the file sits in the root ("C:\").
 */
kq_value kq_text_eval_parse_path(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    static const char *const keys[] = {"Scheme", "RootPath", "DirectoryPath", "DirectoryName", "Filename", "Extension", "AlternateDataStreamName"};
    kq_str path = text_of(ctx, &args[0]);
    const char *p = path.ptr;
    size_t len = path.len, start = 0;
    kq_str scheme = {"", 0}, root = {"", 0};
    size_t i = 0;
    while (i < len && (kq_is_alnum((unsigned char)p[i]) || p[i] == '+' || p[i] == '-' || p[i] == '.'))
        i++;
    if (i > 0 && i + 3 <= len && memcmp(p + i, "://", 3) == 0) {
        scheme = slice(p, 0, i);
        start = i + 3;
    }
    bool drive = start + 1 < len && p[start + 1] == ':' &&
                 ((p[start] >= 'a' && p[start] <= 'z') || (p[start] >= 'A' && p[start] <= 'Z'));
    if (drive)
        root = slice(p, start, start + 2);
    size_t last_sep = SIZE_MAX;
    for (size_t k = start; k < len; k++)
        if (is_separator(p[k]))
            last_sep = k;
    size_t name_start = last_sep + 1;
    if (last_sep == SIZE_MAX)
        name_start = drive ? start + 2 : start;
    kq_str directory = {"", 0}, directory_name = {"", 0};
    if (last_sep != SIZE_MAX) {
        size_t dir_end = last_sep;
        bool at_root = last_sep == start || (drive && last_sep == start + 2);
        directory = slice(p, start, at_root ? last_sep + 1 : dir_end);
        size_t k = dir_end;
        while (k > start && !is_separator(p[k - 1]) && !(drive && k == start + 2))
            k--;
        directory_name = slice(p, k, dir_end);
    }
    size_t name_end = len;
    kq_str stream = {"", 0};
    const char *colon = memchr(p + name_start, ':', len - name_start);
    if (colon) {
        name_end = (size_t)(colon - p);
        stream = slice(p, name_end + 1, len);
    }
    kq_str filename = slice(p, name_start, name_end);
    kq_str extension = {"", 0};
    for (size_t k = name_end; k > name_start; k--)
        if (p[k - 1] == '.') {
            extension = slice(p, k, name_end);
            break;
        }
    kq_str fields[] = {scheme, root, directory, directory_name, filename, extension, stream};
    const kq_dyn *values[7];
    for (int k = 0; k < 7; k++)
        values[k] = dyn_string(ctx->arena, fields[k].ptr, fields[k].len);
    return kq_dynamic(dyn_object(ctx->arena, keys, values, 7));
}

/* ---- parse_csv ---- */

/* Fields of the first record: commas separate, quotes enclose, "" is a quote, a newline outside quotes ends the record. */
kq_value kq_text_eval_parse_csv(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    const kq_dyn **fields = NULL;
    size_t count = 0, cap = 0;
    kq_buf field;
    kq_buf_init(&field);
    bool quoted = false, done = false;
    for (size_t i = 0; i <= s.len && !done; i++) {
        char c = i < s.len ? s.ptr[i] : '\n';
        if (quoted) {
            if (c == '"' && i + 1 < s.len && s.ptr[i + 1] == '"') {
                kq_buf_putc(&field, '"');
                i++;
            } else if (c == '"') {
                quoted = false;
            } else if (i < s.len) {
                kq_buf_putc(&field, c);
            } else {
                done = true; /* an unterminated quote ends at the end of the text */
            }
            if (!done)
                continue;
        } else if (c == '"') {
            quoted = true;
            continue;
        } else if (c != ',' && c != '\n' && !(c == '\r' && i + 1 < s.len && s.ptr[i + 1] == '\n')) {
            kq_buf_putc(&field, c);
            continue;
        }
        kq_grow((void **)&fields, &cap, count + 1, sizeof *fields);
        fields[count++] = dyn_string(ctx->arena, field.data, field.len);
        kq_buf_clear(&field);
        if (c != ',')
            done = true;
    }
    kq_buf_free(&field);
    kq_value v = kq_dynamic(kq_dyn_array(ctx->arena, fields, (uint32_t)count));
    free(fields);
    return v;
}

/* ---- parse_version ---- */

/*
 * One to four dot-separated parts of up to 8 digits; missing parts are 0.
 * The value is part1 * 10^24 + part2 * 10^16 + part3 * 10^8 + part4.
 * NOTE: Kusto returns an exact decimal; kqlite carries decimal as a double,
 * so versions that differ only beyond about 15 significant digits compare equal.
 */
kq_value kq_text_eval_parse_version(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    kq_value null_decimal = kq_null(KQ_DECIMAL);
    size_t i = 0, end = s.len;
    while (i < end && s.ptr[i] == ' ')
        i++;
    while (end > i && s.ptr[end - 1] == ' ')
        end--;
    int64_t parts[4] = {0, 0, 0, 0};
    int nparts = 0;
    while (nparts < 4) {
        size_t digits = 0;
        int64_t value = 0;
        while (i < end && s.ptr[i] >= '0' && s.ptr[i] <= '9' && digits < 9) {
            value = value * 10 + (s.ptr[i++] - '0');
            digits++;
        }
        if (digits == 0 || digits > 8)
            return null_decimal;
        parts[nparts++] = value;
        if (i == end)
            break;
        if (s.ptr[i++] != '.')
            return null_decimal;
    }
    if (i != end)
        return null_decimal;
    double version = (double)parts[0] * 1e24 + (double)parts[1] * 1e16 + (double)parts[2] * 1e8 + (double)parts[3];
    kq_value v = kq_real(version);
    v.type = KQ_DECIMAL;
    return v;
}

/* ---- hashes ---- */

static kq_value hex_digest(kq_eval_ctx *ctx, const uint8_t *digest, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *out = kq_arena_alloc(ctx->arena, len * 2 + 1);
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    return kq_string(out, len * 2);
}

/* The cryptographic hashes digest the value's string form ("2020-01-01T00:00:00.0000000Z" for a datetime). */
kq_value kq_text_eval_hash_sha256(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    struct sha256_ctx state;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&state);
    sha256_update(&state, s.len, (const uint8_t *)s.ptr);
    sha256_digest(&state, sizeof digest, digest);
    return hex_digest(ctx, digest, sizeof digest);
}

kq_value kq_text_eval_hash_sha1(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    struct sha1_ctx state;
    uint8_t digest[SHA1_DIGEST_SIZE];
    sha1_init(&state);
    sha1_update(&state, s.len, (const uint8_t *)s.ptr);
    sha1_digest(&state, sizeof digest, digest);
    return hex_digest(ctx, digest, sizeof digest);
}

kq_value kq_text_eval_hash_md5(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str s = text_of(ctx, &args[0]);
    struct md5_ctx state;
    uint8_t digest[MD5_DIGEST_SIZE];
    md5_init(&state);
    md5_update(&state, s.len, (const uint8_t *)s.ptr);
    md5_digest(&state, sizeof digest, digest);
    return hex_digest(ctx, digest, sizeof digest);
}

void kq_text_bind_hash(const kq_type *args, int argc, kq_bind_result *result)
{
    if (argc == 2 && !kq_type_is_integer(args[1]) && args[1] != KQ_DYNAMIC) {
        snprintf(result->error, sizeof result->error, "the mod argument of hash must be an integer");
        result->error_arg = 1;
        return;
    }
    result->type = KQ_LONG;
}

static void put_le64(unsigned char out[8], uint64_t value)
{
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)(value >> (8 * i));
}

/*
 * xxHash64 (seed 0) of the value's bytes: UTF-8 for a string, the 8-byte
 * little-endian tick count for a datetime or timespan. Both match the Kusto
 * documentation's examples. NOTE: the byte forms of the other types are an
 * assumption: 8-byte little-endian long and IEEE double, 4-byte int, one byte
 * for bool, the 16 .NET-order bytes of a guid, the JSON text of a dynamic.
 */
static uint64_t hash_value_bytes(kq_eval_ctx *ctx, const kq_value *v)
{
    unsigned char bytes[16];
    switch (v->type) {
    case KQ_INT:
        for (int i = 0; i < 4; i++)
            bytes[i] = (unsigned char)((uint64_t)v->u.l >> (8 * i));
        return XXH64(bytes, 4, 0);
    case KQ_LONG:
    case KQ_DATETIME:
    case KQ_TIMESPAN:
        put_le64(bytes, (uint64_t)v->u.l);
        return XXH64(bytes, 8, 0);
    case KQ_REAL:
    case KQ_DECIMAL: {
        uint64_t bits;
        memcpy(&bits, &v->u.r, sizeof bits);
        put_le64(bytes, bits);
        return XXH64(bytes, 8, 0);
    }
    case KQ_BOOL:
        bytes[0] = v->u.b ? 1 : 0;
        return XXH64(bytes, 1, 0);
    case KQ_GUID:
        if (parse_guid_text(v->u.s, bytes)) {
            guid_swap_order(bytes);
            return XXH64(bytes, 16, 0);
        }
        return XXH64(v->u.s.ptr, v->u.s.len, 0);
    default: {
        kq_str s = text_of(ctx, v);
        return XXH64(s.ptr, s.len, 0);
    }
    }
}

kq_value kq_text_eval_hash(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    const kq_value *v = &args[0];
    if (v->null || (v->type == KQ_DYNAMIC && (!v->u.d || v->u.d->kind == KQ_DYN_NULL)))
        return kq_null(KQ_LONG);
    uint64_t hash = hash_value_bytes(ctx, v);
    if (argc == 2) {
        kq_value mod = args[1];
        if (mod.type == KQ_DYNAMIC)
            mod = kq_dyn_to_value(mod.u.d, KQ_LONG, ctx->arena);
        if (mod.null || mod.u.l <= 0)
            return kq_null(KQ_LONG);
        return kq_long((int64_t)(hash % (uint64_t)mod.u.l));
    }
    return kq_long((int64_t)hash);
}
