/* Line index, column conversion and indentation repair for rule YAML text. */
#include "rules/yaml_text.h"

#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returns the width of the line break at p, or 0 when p is not at a break. */
static size_t break_width(const unsigned char *p, size_t remaining)
{
    if (p[0] == '\n')
        return 1;
    if (p[0] == '\r')
        return (remaining > 1 && p[1] == '\n') ? 2 : 1;
    if (remaining >= 2 && p[0] == 0xC2 && p[1] == 0x85)
        return 2;
    if (remaining >= 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
        return 3;
    return 0;
}

static void index_lines(kq_yaml_text *yaml)
{
    const unsigned char *text = (const unsigned char *)yaml->text.data;
    size_t len = yaml->text.len;
    size_t count = 1;
    for (size_t i = 0; i < len;) {
        size_t width = break_width(text + i, len - i);
        if (width) {
            count++;
            i += width;
        } else {
            i++;
        }
    }

    free(yaml->line_start);
    free(yaml->line_end);
    yaml->line_start = kq_xmalloc(count * sizeof *yaml->line_start);
    yaml->line_end = kq_xmalloc(count * sizeof *yaml->line_end);
    size_t line = 0;
    yaml->line_start[0] = 0;
    for (size_t i = 0; i < len;) {
        size_t width = break_width(text + i, len - i);
        if (width) {
            yaml->line_end[line++] = i;
            i += width;
            yaml->line_start[line] = i;
        } else {
            i++;
        }
    }
    yaml->line_end[line] = len;
    yaml->nlines = count;
}

void kq_yaml_text_init(kq_yaml_text *yaml, const char *data, size_t len)
{
    memset(yaml, 0, sizeof *yaml);
    kq_buf_init(&yaml->text);
    kq_buf_append(&yaml->text, data, len);
    index_lines(yaml);
    yaml->added = kq_xcalloc(yaml->nlines, sizeof *yaml->added);
}

void kq_yaml_text_free(kq_yaml_text *yaml)
{
    kq_buf_free(&yaml->text);
    free(yaml->line_start);
    free(yaml->line_end);
    free(yaml->added);
    memset(yaml, 0, sizeof *yaml);
}

const char *kq_yaml_text_line(const kq_yaml_text *yaml, size_t line, size_t *len)
{
    if (line >= yaml->nlines) {
        *len = 0;
        return "";
    }
    *len = yaml->line_end[line] - yaml->line_start[line];
    return yaml->text.data + yaml->line_start[line];
}

static size_t utf8_width(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if (lead >= 0xF0 && lead <= 0xF7)
        return 4;
    if (lead >= 0xE0)
        return 3;
    if (lead >= 0xC0)
        return 2;
    return 1;
}

size_t kq_yaml_text_byte_column(const kq_yaml_text *yaml, size_t line, size_t char_column)
{
    size_t len;
    const unsigned char *text = (const unsigned char *)kq_yaml_text_line(yaml, line, &len);
    size_t bytes = 0, chars = 0;
    while (chars < char_column && bytes < len) {
        size_t width = utf8_width(text[bytes]);
        bytes += width <= len - bytes ? width : len - bytes;
        chars++;
    }
    /* A column past the end of the line (libyaml points after the last character). */
    return bytes + (char_column - chars);
}

void kq_yaml_text_offset_position(const kq_yaml_text *yaml, size_t offset, size_t *line,
                                  size_t *byte_column)
{
    size_t low = 0, high = yaml->nlines;
    while (high - low > 1) {
        size_t mid = low + (high - low) / 2;
        if (yaml->line_start[mid] <= offset)
            low = mid;
        else
            high = mid;
    }
    *line = low;
    *byte_column = offset - yaml->line_start[low];
}

static size_t leading_spaces(const char *text, size_t len)
{
    size_t n = 0;
    while (n < len && text[n] == ' ')
        n++;
    return n;
}

static bool is_blank_or_comment(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    return i == len || text[i] == '#';
}

/*
 * Returns the length of the plain key when text starts with "key:" followed by
 * a space or the end of the line, else 0. Only simple keys qualify: letters,
 * digits, '_', '-', '.', and spaces inside.
 */
static size_t simple_key_length(const char *text, size_t len)
{
    if (len == 0 || !(kq_is_alnum((unsigned char)text[0]) || text[0] == '_'))
        return 0;
    for (size_t i = 1; i < len; i++) {
        char c = text[i];
        if (c == ':')
            return (i + 1 == len || text[i + 1] == ' ' || text[i + 1] == '\t') ? i : 0;
        if (!(kq_is_alnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == ' '))
            return 0;
    }
    return 0;
}

/*
 * Finds the "- " item line above key_line that the key belongs to: the nearest
 * non-blank line at the key's indentation. Returns false when that line is not
 * a list item whose content is a mapping key.
 */
static bool find_item_above(const kq_yaml_text *yaml, size_t first_line, size_t key_line,
                            size_t indent, size_t *item_line, size_t *content_column)
{
    for (size_t line = key_line; line-- > first_line;) {
        size_t len;
        const char *text = kq_yaml_text_line(yaml, line, &len);
        if (is_blank_or_comment(text, len))
            continue;
        size_t spaces = leading_spaces(text, len);
        if (spaces > indent)
            continue;
        if (spaces < indent || text[spaces] != '-')
            return false;
        size_t content = spaces + 1;
        if (content >= len || text[content] != ' ')
            return false;
        while (content < len && text[content] == ' ')
            content++;
        if (simple_key_length(text + content, len - content) == 0)
            return false;
        *item_line = line;
        *content_column = content;
        return true;
    }
    return false;
}

/* Copies the key of the mapping that contains the list starting on list_line into name. */
static void find_parent_key(const kq_yaml_text *yaml, size_t list_line, size_t indent, char *name,
                            size_t name_size)
{
    name[0] = '\0';
    for (size_t line = list_line; line-- > 0;) {
        size_t len;
        const char *text = kq_yaml_text_line(yaml, line, &len);
        if (is_blank_or_comment(text, len))
            continue;
        size_t spaces = leading_spaces(text, len);
        if (spaces >= indent)
            continue;
        size_t key_len = simple_key_length(text + spaces, len - spaces);
        if (key_len > 0)
            snprintf(name, name_size, "%.*s", (int)(key_len < 64 ? key_len : 64), text + spaces);
        return;
    }
}

/* Inserts `shift` spaces before key_line and each following line nested deeper than indent. */
static void shift_block(kq_yaml_text *yaml, size_t key_line, size_t indent, size_t shift)
{
    size_t last = key_line;
    for (size_t line = key_line + 1; line < yaml->nlines; line++) {
        size_t len;
        const char *text = kq_yaml_text_line(yaml, line, &len);
        if (is_blank_or_comment(text, len) && leading_spaces(text, len) <= indent)
            continue;
        if (leading_spaces(text, len) <= indent)
            break;
        last = line;
    }

    kq_buf shifted;
    kq_buf_init(&shifted);
    kq_buf_append(&shifted, yaml->text.data, yaml->line_start[key_line]);
    for (size_t line = key_line; line <= last; line++) {
        size_t len;
        const char *text = kq_yaml_text_line(yaml, line, &len);
        if (len > 0) {
            for (size_t i = 0; i < shift; i++)
                kq_buf_putc(&shifted, ' ');
            yaml->added[line] += (int)shift;
        }
        size_t next = line + 1 < yaml->nlines ? yaml->line_start[line + 1] : yaml->text.len;
        kq_buf_append(&shifted, text, next - yaml->line_start[line]);
    }
    size_t rest = last + 1 < yaml->nlines ? yaml->line_start[last + 1] : yaml->text.len;
    kq_buf_append(&shifted, yaml->text.data + rest, yaml->text.len - rest);

    kq_buf_free(&yaml->text);
    yaml->text = shifted;
    index_lines(yaml);
}

bool kq_yaml_text_repair_indent(kq_yaml_text *yaml, const yaml_parser_t *parser,
                                kq_yaml_repair *repair)
{
    if (parser->error != YAML_PARSER_ERROR || !parser->context)
        return false;
    size_t list_line = parser->context_mark.line;
    size_t indent = parser->context_mark.column;
    size_t key_line = parser->problem_mark.line;
    if (key_line <= list_line || key_line >= yaml->nlines || parser->problem_mark.column != indent)
        return false;

    size_t len;
    const char *text = kq_yaml_text_line(yaml, key_line, &len);
    if (leading_spaces(text, len) != indent)
        return false;
    size_t key_len = simple_key_length(text + indent, len - indent);
    if (key_len == 0)
        return false;

    size_t item_line, content_column;
    if (!find_item_above(yaml, list_line, key_line, indent, &item_line, &content_column))
        return false;
    size_t shift = content_column - indent;

    char parent[80];
    find_parent_key(yaml, list_line, indent, parent, sizeof parent);
    repair->line = key_line;
    repair->column = indent - (size_t)yaml->added[key_line];
    snprintf(repair->message, sizeof repair->message,
             "%s%s'%.*s' is indented like a list item; read as part of the list item on line %zu "
             "(indent it %zu more spaces to fix the file)",
             parent, parent[0] ? ": " : "", (int)(key_len < 64 ? key_len : 64), text + indent,
             item_line + 1, shift);

    shift_block(yaml, key_line, indent, shift);
    return true;
}
