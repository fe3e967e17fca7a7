#include "base/diag.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kq_diags_init(kq_diags *diags)
{
    memset(diags, 0, sizeof *diags);
}

static void free_diag(kq_diag *diag)
{
    free(diag->file);
    free(diag->message);
    free(diag->hint);
    free(diag->line_text);
}

void kq_diags_clear(kq_diags *diags)
{
    for (size_t i = 0; i < diags->count; i++)
        free_diag(&diags->items[i]);
    diags->count = 0;
    diags->errors = 0;
}

void kq_diags_free(kq_diags *diags)
{
    kq_diags_clear(diags);
    free(diags->items);
    kq_diags_init(diags);
}

static char *vformat(const char *format, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    int len = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (len < 0)
        return kq_xstrdup(format);
    char *text = kq_xmalloc((size_t)len + 1);
    vsnprintf(text, (size_t)len + 1, format, args);
    return text;
}

static kq_diag *push(kq_diags *diags, kq_severity severity)
{
    kq_grow((void **)&diags->items, &diags->cap, diags->count + 1, sizeof(kq_diag));
    kq_diag *diag = &diags->items[diags->count++];
    memset(diag, 0, sizeof *diag);
    diag->severity = severity;
    if (severity == KQ_SEVERITY_ERROR)
        diags->errors++;
    return diag;
}

void kq_source_position(const kq_source *source, size_t offset, int *line, int *column)
{
    if (offset > source->len)
        offset = source->len;
    int line_index = 0;
    size_t line_start = 0;
    for (size_t i = 0; i < offset; i++)
        if (source->text[i] == '\n') {
            line_index++;
            line_start = i + 1;
        }
    int indent = (source->indent && line_index < source->nindent) ? source->indent[line_index] : 0;
    *line = source->first_line + line_index;
    *column = (int)(offset - line_start) + 1 + indent;
}

kq_diag *kq_diags_add(kq_diags *diags, const kq_source *source, kq_severity severity,
                      size_t start, size_t end, const char *format, ...)
{
    kq_diag *diag = push(diags, severity);
    va_list args;
    va_start(args, format);
    diag->message = vformat(format, args);
    va_end(args);
    diag->file = kq_xstrdup(source->file ? source->file : "<query>");
    if (start > source->len)
        start = source->len;
    if (end < start)
        end = start;
    kq_source_position(source, start, &diag->line, &diag->column);

    size_t line_start = start;
    while (line_start > 0 && source->text[line_start - 1] != '\n')
        line_start--;
    size_t line_end = start;
    while (line_end < source->len && source->text[line_end] != '\n' && source->text[line_end] != '\r')
        line_end++;
    int line_index = diag->line - source->first_line;
    int indent = (source->indent && line_index < source->nindent) ? source->indent[line_index] : 0;
    /* Show the line as it stands in the file: put the removed indentation back. */
    size_t text_len = line_end - line_start;
    diag->line_text = kq_xmalloc(text_len + (size_t)indent + 1);
    memset(diag->line_text, ' ', (size_t)indent);
    memcpy(diag->line_text + indent, source->text + line_start, text_len);
    diag->line_text[text_len + (size_t)indent] = '\0';
    diag->caret_start = (int)(start - line_start) + indent;
    size_t caret_end = end < line_end ? end : line_end;
    diag->caret_end = (int)(caret_end - line_start) + indent;
    if (diag->caret_end <= diag->caret_start)
        diag->caret_end = diag->caret_start + 1;
    return diag;
}

kq_diag *kq_diags_add_at(kq_diags *diags, kq_severity severity, const char *file, int line,
                         int column, const char *line_text, const char *format, ...)
{
    kq_diag *diag = push(diags, severity);
    va_list args;
    va_start(args, format);
    diag->message = vformat(format, args);
    va_end(args);
    diag->file = kq_xstrdup(file ? file : "<input>");
    diag->line = line;
    diag->column = column;
    if (line_text) {
        diag->line_text = kq_xstrdup(line_text);
        diag->caret_start = column > 0 ? column - 1 : 0;
        diag->caret_end = diag->caret_start + 1;
    }
    return diag;
}

void kq_diag_set_hint(kq_diag *diag, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    free(diag->hint);
    diag->hint = vformat(format, args);
    va_end(args);
}

static void render_location(const kq_diag *diag, kq_buf *out)
{
    if (diag->line > 0)
        kq_buf_printf(out, "%s:%d:%d: ", diag->file, diag->line, diag->column);
    else
        kq_buf_printf(out, "%s: ", diag->file);
}

void kq_diag_render(const kq_diag *diag, kq_buf *out)
{
    render_location(diag, out);
    kq_buf_printf(out, "%s: %s\n", diag->severity == KQ_SEVERITY_ERROR ? "error" : "warning",
                  diag->message);
    if (diag->line_text) {
        /* A long line (a generated query, a 20,000-character IOC list) is shown as a window
         * around the caret, marked with "..." where it was cut. */
        int len = (int)strlen(diag->line_text);
        int from = 0, to = len;
        if (len > 160) {
            from = diag->caret_start > 60 ? diag->caret_start - 60 : 0;
            to = diag->caret_end + 60 < len ? diag->caret_end + 60 : len;
            if (to - from > 200)
                to = from + 200;
        }
        int caret_start = diag->caret_start < from ? from : diag->caret_start;
        int caret_end = diag->caret_end > to ? to : diag->caret_end;
        if (caret_end <= caret_start)
            caret_end = caret_start + 1;
        const char *cut = "...";
        /* Tabs stay tabs under the caret so the caret lines up in a terminal. */
        kq_buf_puts(out, from > 0 ? "    ..." : "    ");
        for (int i = from; i < to; i++) {
            unsigned char c = (unsigned char)diag->line_text[i];
            kq_buf_putc(out, (c < 0x20 && c != '\t') || c == 0x7f ? ' ' : (char)c);
        }
        if (to < len)
            kq_buf_puts(out, cut);
        kq_buf_puts(out, from > 0 ? "\n       " : "\n    ");
        for (int i = from; i < caret_start; i++)
            kq_buf_putc(out, diag->line_text[i] == '\t' ? '\t' : ' ');
        for (int i = caret_start; i < caret_end; i++)
            kq_buf_putc(out, '^');
        kq_buf_putc(out, '\n');
    }
    if (diag->hint)
        kq_buf_printf(out, "    hint: %s\n", diag->hint);
}

void kq_diag_render_short(const kq_diag *diag, kq_buf *out)
{
    render_location(diag, out);
    kq_buf_puts(out, diag->message);
    if (diag->hint)
        kq_buf_printf(out, " (%s)", diag->hint);
}
