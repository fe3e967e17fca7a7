/* UTF-8 helpers. */
#ifndef KQ_BASE_UTF8_H
#define KQ_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes one well-formed UTF-8 sequence; returns its length, or 0 when the
 * bytes at text are not a valid sequence (overlong, surrogate, truncated). */
size_t kq_utf8_decode(const char *text, size_t len, uint32_t *codepoint);
/* Writes codepoint as UTF-8 into out (at least 4 bytes); returns the length. */
size_t kq_utf8_encode(uint32_t codepoint, char *out);
/* Number of code points, counting each invalid byte as one. */
size_t kq_utf8_length(const char *text, size_t len);

#endif
