/*
 * Kusto term matching, the semantics of the has family.
 *
 * A term is a maximal run of ASCII letters and digits; every other byte is a
 * separator. `H has N` is true when N occurs in H at position i with
 *   left:  i == 0, or H[i-1] is a separator, or N starts with a separator;
 *   right: i+len(N) == len(H), or H[i+len(N)] is a separator, or N ends with one.
 * So a single-term needle must equal a whole term, and a needle with
 * separators ('Ammyy Admin', 'ammyy.com') matches as a phrase bounded by term
 * edges. hasprefix drops the right check and hassuffix the left one.
 * Case-insensitive forms fold ASCII letters only.
 */
#ifndef KQ_FUNCTIONS_TERMS_H
#define KQ_FUNCTIONS_TERMS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum kq_term_mode {
    KQ_TERM_WHOLE,   /* has */
    KQ_TERM_PREFIX,  /* hasprefix */
    KQ_TERM_SUFFIX,  /* hassuffix */
} kq_term_mode;

bool kq_has(const char *haystack, size_t hlen, const char *needle, size_t nlen,
            kq_term_mode mode, bool case_sensitive);

/* Substring search; returns the byte offset or -1. */
long kq_find(const char *haystack, size_t hlen, const char *needle, size_t nlen,
             bool case_sensitive);

bool kq_starts_with(const char *s, size_t slen, const char *prefix, size_t plen, bool case_sensitive);
bool kq_ends_with(const char *s, size_t slen, const char *suffix, size_t xlen, bool case_sensitive);

/* True when every byte of the needle is a letter or digit (a single term). */
bool kq_is_single_term(const char *needle, size_t nlen);

#endif
