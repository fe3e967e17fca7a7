/*
 * Diagnostics: errors and warnings with a location a user can act on.
 *
 * A diagnostic is self-contained: it copies the file name, the line and
 * column, the source line and the caret span when it is created, so it can be
 * printed after the text it points into is gone.
 */
#ifndef KQ_BASE_DIAG_H
#define KQ_BASE_DIAG_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum kq_severity { KQ_SEVERITY_ERROR, KQ_SEVERITY_WARNING } kq_severity;

/*
 * A text that diagnostics point into, and where it sits in its file. A query
 * embedded in a YAML rule starts at file line `first_line` and each of its
 * lines had `indent[k]` bytes of indentation removed; a query from the
 * command line has first_line 1 and no indent.
 */
typedef struct kq_source {
    const char *file;    /* shown in messages; "<query>" for the command line */
    const char *text;
    size_t len;
    int first_line;      /* 1-based */
    const int *indent;   /* per line of text, or NULL for none */
    int nindent;
} kq_source;

typedef struct kq_diag {
    kq_severity severity;
    char *file;
    int line;            /* 1-based; 0 when the diagnostic has no location */
    int column;          /* 1-based, in bytes */
    char *message;
    char *hint;          /* "did you mean 'ProcessCommandLine'?", or NULL */
    char *line_text;     /* the source line, or NULL */
    int caret_start;     /* 0-based byte columns of the span within line_text */
    int caret_end;
} kq_diag;

typedef struct kq_diags {
    kq_diag *items;
    size_t count, cap;
    size_t errors;
} kq_diags;

void kq_diags_init(kq_diags *diags);
void kq_diags_free(kq_diags *diags);
void kq_diags_clear(kq_diags *diags);

/* Adds a diagnostic for bytes [start, end) of source->text. */
kq_diag *kq_diags_add(kq_diags *diags, const kq_source *source, kq_severity severity,
                      size_t start, size_t end, const char *format, ...)
    __attribute__((format(printf, 6, 7)));
/* Adds a diagnostic at a known file position; line_text may be NULL. */
kq_diag *kq_diags_add_at(kq_diags *diags, kq_severity severity, const char *file, int line,
                         int column, const char *line_text, const char *format, ...)
    __attribute__((format(printf, 7, 8)));
void kq_diag_set_hint(kq_diag *diag, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Writes "file:line:col: error: message", then the source line and carets, then the hint. */
void kq_diag_render(const kq_diag *diag, kq_buf *out);
/* Writes "file:line:col: message" on one line (the form `kqlite rules` reports). */
void kq_diag_render_short(const kq_diag *diag, kq_buf *out);

/* Computes the 1-based line and byte column of offset in text. */
void kq_source_position(const kq_source *source, size_t offset, int *line, int *column);

#endif
