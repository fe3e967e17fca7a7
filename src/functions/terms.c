#include "functions/terms.h"
#include "base/util.h"

#include <string.h>

static bool bytes_equal(const char *a, const char *b, size_t n, bool case_sensitive)
{
    if (case_sensitive)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (kq_ascii_lower((unsigned char)a[i]) != kq_ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}

long kq_find(const char *haystack, size_t hlen, const char *needle, size_t nlen,
             bool case_sensitive)
{
    if (nlen == 0)
        return 0;
    if (nlen > hlen)
        return -1;
    if (case_sensitive) {
        const char *hit = memmem(haystack, hlen, needle, nlen);
        return hit ? (long)(hit - haystack) : -1;
    }
    unsigned char first_lower = kq_ascii_lower((unsigned char)needle[0]);
    unsigned char first_upper = (first_lower >= 'a' && first_lower <= 'z') ? (unsigned char)(first_lower - 32) : first_lower;
    size_t last = hlen - nlen;
    for (size_t i = 0; i <= last; i++) {
        unsigned char c = (unsigned char)haystack[i];
        if ((c == first_lower || c == first_upper) &&
            bytes_equal(haystack + i + 1, needle + 1, nlen - 1, false))
            return (long)i;
    }
    return -1;
}

bool kq_is_single_term(const char *needle, size_t nlen)
{
    for (size_t i = 0; i < nlen; i++)
        if (!kq_is_alnum((unsigned char)needle[i]))
            return false;
    return true;
}

bool kq_has(const char *haystack, size_t hlen, const char *needle, size_t nlen,
            kq_term_mode mode, bool case_sensitive)
{
    /* NOTE: Kusto's documentation does not define an empty needle; kqlite treats it as
     * present in every string, as contains does. */
    if (nlen == 0)
        return true;
    bool needle_starts_term = kq_is_alnum((unsigned char)needle[0]);
    bool needle_ends_term = kq_is_alnum((unsigned char)needle[nlen - 1]);
    size_t offset = 0;
    while (offset + nlen <= hlen) {
        long hit = kq_find(haystack + offset, hlen - offset, needle, nlen, case_sensitive);
        if (hit < 0)
            return false;
        size_t i = offset + (size_t)hit;
        size_t end = i + nlen;
        bool left_ok = mode == KQ_TERM_SUFFIX || i == 0 || !needle_starts_term ||
                       !kq_is_alnum((unsigned char)haystack[i - 1]);
        bool right_ok = mode == KQ_TERM_PREFIX || end == hlen || !needle_ends_term ||
                        !kq_is_alnum((unsigned char)haystack[end]);
        if (left_ok && right_ok)
            return true;
        offset = i + 1;
    }
    return false;
}

bool kq_starts_with(const char *s, size_t slen, const char *prefix, size_t plen, bool case_sensitive)
{
    return plen <= slen && bytes_equal(s, prefix, plen, case_sensitive);
}

bool kq_ends_with(const char *s, size_t slen, const char *suffix, size_t xlen, bool case_sensitive)
{
    return xlen <= slen && bytes_equal(s + slen - xlen, suffix, xlen, case_sensitive);
}
