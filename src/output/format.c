/* Result writers. */
#include "output/output.h"
#include "base/utf8.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool kq_format_parse(const char *name, kq_format *format)
{
    static const struct {
        const char *name;
        kq_format format;
    } names[] = {{"table", KQ_FORMAT_TABLE}, {"csv", KQ_FORMAT_CSV}, {"json", KQ_FORMAT_JSON}, {"jsonl", KQ_FORMAT_JSONL}};
    for (size_t i = 0; i < KQ_ARRAY_LEN(names); i++)
        if (strcmp(names[i].name, name) == 0) {
            *format = names[i].format;
            return true;
        }
    return false;
}

void kq_value_text(kq_buf *out, const kq_value *v)
{
    char text[48];
    if (v->null)
        return;
    switch (v->type) {
    case KQ_STRING:
    case KQ_GUID:
        kq_buf_append(out, v->u.s.ptr, v->u.s.len);
        return;
    case KQ_BOOL:
        kq_buf_puts(out, v->u.b ? "true" : "false");
        return;
    case KQ_REAL:
    case KQ_DECIMAL:
        kq_real_format(v->u.r, text);
        kq_buf_puts(out, text);
        return;
    case KQ_DATETIME:
        kq_datetime_format(v->u.l, text);
        kq_buf_puts(out, text);
        return;
    case KQ_TIMESPAN:
        kq_timespan_format(v->u.l, text);
        kq_buf_puts(out, text);
        return;
    case KQ_DYNAMIC:
        /* A dynamic string shows as its text, as in Kusto's grids and CSV; other values as JSON. */
        if (v->u.d && v->u.d->kind == KQ_DYN_STRING)
            kq_buf_append(out, v->u.d->u.s.ptr, v->u.d->u.s.len);
        else
            kq_dyn_to_json(v->u.d, out);
        return;
    default:
        kq_buf_printf(out, "%lld", (long long)v->u.l);
        return;
    }
}

void kq_value_json(kq_buf *out, const kq_value *v)
{
    char text[48];
    if (v->null) {
        kq_buf_puts(out, "null");
        return;
    }
    switch (v->type) {
    case KQ_STRING:
    case KQ_GUID:
        kq_buf_json_string(out, v->u.s.ptr, v->u.s.len);
        return;
    case KQ_BOOL:
        kq_buf_puts(out, v->u.b ? "true" : "false");
        return;
    case KQ_REAL:
    case KQ_DECIMAL:
        kq_real_format(v->u.r, text);
        if (isfinite(v->u.r))
            kq_buf_puts(out, text);
        else
            kq_buf_json_string(out, text, strlen(text));
        return;
    case KQ_DATETIME:
    case KQ_TIMESPAN:
        if (v->type == KQ_DATETIME)
            kq_datetime_format(v->u.l, text);
        else
            kq_timespan_format(v->u.l, text);
        kq_buf_json_string(out, text, strlen(text));
        return;
    case KQ_DYNAMIC:
        kq_dyn_to_json(v->u.d, out);
        return;
    default:
        kq_buf_printf(out, "%lld", (long long)v->u.l);
        return;
    }
}

void kq_row_json(kq_buf *out, const kq_result *result, const kq_batch *batch, uint32_t row)
{
    kq_buf_putc(out, '{');
    for (uint32_t c = 0; c < result->schema.count; c++) {
        if (c)
            kq_buf_putc(out, ',');
        const char *name = result->schema.fields[c].name;
        kq_buf_json_string(out, name, strlen(name));
        kq_buf_putc(out, ':');
        kq_value v = kq_column_get(&batch->cols[c], row);
        kq_value_json(out, &v);
    }
    kq_buf_putc(out, '}');
}

/* Appends text for a terminal; keep_lines lets line breaks and tabs through unchanged. */
static void escape_for_terminal(kq_buf *out, const char *text, size_t len, bool keep_lines)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (keep_lines && (c == '\n' || c == '\t')) {
            kq_buf_putc(out, (char)c);
            i++;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            if (c == '\n')
                kq_buf_puts(out, "\\n");
            else if (c == '\r')
                kq_buf_puts(out, "\\r");
            else if (c == '\t')
                kq_buf_puts(out, "\\t");
            else
                kq_buf_printf(out, "\\x%02x", c);
            i++;
            continue;
        }
        if (c < 0x80) {
            kq_buf_putc(out, (char)c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = kq_utf8_decode(text + i, len - i, &cp);
        if (n == 0) {
            kq_buf_printf(out, "\\x%02x", c);
            i++;
        } else if ((cp >= 0x80 && cp < 0xA0) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
                   cp == 0x200E || cp == 0x200F || cp == 0x061C) {
            /* C1 controls (including the 8-bit CSI that starts escape sequences) and bidi
             * overrides, which can make a file name display as something else. */
            kq_buf_printf(out, "\\u%04x", cp);
            i += n;
        } else {
            kq_buf_append(out, text + i, n);
            i += n;
        }
    }
}

