/*
 * externaldata and inline_external_table: tables whose rows Kusto reads from storage
 * URLs. kqlite reads no network data, so both parse into a KQ_AST_DATATABLE with the
 * declared columns and no rows, and text set to the operator's name. The binder gives
 * it the declared schema, so the query compiles and its columns are known, and running
 * it fails with a message on how to pass the file instead.
 */
#include "kql/parser_internal.h"

#include <setjmp.h>
#include <string.h>

/* Parses Name:type [, ...] up to ')', after '('. */
static void parse_schema(parser *ps, kid_list *columns)
{
    if (kq_ps_at(ps, ")")) {
        kq_ps_advance(ps);
        return;
    }
    do {
        kq_ps_kids_push(ps, columns, kq_ps_column_decl(ps));
    } while (kq_ps_accept(ps, ","));
    kq_ps_expect(ps, ")", "',' or ')' after a column of the schema");
}

/* Parses storage connection strings (string expressions) separated by commas up to close. */
static void parse_uris(parser *ps, const char *close)
{
    do {
        if (kq_ps_at(ps, close))
            break;
        kq_ps_additive(ps);
    } while (kq_ps_accept(ps, ","));
    kq_ps_expect(ps, close, strcmp(close, "]") == 0 ? "',' or ']' after a storage connection string"
                                                    : "',' or ')' after a storage connection string");
}

/* Parses with (name = value, ...) when present. The properties (format, ignoreFirstRecord,
 * includeHeaders, ...) only describe how to read the files, which kqlite never does. */
static const kq_token *parse_with_properties(parser *ps)
{
    if (!kq_ps_accept(ps, "with"))
        return NULL;
    kq_ps_expect(ps, "(", "'(' and the properties after with");
    while (!kq_ps_at(ps, ")")) {
        kq_ps_expect_name(ps, "a property name");
        kq_ps_expect(ps, "=", "'=' and the property value");
        kq_ps_additive(ps);
        if (!kq_ps_accept(ps, ","))
            break;
    }
    return kq_ps_expect(ps, ")", "',' or ')' after a property");
}

static kq_ast *make_external_table(parser *ps, const kq_token *keyword, kid_list *columns, uint32_t end)
{
    kq_ast *n = kq_ps_node(ps, KQ_AST_DATATABLE, keyword->start, end);
    n->flags = (uint32_t)columns->count;
    kq_ps_kids_attach(ps, n, columns);
    n->text = keyword->text;
    n->text_start = keyword->start;
    n->text_end = keyword->end;
    return n;
}

/* externaldata (Name:type, ...) [uri, ...] [with (name = value, ...)] */
kq_ast *kq_parse_externaldata(parser *ps, const kq_token *keyword)
{
    kid_list columns = {0};
    kq_ps_expect(ps, "(", "'(' and the columns after externaldata");
    parse_schema(ps, &columns);
    uint32_t end;
    if (kq_ps_peek(ps)->kind == KQ_TOK_IDENT && kq_ps_peek(ps)->bracketed) {
        end = kq_ps_advance(ps)->end; /* ['uri'] lexes as one bracketed name */
    } else {
        kq_ps_expect(ps, "[", "'[' and the storage connection strings");
        parse_uris(ps, "]");
        end = (kq_ps_peek(ps) - 1)->end;
    }
    const kq_token *close = parse_with_properties(ps);
    return make_external_table(ps, keyword, &columns, close ? close->end : end);
}

/* partition by (Name:type [= expression], ...) of kind=storage. */
static void parse_partitions(parser *ps)
{
    kq_ps_expect(ps, "(", "'(' and the partition columns");
    do {
        kq_ps_column_decl(ps);
        if (kq_ps_accept(ps, "="))
            kq_ps_additive(ps);
    } while (kq_ps_accept(ps, ","));
    kq_ps_expect(ps, ")", "',' or ')' after a partition column");
}

/* pathformat = (element ...): string literals, partition columns and datetime_pattern() calls. */
static void parse_path_format(parser *ps)
{
    kq_ps_expect(ps, "=", "'=' and the path format");
    kq_ps_expect(ps, "(", "'(' and the path format");
    while (!kq_ps_at(ps, ")") && kq_ps_peek(ps)->kind != KQ_TOK_EOF)
        kq_ps_additive(ps);
    kq_ps_expect(ps, ")", "')' after the path format");
}

/* inline_external_table [(Name:type, ...)] kind=storage|delta [partition by (...)]
 * [pathformat=(...)] [dataformat=F] (uri, ...) [with (...)] */
kq_ast *kq_parse_inline_external_table(parser *ps, const kq_token *keyword)
{
    kid_list columns = {0};
    if (kq_ps_accept(ps, "("))
        parse_schema(ps, &columns);
    kq_ps_expect(ps, "kind", "kind=storage or kind=delta");
    kq_ps_expect(ps, "=", "'=' after kind");
    const kq_token *kind = kq_ps_expect_name(ps, "storage or delta after kind=");
    if (!kq_token_is(kind, "storage") && !kq_token_is(kind, "delta"))
        kq_ps_fail_at(ps, kind, "storage or delta after kind=");
    bool has_format = false;
    for (;;) {
        if (kq_ps_at(ps, "partition") && kq_token_is(kq_ps_peek_at(ps, 1), "by")) {
            kq_ps_advance(ps);
            kq_ps_advance(ps);
            parse_partitions(ps);
        } else if (kq_ps_accept(ps, "pathformat")) {
            parse_path_format(ps);
        } else if (kq_ps_accept(ps, "dataformat")) {
            kq_ps_expect(ps, "=", "'=' and the data format");
            kq_ps_expect_name(ps, "a data format (csv, parquet, json, ...)");
            has_format = true;
        } else {
            break;
        }
    }
    if (kq_token_is(kind, "storage") && !has_format) {
        /* Point just past the last option, where dataformat= belongs, as Kusto does. */
        uint32_t at = (kq_ps_peek(ps) - 1)->end;
        kq_diags_add(ps->diags, ps->source, KQ_SEVERITY_ERROR, at, at,
                     "inline_external_table with kind=storage needs dataformat=FORMAT (csv, parquet, json, ...) "
                     "before the storage connection strings");
        longjmp(ps->fail, 1);
    }
    kq_ps_expect(ps, "(", "'(' and the storage connection strings");
    parse_uris(ps, ")");
    uint32_t end = (kq_ps_peek(ps) - 1)->end;
    const kq_token *close = parse_with_properties(ps);
    return make_external_table(ps, keyword, &columns, close ? close->end : end);
}
