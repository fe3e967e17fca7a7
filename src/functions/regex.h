/* Compiled regular expressions, cached by pattern text (PCRE2). */
#ifndef KQ_FUNCTIONS_REGEX_H
#define KQ_FUNCTIONS_REGEX_H

#include <pcre2.h>
#include <stddef.h>

/*
 * Returns the compiled pattern, compiling it on first use. On an invalid
 * pattern, or one using a construct RE2 (Kusto's engine) rejects, returns NULL
 * and writes the reason to error (size bytes).
 * The cache is shared by the whole process and guarded by a mutex.
 */
const pcre2_code *kq_regex_get(const char *pattern, size_t len, char *error, size_t size);

/* Compiles a pattern the caller owns (free with pcre2_code_free), for an operator that
 * keeps it for its whole run; same checks and errors as kq_regex_get. */
pcre2_code *kq_regex_compile(const char *pattern, size_t len, char *error, size_t size);

#endif
