/*
 * KQL lexer.
 *
 * Identifiers may contain letters, digits and '_' (and start with '$' for
 * $left/$right). Word operators that carry '!' or '~' (!has, in~, !in~) are
 * one token. Numbers followed directly by a unit suffix are timespan
 * literals, as in Kusto: 5d, 1.5h, 100ms, 10microseconds, 1tick.
 */
#include "kql/lexer.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct lexer {
    const kq_source *source;
    const char *text;
    size_t len;
    size_t pos;
    kq_arena *arena;
    kq_diags *diags;
    kq_token *tokens;
    size_t count, cap;
    bool ok;
} lexer;

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

static bool is_ident_char(unsigned char c)
{
    return kq_is_alnum(c) || c == '_';
}

static kq_token *push(lexer *lx, kq_token_kind kind, size_t start, size_t end, bool space)
{
    kq_grow((void **)&lx->tokens, &lx->cap, lx->count + 1, sizeof(kq_token));
    kq_token *token = &lx->tokens[lx->count++];
    memset(token, 0, sizeof *token);
    token->kind = kind;
    token->start = (uint32_t)start;
    token->end = (uint32_t)end;
    token->space_before = space;
    token->text.ptr = lx->text + start;
    token->text.len = (uint32_t)(end - start);
    return token;
}

static void error_at(lexer *lx, size_t start, size_t end, const char *message)
{
    kq_diags_add(lx->diags, lx->source, KQ_SEVERITY_ERROR, start, end, "%s", message);
    lx->ok = false;
}

/* Length of the Unicode space character at pos (U+00A0, U+2000..U+200B, U+202F, U+205F,
 * U+3000, U+FEFF), or 0. */
static size_t unicode_space_length(const lexer *lx)
{
    uint32_t cp;
    size_t n = kq_utf8_decode(lx->text + lx->pos, lx->len - lx->pos, &cp);
    if (n == 0)
        return 0;
    bool space = cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F || cp == 0x205F ||
                 cp == 0x3000 || cp == 0xFEFF;
    return space ? n : 0;
}

/* Skips white space and // comments; returns true when anything was skipped. */
static bool skip_space(lexer *lx)
{
    size_t before = lx->pos;
    while (lx->pos < lx->len) {
        char c = lx->text[lx->pos];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
            lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && lx->text[lx->pos + 1] == '/') {
            while (lx->pos < lx->len && lx->text[lx->pos] != '\n')
                lx->pos++;
        } else if ((unsigned char)c >= 0xC2 && unicode_space_length(lx) > 0) {
            /* No-break spaces, zero-width spaces and byte order marks pasted from web pages
             * separate tokens like spaces, as in Kusto. */
            lx->pos += unicode_space_length(lx);
        } else {
            break;
        }
    }
    return lx->pos != before;
}

/* Reads a quoted string starting at the quote; `verbatim` disables backslash escapes. */
static void lex_string(lexer *lx, size_t start, bool verbatim, bool space)
{
    char quote = lx->text[lx->pos++];
    kq_buf value;
    kq_buf_init(&value);
    for (;;) {
        if (lx->pos >= lx->len || lx->text[lx->pos] == '\n') {
            error_at(lx, start, lx->pos, "unterminated string literal");
            kq_buf_free(&value);
            return;
        }
        char c = lx->text[lx->pos++];
        if (c == quote) {
            if (verbatim && lx->pos < lx->len && lx->text[lx->pos] == quote) {
                kq_buf_putc(&value, quote);
                lx->pos++;
                continue;
            }
            break;
        }
        if (c != '\\' || verbatim) {
            kq_buf_putc(&value, c);
            continue;
        }
        if (lx->pos >= lx->len)
            continue;
        char e = lx->text[lx->pos++];
        switch (e) {
        case 'n': kq_buf_putc(&value, '\n'); break;
        case 't': kq_buf_putc(&value, '\t'); break;
        case 'r': kq_buf_putc(&value, '\r'); break;
        case '0': kq_buf_putc(&value, '\0'); break;
        case '\\': case '\'': case '"': kq_buf_putc(&value, e); break;
        case 'u':
        case 'x': {
            int digits = e == 'u' ? 4 : 2;
            uint32_t cp = 0;
            int i;
            for (i = 0; i < digits && lx->pos < lx->len; i++) {
                char h = lx->text[lx->pos];
                int d = (h >= '0' && h <= '9') ? h - '0'
                        : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                        : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
                if (d < 0)
                    break;
                cp = cp * 16 + (uint32_t)d;
                lx->pos++;
            }
            if (i != digits) {
                error_at(lx, lx->pos - (size_t)i - 2, lx->pos, "invalid escape sequence in string literal");
                break;
            }
            char utf8[4];
            kq_buf_append(&value, utf8, kq_utf8_encode(cp, utf8));
            break;
        }
        default:
            error_at(lx, lx->pos - 2, lx->pos, "invalid escape sequence in string literal");
        }
    }
    kq_token *token = push(lx, KQ_TOK_STRING, start, lx->pos, space);
    token->text.ptr = kq_arena_strndup(lx->arena, value.data ? value.data : "", value.len);
    token->text.len = (uint32_t)value.len;
    kq_buf_free(&value);
}

