/*
 * Punycode functions (RFC 3492, the encoding of internationalized domain names):
 * punycode_from_string encodes a label, punycode_to_string decodes one, and the
 * domain forms work label by label with the "xn--" prefix, splitting at '.' and at
 * the ideographic and fullwidth full stops (U+3002, U+FF0E, U+FF61).
 *
 * The names follow the Kusto docs, where punycode_domain_to_string encodes and
 * punycode_domain_from_string decodes. Letters keep their case, as in the docs'
 * examples. Invalid input (bad UTF-8, a bad digit, an overflow) gives an empty string.
 */
#include "functions/registry.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 3492 section 5 parameters. */
enum { BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700, INITIAL_BIAS = 72, INITIAL_N = 128 };

/* Maximum label length in code points that is encoded or decoded (DNS labels have at most 63 bytes). */
#define MAX_LABEL_POINTS 4096

static uint32_t adapt(uint32_t delta, uint32_t points, bool first)
{
    delta = first ? delta / DAMP : delta / 2;
    delta += delta / points;
    uint32_t k = 0;
    while (delta > ((BASE - TMIN) * TMAX) / 2) {
        delta /= BASE - TMIN;
        k += BASE;
    }
    return k + (BASE - TMIN + 1) * delta / (delta + SKEW);
}

static char encode_digit(uint32_t d) { return (char)(d < 26 ? 'a' + d : '0' + (d - 26)); }

static int decode_digit(char c)
{
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= '0' && c <= '9')
        return c - '0' + 26;
    return -1;
}

static uint32_t threshold(uint32_t k, uint32_t bias)
{
    if (k <= bias)
        return TMIN;
    if (k >= bias + TMAX)
        return TMAX;
    return k - bias;
}

/* Reads UTF-8 text into code points; false for invalid UTF-8 or a label that is too long. */
static bool decode_utf8(kq_str text, uint32_t *points, uint32_t *count)
{
    *count = 0;
    for (size_t i = 0; i < text.len;) {
        if (*count == MAX_LABEL_POINTS)
            return false;
        size_t n = kq_utf8_decode(text.ptr + i, text.len - i, &points[*count]);
        if (n == 0)
            return false;
        i += n;
        (*count)++;
    }
    return true;
}

/* Appends the Punycode form of points[0..count) to out; false on overflow. */
static bool punycode_encode(const uint32_t *points, uint32_t count, kq_buf *out)
{
    uint32_t basic = 0;
    for (uint32_t i = 0; i < count; i++)
        if (points[i] < 0x80) {
            kq_buf_putc(out, (char)points[i]);
            basic++;
        }
    if (basic > 0)
        kq_buf_putc(out, '-');
    uint32_t n = INITIAL_N, delta = 0, bias = INITIAL_BIAS, handled = basic;
    while (handled < count) {
        uint32_t m = UINT32_MAX;
        for (uint32_t i = 0; i < count; i++)
            if (points[i] >= n && points[i] < m)
                m = points[i];
        if ((uint64_t)(m - n) * (handled + 1) > UINT32_MAX - delta)
            return false;
        delta += (m - n) * (handled + 1);
        n = m;
        for (uint32_t i = 0; i < count; i++) {
            if (points[i] < n && ++delta == 0)
                return false;
            if (points[i] != n)
                continue;
            uint32_t q = delta;
            for (uint32_t k = BASE;; k += BASE) {
                uint32_t t = threshold(k, bias);
                if (q < t)
                    break;
                kq_buf_putc(out, encode_digit(t + (q - t) % (BASE - t)));
                q = (q - t) / (BASE - t);
            }
            kq_buf_putc(out, encode_digit(q));
            bias = adapt(delta, handled + 1, handled == basic);
            delta = 0;
            handled++;
        }
        delta++;
        n++;
    }
    return true;
}

/* Decodes a Punycode label into points; false for invalid input. */
static bool punycode_decode(kq_str text, uint32_t *points, uint32_t *count)
{
    size_t basic_end = 0;
    for (size_t i = 0; i < text.len; i++)
        if (text.ptr[i] == '-')
            basic_end = i;
    *count = 0;
    for (size_t i = 0; i < basic_end; i++) {
        if ((unsigned char)text.ptr[i] >= 0x80 || *count == MAX_LABEL_POINTS)
            return false;
        points[(*count)++] = (unsigned char)text.ptr[i];
    }
    uint32_t n = INITIAL_N, i = 0, bias = INITIAL_BIAS;
    for (size_t in = basic_end > 0 ? basic_end + 1 : 0; in < text.len;) {
        uint32_t old_i = i, w = 1;
        for (uint32_t k = BASE;; k += BASE) {
            int digit = in < text.len ? decode_digit(text.ptr[in++]) : -1;
            if (digit < 0 || (uint64_t)digit * w > UINT32_MAX - i)
                return false;
            i += (uint32_t)digit * w;
            uint32_t t = threshold(k, bias);
            if ((uint32_t)digit < t)
                break;
            if ((uint64_t)w * (BASE - t) > UINT32_MAX)
                return false;
            w *= BASE - t;
        }
        if (*count == MAX_LABEL_POINTS)
            return false;
        bias = adapt(i - old_i, *count + 1, old_i == 0);
        n += i / (*count + 1);
        i %= *count + 1;
        if (n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF))
            return false;
        memmove(points + i + 1, points + i, (*count - i) * sizeof *points);
        points[i++] = n;
        (*count)++;
    }
    return true;
}

