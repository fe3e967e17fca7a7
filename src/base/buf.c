#include "base/buf.h"
#include "base/utf8.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kq_buf_init(kq_buf *buf)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void kq_buf_free(kq_buf *buf)
{
    free(buf->data);
    kq_buf_init(buf);
}

void kq_buf_clear(kq_buf *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

static void reserve(kq_buf *buf, size_t extra)
{
    size_t need = buf->len + extra + 1;
    if (need < buf->len)
        kq_die("buffer size overflow");
    kq_grow((void **)&buf->data, &buf->cap, need, 1);
}

void kq_buf_append(kq_buf *buf, const char *data, size_t len)
{
    reserve(buf, len);
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
}

void kq_buf_puts(kq_buf *buf, const char *text)
{
    kq_buf_append(buf, text, strlen(text));
}

void kq_buf_putc(kq_buf *buf, char c)
{
    reserve(buf, 1);
    buf->data[buf->len++] = c;
    buf->data[buf->len] = '\0';
}

void kq_buf_vprintf(kq_buf *buf, const char *format, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    int len = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (len < 0)
        return;
    reserve(buf, (size_t)len);
    vsnprintf(buf->data + buf->len, (size_t)len + 1, format, args);
    buf->len += (size_t)len;
}

void kq_buf_printf(kq_buf *buf, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    kq_buf_vprintf(buf, format, args);
    va_end(args);
}

void kq_buf_json_string(kq_buf *buf, const char *text, size_t len)
{
    kq_buf_putc(buf, '"');
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t n = kq_utf8_decode(text + i, len - i, &cp);
            if (n == 0) {
                kq_buf_puts(buf, "\xEF\xBF\xBD");
                i++;
            } else {
                kq_buf_append(buf, text + i, n);
                i += n;
            }
            continue;
        }
        switch (c) {
        case '"': kq_buf_puts(buf, "\\\""); break;
        case '\\': kq_buf_puts(buf, "\\\\"); break;
        case '\n': kq_buf_puts(buf, "\\n"); break;
        case '\r': kq_buf_puts(buf, "\\r"); break;
        case '\t': kq_buf_puts(buf, "\\t"); break;
        case '\b': kq_buf_puts(buf, "\\b"); break;
        case '\f': kq_buf_puts(buf, "\\f"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                kq_buf_printf(buf, "\\u%04x", c);
            else
                kq_buf_putc(buf, (char)c);
        }
        i++;
    }
    kq_buf_putc(buf, '"');
}

char *kq_buf_detach(kq_buf *buf)
{
    char *data = buf->data ? buf->data : kq_xstrdup("");
    kq_buf_init(buf);
    return data;
}