/* Reads a ```multi-line``` string literal. */
static void lex_triple_backtick(lexer *lx, size_t start, bool space)
{
    lx->pos += 3;
    const char *end = NULL;
    for (size_t i = lx->pos; i + 2 < lx->len + 0 && i + 3 <= lx->len; i++)
        if (memcmp(lx->text + i, "```", 3) == 0) {
            end = lx->text + i;
            break;
        }
    if (!end) {
        error_at(lx, start, lx->len, "unterminated ``` string literal");
        lx->pos = lx->len;
        return;
    }
    size_t value_start = lx->pos;
    size_t value_len = (size_t)(end - (lx->text + value_start));
    lx->pos = value_start + value_len + 3;
    kq_token *token = push(lx, KQ_TOK_STRING, start, lx->pos, space);
    token->text.ptr = kq_arena_strndup(lx->arena, lx->text + value_start, value_len);
    token->text.len = (uint32_t)value_len;
}

static void lex_number(lexer *lx, size_t start, bool space)
{
    const char *text = lx->text;
    size_t p = lx->pos;
    if (text[p] == '0' && p + 1 < lx->len && (text[p + 1] == 'x' || text[p + 1] == 'X')) {
        p += 2;
        size_t digits_start = p;
        while (p < lx->len && ((text[p] >= '0' && text[p] <= '9') ||
                               (text[p] >= 'a' && text[p] <= 'f') || (text[p] >= 'A' && text[p] <= 'F')))
            p++;
        char *digits = kq_arena_strndup(lx->arena, text + digits_start, p - digits_start);
        errno = 0;
        unsigned long long value = strtoull(digits, NULL, 16);
        if (p == digits_start || errno) {
            lx->pos = p;
            error_at(lx, start, p, "invalid hexadecimal literal");
            return;
        }
        lx->pos = p;
        push(lx, KQ_TOK_LONG, start, p, space)->num.l = (int64_t)value;
        return;
    }
    bool is_real = false;
    while (p < lx->len && text[p] >= '0' && text[p] <= '9')
        p++;
    /* A '.' followed by a digit is a fraction; ".." is the range operator. */
    if (p + 1 < lx->len && text[p] == '.' && text[p + 1] >= '0' && text[p + 1] <= '9') {
        is_real = true;
        p++;
        while (p < lx->len && text[p] >= '0' && text[p] <= '9')
            p++;
    } else if (p < lx->len && text[p] == '.' && !(p + 1 < lx->len && text[p + 1] == '.') &&
               !(p + 1 < lx->len && is_ident_start((unsigned char)text[p + 1]))) {
        is_real = true; /* "1." */
        p++;
    }
    if (p < lx->len && (text[p] == 'e' || text[p] == 'E')) {
        size_t q = p + 1;
        if (q < lx->len && (text[q] == '+' || text[q] == '-'))
            q++;
        if (q < lx->len && text[q] >= '0' && text[q] <= '9') {
            is_real = true;
            p = q;
            while (p < lx->len && text[p] >= '0' && text[p] <= '9')
                p++;
        }
    }
    char *number = kq_arena_strndup(lx->arena, text + start, p - start);
    /* A unit suffix glued to the number makes a timespan literal. */
    size_t suffix_start = p;
    while (p < lx->len && (is_ident_char((unsigned char)text[p])))
        p++;
    if (p > suffix_start) {
        int64_t unit = kq_timespan_suffix_ticks(text + suffix_start, p - suffix_start);
        lx->pos = p;
        if (unit == 0 && !is_real) {
            /* Digits and letters that are no timespan form a name, as in Kusto: `print 1a=2`
             * has a column 1a, and bin(5Minutebin=Timestamp, 5m) names its column 5Minutebin. */
            push(lx, KQ_TOK_IDENT, start, p, space);
            return;
        }
        if (unit == 0) {
            error_at(lx, suffix_start, p, "unknown timespan unit (use d, h, m, s, ms, microsecond, tick, ...)");
            return;
        }
        double amount = strtod(number, NULL);
        double ticks = unit < 0 ? amount / 100.0 : amount * (double)unit;
        if (!isfinite(ticks) || fabs(ticks) > 9.2e18) {
            error_at(lx, start, p, "timespan literal out of range");
            return;
        }
        push(lx, KQ_TOK_TIMESPAN, start, p, space)->num.l = (int64_t)llround(ticks);
        return;
    }
    lx->pos = p;
    if (is_real) {
        push(lx, KQ_TOK_REAL, start, p, space)->num.r = strtod(number, NULL);
        return;
    }
    errno = 0;
    unsigned long long value = strtoull(number, NULL, 10);
    if (errno || value > (unsigned long long)INT64_MAX) {
        /* Kusto reads an integer too large for long as a real. */
        push(lx, KQ_TOK_REAL, start, p, space)->num.r = strtod(number, NULL);
        return;
    }
    push(lx, KQ_TOK_LONG, start, p, space)->num.l = (int64_t)value;
}