static void append_points(kq_buf *out, const uint32_t *points, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        char bytes[4];
        kq_buf_append(out, bytes, kq_utf8_encode(points[i], bytes));
    }
}

static kq_value finish(kq_eval_ctx *ctx, kq_buf *out, bool ok)
{
    kq_value v = ok ? kq_string(kq_arena_strndup(ctx->arena, out->data ? out->data : "", out->len), out->len)
                    : kq_string("", 0);
    kq_buf_free(out);
    return v;
}

static kq_value eval_punycode_from_string(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint32_t *points = kq_arena_alloc(ctx->arena, MAX_LABEL_POINTS * sizeof *points);
    uint32_t count;
    kq_buf out;
    kq_buf_init(&out);
    bool ok = decode_utf8(args[0].u.s, points, &count) && punycode_encode(points, count, &out);
    return finish(ctx, &out, ok);
}

static kq_value eval_punycode_to_string(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    uint32_t *points = kq_arena_alloc(ctx->arena, MAX_LABEL_POINTS * sizeof *points);
    uint32_t count;
    kq_buf out;
    kq_buf_init(&out);
    bool ok = punycode_decode(args[0].u.s, points, &count);
    if (ok)
        append_points(&out, points, count);
    return finish(ctx, &out, ok);
}

/* Length in bytes of a label separator at text[i] ('.', U+3002, U+FF0E, U+FF61), or 0. */
static size_t separator_at(kq_str text, size_t i)
{
    static const char *const separators[] = {".", "\xe3\x80\x82", "\xef\xbc\x8e", "\xef\xbd\xa1"};
    for (size_t s = 0; s < KQ_ARRAY_LEN(separators); s++) {
        size_t len = strlen(separators[s]);
        if (i + len <= text.len && memcmp(text.ptr + i, separators[s], len) == 0)
            return len;
    }
    return 0;
}

/* Encodes (or decodes) each label of a domain; ASCII labels (or labels without xn--) stay as they are. */
static kq_value convert_domain(kq_eval_ctx *ctx, kq_str domain, bool encode)
{
    uint32_t *points = kq_arena_alloc(ctx->arena, MAX_LABEL_POINTS * sizeof *points);
    kq_buf out;
    kq_buf_init(&out);
    bool ok = true;
    size_t start = 0;
    for (size_t i = 0; ok && i <= domain.len;) {
        size_t sep = i < domain.len ? separator_at(domain, i) : 0;
        if (i < domain.len && sep == 0) {
            i++;
            continue;
        }
        kq_str label = {domain.ptr + start, (uint32_t)(i - start)};
        bool ascii = true;
        for (uint32_t k = 0; k < label.len; k++)
            ascii = ascii && (unsigned char)label.ptr[k] < 0x80;
        uint32_t count;
        if (encode && !ascii) {
            kq_buf_puts(&out, "xn--");
            ok = decode_utf8(label, points, &count) && punycode_encode(points, count, &out);
        } else if (!encode && label.len > 4 && strncasecmp(label.ptr, "xn--", 4) == 0) {
            kq_str body = {label.ptr + 4, label.len - 4};
            ok = punycode_decode(body, points, &count);
            if (ok)
                append_points(&out, points, count);
        } else {
            kq_buf_append(&out, label.ptr, label.len);
        }
        if (i < domain.len)
            kq_buf_putc(&out, '.');
        i += sep ? sep : 1;
        start = i;
    }
    return finish(ctx, &out, ok);
}

static kq_value eval_domain_to_string(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return convert_domain(ctx, args[0].u.s, true);
}

static kq_value eval_domain_from_string(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return convert_domain(ctx, args[0].u.s, false);
}

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_punycode_functions[] = {
    FN("punycode_from_string", 1, 1, kq_bind_string_to_string, eval_punycode_from_string, "punycode_from_string(string) -> string",
       "The Punycode encoding of a label (without xn--); empty for invalid input."),
    FN("punycode_to_string", 1, 1, kq_bind_string_to_string, eval_punycode_to_string, "punycode_to_string(string) -> string",
       "Decodes a Punycode label (without xn--); empty for invalid input."),
    FN("punycode_domain_to_string", 1, 1, kq_bind_string_to_string, eval_domain_to_string,
       "punycode_domain_to_string(domain) -> string", "Encodes each non-ASCII label of a domain as xn--Punycode."),
    FN("punycode_domain_from_string", 1, 1, kq_bind_string_to_string, eval_domain_from_string,
       "punycode_domain_from_string(domain) -> string", "Decodes each xn-- label of a domain."),
};
const size_t kq_punycode_function_count = KQ_ARRAY_LEN(kq_punycode_functions);