void kq_terminal_escape(kq_buf *out, const char *text, size_t len)
{
    escape_for_terminal(out, text, len, false);
}

void kq_terminal_escape_lines(kq_buf *out, const char *text, size_t len)
{
    escape_for_terminal(out, text, len, true);
}

/* True for a whole decimal number such as -12, +3.5 or -1e-3: a spreadsheet reads it as a number, not a formula. */
static bool is_plain_number(const char *text, size_t len)
{
    size_t i = 0, digits = 0;
    if (i < len && (text[i] == '-' || text[i] == '+'))
        i++;
    for (; i < len && text[i] >= '0' && text[i] <= '9'; i++)
        digits++;
    if (i < len && text[i] == '.')
        for (i++; i < len && text[i] >= '0' && text[i] <= '9'; i++)
            digits++;
    if (digits == 0)
        return false;
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        if (i < len && (text[i] == '-' || text[i] == '+'))
            i++;
        size_t exponent = i;
        while (i < len && text[i] >= '0' && text[i] <= '9')
            i++;
        if (i == exponent)
            return false;
    }
    return i == len;
}

bool kq_csv_formula_risk(const char *text, size_t len)
{
    if (len == 0)
        return false;
    char c = text[0];
    if (c == '=' || c == '@' || c == '\t' || c == '\r' || c == '\0')
        return true;
    return (c == '+' || c == '-') && !is_plain_number(text, len);
}

void kq_csv_field(kq_buf *out, const char *text, size_t len, bool csv_safe)
{
    bool prefix = csv_safe && kq_csv_formula_risk(text, len);
    bool quote = len > 0 && (text[0] == ' ' || text[len - 1] == ' ');
    for (size_t i = 0; i < len && !quote; i++)
        if (text[i] == ',' || text[i] == '"' || text[i] == '\n' || text[i] == '\r')
            quote = true;
    if (quote)
        kq_buf_putc(out, '"');
    if (prefix)
        kq_buf_putc(out, '\'');
    for (size_t i = 0; i < len; i++) {
        if (quote && text[i] == '"')
            kq_buf_putc(out, '"');
        kq_buf_putc(out, text[i]);
    }
    if (quote)
        kq_buf_putc(out, '"');
}

static void write_csv(FILE *out, const kq_result *result, bool csv_safe)
{
    kq_buf line, cell;
    kq_buf_init(&line);
    kq_buf_init(&cell);
    for (uint32_t c = 0; c < result->schema.count; c++) {
        if (c)
            kq_buf_putc(&line, ',');
        const char *name = result->schema.fields[c].name;
        kq_csv_field(&line, name, strlen(name), csv_safe);
    }
    kq_buf_puts(&line, "\r\n");
    fwrite(line.data, 1, line.len, out);
    for (size_t b = 0; b < result->nbatches; b++) {
        const kq_batch *batch = result->batches[b];
        for (uint32_t r = 0; r < batch->nrows; r++) {
            kq_buf_clear(&line);
            for (uint32_t c = 0; c < result->schema.count; c++) {
                if (c)
                    kq_buf_putc(&line, ',');
                kq_buf_clear(&cell);
                kq_value v = kq_column_get(&batch->cols[c], r);
                kq_value_text(&cell, &v);
                kq_csv_field(&line, cell.data ? cell.data : "", cell.len, csv_safe);
            }
            kq_buf_puts(&line, "\r\n");
            fwrite(line.data, 1, line.len, out);
        }
    }
    kq_buf_free(&line);
    kq_buf_free(&cell);
}