/* True when the text at pos is ['name'] or ["name"] rather than a list starting with a string. */
static bool bracketed_name_ahead(const lexer *lx)
{
    char quote = lx->text[lx->pos + 1];
    for (size_t p = lx->pos + 2; p < lx->len && lx->text[p] != '\n'; p++) {
        if (lx->text[p] == '\\') {
            p++;
            continue;
        }
        if (lx->text[p] == quote)
            return p + 1 < lx->len && lx->text[p + 1] == ']';
    }
    return false;
}

/* Reads ['name'] or ["name"]. */
static void lex_bracketed_name(lexer *lx, size_t start, bool space)
{
    lx->pos++; /* [ */
    size_t token_index = lx->count;
    lex_string(lx, lx->pos, false, space);
    if (lx->count == token_index)
        return;
    if (lx->pos >= lx->len || lx->text[lx->pos] != ']') {
        error_at(lx, start, lx->pos, "expected ']' after a bracketed name");
        return;
    }
    lx->pos++;
    kq_token *token = &lx->tokens[token_index];
    token->kind = KQ_TOK_IDENT;
    token->bracketed = true;
    token->start = (uint32_t)start;
    token->end = (uint32_t)lx->pos;
}

static const char *const punctuation[] = {
    "..", "==", "!=", "<>", "<=", ">=", "=~", "!~", "=>", "|", "(", ")", "[", "]", "{", "}",
    ",",  ";",  ":",  ".",  "=",  "<",  ">",  "+",  "-", "*", "/", "%", "!", "?", "@",
};

/* Type names whose parenthesized argument is a literal written in its own syntax. */
static bool is_literal_type(const char *word, size_t len)
{
    static const char *const names[] = {"datetime", "date", "timespan", "time", "guid", "long",
                                        "int", "int64", "int32", "real", "double", "bool",
                                        "boolean", "decimal"};
    for (size_t i = 0; i < KQ_ARRAY_LEN(names); i++)
        if (strlen(names[i]) == len && memcmp(names[i], word, len) == 0)
            return true;
    return false;
}

/*
 * After a literal type name, reads "(raw text)" as '(' RAW ')' so that text
 * such as 2024-10-09T14:39:25Z or 0.12:34:56 is not split into tokens.
 */
static void lex_raw_literal(lexer *lx)
{
    size_t p = lx->pos;
    while (p < lx->len && (lx->text[p] == ' ' || lx->text[p] == '\t'))
        p++;
    if (p >= lx->len || lx->text[p] != '(')
        return;
    size_t close = p + 1;
    while (close < lx->len && lx->text[close] != ')' && lx->text[close] != '\n')
        close++;
    if (close >= lx->len || lx->text[close] != ')')
        return; /* the parser reports the missing ')' */
    push(lx, KQ_TOK_PUNCT, p, p + 1, p != lx->pos);
    push(lx, KQ_TOK_RAW, p + 1, close, false);
    push(lx, KQ_TOK_PUNCT, close, close + 1, false);
    lx->pos = close + 1;
}

