/* Writing query results: aligned terminal table, CSV, JSON array and JSON lines. */
#ifndef KQ_OUTPUT_OUTPUT_H
#define KQ_OUTPUT_OUTPUT_H

#include "base/buf.h"
#include "exec/exec.h"

#include <stdio.h>

typedef enum kq_format { KQ_FORMAT_TABLE, KQ_FORMAT_CSV, KQ_FORMAT_JSON, KQ_FORMAT_JSONL } kq_format;

/* Parses "table", "csv", "json" or "jsonl"; returns false for anything else. */
bool kq_format_parse(const char *name, kq_format *format);

typedef struct kq_output_options {
    int max_column_width; /* table: cells longer than this are cut with "..." (0: no limit) */
    bool csv_safe;        /* csv: prefix formula-like cells with ' (kq_csv_formula_risk) */
} kq_output_options;

void kq_write_result(FILE *out, const kq_result *result, kq_format format, const kq_output_options *options);

/* Text form of a value as Kusto shows it: ISO datetimes with 7 digits, [d.]hh:mm:ss timespans,
 * dynamic as JSON, empty for null. */
void kq_value_text(kq_buf *out, const kq_value *v);
/* JSON form: numbers and bools bare, datetimes and timespans as strings, dynamic embedded. */
void kq_value_json(kq_buf *out, const kq_value *v);
/* Appends one result row as a JSON object {"col": value, ...}. */
void kq_row_json(kq_buf *out, const kq_result *result, const kq_batch *batch, uint32_t row);
/* Appends text for a terminal: control characters and escape sequences become visible \xNN. */
void kq_terminal_escape(kq_buf *out, const char *text, size_t len);
/* Like kq_terminal_escape, but line breaks and tabs pass through (multi-line messages). */
void kq_terminal_escape_lines(kq_buf *out, const char *text, size_t len);
/*
 * True when a spreadsheet could read a CSV cell as a formula: it starts with =, +, -, @, a
 * tab, a carriage return or NUL (OWASP ASVS 5.0 requirement 1.2.10 lists all but the
 * carriage return). A whole decimal number such as -12 is exempt, because it reads as a number.
 */
bool kq_csv_formula_risk(const char *text, size_t len);
/* Appends one CSV field: quoted when needed, and with csv_safe a formula-like cell gets a leading '. */
void kq_csv_field(kq_buf *out, const char *text, size_t len, bool csv_safe);

#endif
