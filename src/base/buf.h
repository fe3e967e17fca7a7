/* Growable byte buffer, always NUL-terminated. Owned by its user; free with kq_buf_free. */
#ifndef KQ_BASE_BUF_H
#define KQ_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct kq_buf {
    char *data;
    size_t len;
    size_t cap;
} kq_buf;

void kq_buf_init(kq_buf *buf);
void kq_buf_free(kq_buf *buf);
void kq_buf_clear(kq_buf *buf);
void kq_buf_append(kq_buf *buf, const char *data, size_t len);
void kq_buf_puts(kq_buf *buf, const char *text);
void kq_buf_putc(kq_buf *buf, char c);
void kq_buf_printf(kq_buf *buf, const char *format, ...) __attribute__((format(printf, 2, 3)));
void kq_buf_vprintf(kq_buf *buf, const char *format, va_list args) __attribute__((format(printf, 2, 0)));
/* Appends text as a JSON string literal, quotes included. Invalid UTF-8 becomes U+FFFD. */
void kq_buf_json_string(kq_buf *buf, const char *text, size_t len);
/* Hands the data to the caller and resets the buffer. */
char *kq_buf_detach(kq_buf *buf);

#endif