static void lex_word(lexer *lx, size_t start, bool space)
{
    size_t p = lx->pos;
    bool negated = lx->text[p] == '!';
    if (negated || lx->text[p] == '$')
        p++;
    while (p < lx->len && is_ident_char((unsigned char)lx->text[p]))
        p++;
    bool tilde = p < lx->len && lx->text[p] == '~';
    size_t word_len = p - start - (negated ? 1 : 0);
    const char *word = lx->text + start + (negated ? 1 : 0);
    /* in~ and !in~ are single operators; no other word takes a glued '~'. */
    if (tilde && word_len == 2 && memcmp(word, "in", 2) == 0)
        p++;
    lx->pos = p;
    push(lx, negated || (p > start && lx->text[p - 1] == '~') ? KQ_TOK_OPWORD : KQ_TOK_IDENT,
         start, p, space);
    if (!negated && !tilde && is_literal_type(word, word_len))
        lex_raw_literal(lx);
}

bool kq_lex(const kq_source *source, kq_arena *arena, kq_token_list *out, kq_diags *diags)
{
    lexer lx = {.source = source, .text = source->text, .len = source->len, .arena = arena,
                .diags = diags, .ok = true};
    for (;;) {
        bool space = skip_space(&lx);
        if (lx.pos >= lx.len)
            break;
        size_t start = lx.pos;
        unsigned char c = (unsigned char)lx.text[lx.pos];
        unsigned char next = lx.pos + 1 < lx.len ? (unsigned char)lx.text[lx.pos + 1] : 0;
        if (c == '\'' || c == '"') {
            lex_string(&lx, start, false, space);
        } else if ((c == '@' || c == 'h' || c == 'H') && (next == '\'' || next == '"')) {
            lx.pos++; /* @'verbatim' and h'obfuscated' (h only hides the value from logs) */
            lex_string(&lx, start, c == '@', space);
        } else if ((c == 'h' || c == 'H') && next == '@' && lx.pos + 2 < lx.len &&
                   (lx.text[lx.pos + 2] == '\'' || lx.text[lx.pos + 2] == '"')) {
            lx.pos += 2;
            lex_string(&lx, start, true, space);
        } else if (c == '`' && lx.pos + 2 < lx.len && memcmp(lx.text + lx.pos, "```", 3) == 0) {
            lex_triple_backtick(&lx, start, space);
        } else if (c >= '0' && c <= '9') {
            lex_number(&lx, start, space);
        } else if (c == '.' && next >= '0' && next <= '9') {
            lex_number(&lx, start, space);
        } else if (is_ident_start(c) || (c == '!' && is_ident_start(next) && next != '$')) {
            lex_word(&lx, start, space);
        } else if (c == '[' && (next == '\'' || next == '"') && bracketed_name_ahead(&lx)) {
            lex_bracketed_name(&lx, start, space);
        } else {
            size_t i;
            for (i = 0; i < KQ_ARRAY_LEN(punctuation); i++) {
                size_t n = strlen(punctuation[i]);
                if (lx.pos + n <= lx.len && memcmp(lx.text + lx.pos, punctuation[i], n) == 0)
                    break;
            }
            if (i == KQ_ARRAY_LEN(punctuation)) {
                uint32_t cp;
                size_t n = kq_utf8_decode(lx.text + lx.pos, lx.len - lx.pos, &cp);
                lx.pos += n ? n : 1;
                /* Name the character by code point: it may be a control or escape byte. */
                if (n)
                    kq_diags_add(diags, source, KQ_SEVERITY_ERROR, start, lx.pos, "unexpected character U+%04X", cp);
                else
                    kq_diags_add(diags, source, KQ_SEVERITY_ERROR, start, lx.pos,
                                 "invalid UTF-8 byte 0x%02X", (unsigned)c);
                lx.ok = false;
                continue;
            }
            lx.pos += strlen(punctuation[i]);
            push(&lx, KQ_TOK_PUNCT, start, lx.pos, space);
        }
    }
    push(&lx, KQ_TOK_EOF, lx.len, lx.len, true);
    /* Copy the tokens into the arena so the list lives as long as the AST. */
    out->count = lx.count;
    out->items = kq_arena_alloc(arena, lx.count * sizeof(kq_token));
    memcpy(out->items, lx.tokens, lx.count * sizeof(kq_token));
    free(lx.tokens);
    return lx.ok;
}

bool kq_token_is(const kq_token *token, const char *text)
{
    size_t n = strlen(text);
    return (token->kind == KQ_TOK_PUNCT || token->kind == KQ_TOK_IDENT || token->kind == KQ_TOK_OPWORD) &&
           !token->bracketed && token->text.len == n && memcmp(token->text.ptr, text, n) == 0;
}
