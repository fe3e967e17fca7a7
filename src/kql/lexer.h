/* KQL lexer: turns query text into tokens with byte spans. */
#ifndef KQ_KQL_LEXER_H
#define KQ_KQL_LEXER_H

#include "base/arena.h"
#include "base/diag.h"
#include "types/types.h"

typedef enum kq_token_kind {
    KQ_TOK_EOF,
    KQ_TOK_IDENT,     /* name or keyword; also bracketed ['name'] (text is the name) */
    KQ_TOK_OPWORD,    /* a word operator with ! or ~ attached: !has, in~, !in~, !contains, !between */
    KQ_TOK_STRING,    /* text holds the decoded value */
    KQ_TOK_LONG,
    KQ_TOK_REAL,
    KQ_TOK_TIMESPAN,  /* number with a unit suffix: 5d, 1.5h, 100ms */
    KQ_TOK_PUNCT,     /* | ( ) [ ] { } , ; : . .. = == != <> < <= > >= =~ !~ + - * / % ! */
    KQ_TOK_RAW,       /* the raw text inside datetime(...), timespan(...), guid(...), long(...) ... */
    KQ_TOK_ERROR,
} kq_token_kind;

typedef struct kq_token {
    kq_token_kind kind;
    uint32_t start, end;  /* byte span in the source */
    kq_str text;          /* identifier, operator text, or decoded string value */
    bool bracketed;       /* identifier written as ['name'] */
    bool space_before;    /* white space or a comment precedes the token */
    union {
        int64_t l;        /* long, or timespan ticks */
        double r;
    } num;
} kq_token;

typedef struct kq_token_list {
    kq_token *items;
    size_t count;
} kq_token_list;

/* Tokenizes source->text. Returns false after reporting lexical errors to diags. */
bool kq_lex(const kq_source *source, kq_arena *arena, kq_token_list *out, kq_diags *diags);

bool kq_token_is(const kq_token *token, const char *text);

#endif