static void write_json(FILE *out, const kq_result *result, bool lines)
{
    kq_buf row;
    kq_buf_init(&row);
    bool first = true;
    if (!lines)
        fputc('[', out);
    for (size_t b = 0; b < result->nbatches; b++) {
        const kq_batch *batch = result->batches[b];
        for (uint32_t r = 0; r < batch->nrows; r++) {
            kq_buf_clear(&row);
            kq_row_json(&row, result, batch, r);
            if (!lines && !first)
                fputs(",\n", out);
            else if (!lines)
                fputc('\n', out);
            fwrite(row.data, 1, row.len, out);
            if (lines)
                fputc('\n', out);
            first = false;
        }
    }
    if (!lines)
        fputs(first ? "]\n" : "\n]\n", out);
    kq_buf_free(&row);
}

/* Display width in code points (each escaped byte counts as printed). */
static size_t display_width(const char *text, size_t len)
{
    return kq_utf8_length(text, len);
}

/* Cuts text to at most width code points, ending with "..." when cut. */
static void clip(kq_buf *cell, int width)
{
    if (width <= 3 || display_width(cell->data, cell->len) <= (size_t)width)
        return;
    size_t i = 0;
    for (int shown = 0; shown < width - 3 && i < cell->len; shown++) {
        uint32_t cp;
        size_t n = kq_utf8_decode(cell->data + i, cell->len - i, &cp);
        i += n ? n : 1;
    }
    cell->len = i;
    kq_buf_puts(cell, "...");
}

static void write_table(FILE *out, const kq_result *result, const kq_output_options *options)
{
    uint32_t ncols = result->schema.count;
    size_t nrows = (size_t)result->nrows;
    char **cells = kq_xcalloc((nrows + 1) * (ncols ? ncols : 1), sizeof(char *));
    size_t *widths = kq_xcalloc(ncols ? ncols : 1, sizeof(size_t));
    kq_buf text, escaped;
    kq_buf_init(&text);
    kq_buf_init(&escaped);
    for (uint32_t c = 0; c < ncols; c++) {
        kq_buf_clear(&escaped);
        const char *name = result->schema.fields[c].name;
        kq_terminal_escape(&escaped, name, strlen(name));
        cells[c] = kq_xstrndup(escaped.data ? escaped.data : "", escaped.len);
    }
    size_t row = 1;
    for (size_t b = 0; b < result->nbatches; b++) {
        const kq_batch *batch = result->batches[b];
        for (uint32_t r = 0; r < batch->nrows; r++, row++) {
            for (uint32_t c = 0; c < ncols; c++) {
                kq_buf_clear(&text);
                kq_buf_clear(&escaped);
                kq_value v = kq_column_get(&batch->cols[c], r);
                kq_value_text(&text, &v);
                kq_terminal_escape(&escaped, text.data ? text.data : "", text.len);
                if (options && options->max_column_width > 0)
                    clip(&escaped, options->max_column_width);
                cells[row * ncols + c] = kq_xstrndup(escaped.data ? escaped.data : "", escaped.len);
            }
        }
    }
    for (size_t r = 0; r <= nrows; r++)
        for (uint32_t c = 0; c < ncols; c++) {
            size_t w = display_width(cells[r * ncols + c], strlen(cells[r * ncols + c]));
            if (w > widths[c])
                widths[c] = w;
        }
    for (size_t r = 0; r <= nrows; r++) {
        for (uint32_t c = 0; c < ncols; c++) {
            const char *cell = cells[r * ncols + c];
            fputs(cell, out);
            if (c + 1 < ncols) {
                size_t pad = widths[c] - display_width(cell, strlen(cell)) + 2;
                for (size_t p = 0; p < pad; p++)
                    fputc(' ', out);
            }
        }
        fputc('\n', out);
        if (r == 0) {
            for (uint32_t c = 0; c < ncols; c++) {
                for (size_t p = 0; p < widths[c]; p++)
                    fputc('-', out);
                if (c + 1 < ncols)
                    fputs("  ", out);
            }
            fputc('\n', out);
        }
    }
    for (size_t i = 0; i < (nrows + 1) * ncols; i++)
        free(cells[i]);
    free(cells);
    free(widths);
    kq_buf_free(&text);
    kq_buf_free(&escaped);
}

void kq_write_result(FILE *out, const kq_result *result, kq_format format, const kq_output_options *options)
{
    switch (format) {
    case KQ_FORMAT_TABLE: write_table(out, result, options); break;
    case KQ_FORMAT_CSV: write_csv(out, result, options && options->csv_safe); break;
    case KQ_FORMAT_JSON: write_json(out, result, false); break;
    case KQ_FORMAT_JSONL: write_json(out, result, true); break;
    }
}
