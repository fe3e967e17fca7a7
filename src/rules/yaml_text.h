/*
 * The YAML text of a rule file as libyaml parses it: line boundaries that
 * match libyaml's line numbers, conversion of libyaml's character columns to byte
 * columns, and the indentation repair applied before a reparse.
 *
 * Internal to src/rules/.
 */
#ifndef KQ_RULES_YAML_TEXT_H
#define KQ_RULES_YAML_TEXT_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

/*
 * A YAML text split into lines. A line ends at LF, CR LF, CR, NEL, LS or PS,
 * the breaks libyaml counts, so line i here is libyaml's mark.line i.
 * `added[i]` counts the spaces a repair inserted at the start of line i, which
 * maps a position in `text` back to the file.
 */
typedef struct kq_yaml_text {
    kq_buf text;
    size_t *line_start;   /* byte offset of each line in text */
    size_t *line_end;     /* byte offset of each line's break (or of the end) */
    int *added;
    size_t nlines;
} kq_yaml_text;

void kq_yaml_text_init(kq_yaml_text *yaml, const char *data, size_t len);
void kq_yaml_text_free(kq_yaml_text *yaml);

/* Returns a pointer to line `line` of the current text and stores its length without the break. */
const char *kq_yaml_text_line(const kq_yaml_text *yaml, size_t line, size_t *len);

/* Converts a 0-based character column on `line` to a 0-based byte column in the current text. */
size_t kq_yaml_text_byte_column(const kq_yaml_text *yaml, size_t line, size_t char_column);

/* Maps a byte offset in the current text to a 0-based line and a 0-based byte column. */
void kq_yaml_text_offset_position(const kq_yaml_text *yaml, size_t offset, size_t *line,
                                  size_t *byte_column);

/*
 * A repair made to the text, reported to the user as a warning at the
 * repaired key's position in the file.
 */
typedef struct kq_yaml_repair {
    size_t line;            /* 0-based line of the re-indented key */
    size_t column;          /* 0-based byte column of the key in the file */
    char message[512];
} kq_yaml_repair;

/*
 * Tries to repair the error a failed yaml_parser_load left in parser: a
 * mapping key written at the indentation of the "- " of the list item above
 * it, as in
 *
 *     requiredDataConnectors:
 *         - connectorId: X
 *         dataTypes:          <- belongs to the item, is at the dash's column
 *             - T
 *
 * Strict YAML rejects this ("did not find expected '-' indicator"). The repair
 * indents the key and the lines nested under it to the item's content column,
 * so the key joins the item's mapping. Returns true and fills repair when the
 * text changed; the caller then parses again.
 */
bool kq_yaml_text_repair_indent(kq_yaml_text *yaml, const yaml_parser_t *parser,
                                kq_yaml_repair *repair);

#endif
