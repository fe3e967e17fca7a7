/* Binding the operators that combine or reshape tables: join, lookup, union, mv-expand, parse, range. */
#include "base/buf.h"
#include "base/util.h"
#include "functions/regex.h"
#include "kql/binder_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- join and lookup ---- */

static int find_column(const kq_plan *plan, kq_str name)
{
    return kq_schema_find(&plan->schema, name.ptr, name.len);
}

static bool bind_join_keys(binder *b, kq_plan *plan, const kq_plan *left, const kq_plan *right, const kq_ast *op)
{
    uint32_t nkeys = op->nkids - 1;
    plan->left_keys = kq_arena_alloc(b->arena, nkeys * sizeof(int));
    plan->right_keys = kq_arena_alloc(b->arena, nkeys * sizeof(int));
    plan->njoin_keys = nkeys;
    bool ok = true;
    for (uint32_t k = 0; k < nkeys; k++) {
        const kq_ast *key = op->kids[k + 1];
        const kq_ast *names[2] = {key->kids[0], key->kids[1]};
        const kq_plan *sides[2] = {left, right};
        int *targets[2] = {plan->left_keys, plan->right_keys};
        for (int s = 0; s < 2; s++) {
            int column = find_column(sides[s], names[s]->text);
            if (column < 0) {
                kq_diag *diag = kq_bind_error(b, names[s]->start, names[s]->end,
                                              "unknown column '%.*s' on the %s side of the join",
                                              (int)names[s]->text.len, names[s]->text.ptr, s ? "right" : "left");
                kq_hint_column(diag, &sides[s]->schema, names[s]->text.ptr, names[s]->text.len);
                ok = false;
                continue;
            }
            targets[s][k] = column;
        }
        if (ok && left->schema.fields[plan->left_keys[k]].type != right->schema.fields[plan->right_keys[k]].type &&
            !(kq_type_is_numeric(left->schema.fields[plan->left_keys[k]].type) &&
              kq_type_is_numeric(right->schema.fields[plan->right_keys[k]].type))) {
            kq_bind_error(b, key->start, key->end, "join columns must have the same type, not %s and %s",
                          kq_type_name(left->schema.fields[plan->left_keys[k]].type),
                          kq_type_name(right->schema.fields[plan->right_keys[k]].type));
            ok = false;
        }
    }
    return ok;
}

/*
 * join: left columns, then right columns (a right name already taken gets the next free
 * numeric suffix: key1). semi and anti joins output one side only. lookup drops the right
 * side's key columns and never renames: it is a leftouter (or inner) join that adds columns.
 */
kq_plan *binder_join(binder *b, kq_plan *left, const kq_ast *op)
{
    kq_plan *right = kq_bind_tabular(b, op->kids[0]);
    if (!right)
        return NULL;
    bool lookup = op->kind == KQ_AST_LOOKUP;
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_JOIN, left, op);
    plan->right = right;
    plan->join_kind = (int)op->flags;
    if (!bind_join_keys(b, plan, left, right, op))
        return NULL;
    int kind = plan->join_kind;
    bool left_only = kind == KQ_JOIN_LEFTSEMI || kind == KQ_JOIN_LEFTANTI;
    bool right_only = kind == KQ_JOIN_RIGHTSEMI || kind == KQ_JOIN_RIGHTANTI;
    schema_builder sb = {0};
    plan->left_out = kq_arena_alloc(b->arena, (left->schema.count + 1) * sizeof(int));
    plan->right_out = kq_arena_alloc(b->arena, (right->schema.count + 1) * sizeof(int));
    if (!right_only)
        for (uint32_t i = 0; i < left->schema.count; i++) {
            plan->left_out[plan->nleft_out++] = (int)i;
            binder_add_field(b, &sb, left->schema.fields[i].name, left->schema.fields[i].type);
        }
    if (!left_only)
        for (uint32_t i = 0; i < right->schema.count; i++) {
            bool is_key = false;
            for (uint32_t k = 0; k < plan->njoin_keys; k++)
                is_key = is_key || plan->right_keys[k] == (int)i;
            if (lookup && is_key)
                continue;
            const char *name = right->schema.fields[i].name;
            if (lookup && binder_has_name(&sb, name)) {
                kq_bind_error(b, op->start, op->end,
                              "lookup: column '%s' exists on both sides; rename it on one side (project-rename)",
                              name);
                free(sb.fields);
                return NULL;
            }
            /* A right column whose name is taken gets the first numeric suffix that no column
             * on either side has: with Timestamp and Timestamp1 on the right, Timestamp
             * becomes Timestamp2, as in Kusto. */
            if (binder_has_name(&sb, name)) {
                for (int n = 1;; n++) {
                    const char *candidate = kq_arena_printf(b->arena, "%s%d", name, n);
                    if (!binder_has_name(&sb, candidate) &&
                        kq_schema_find(&right->schema, candidate, strlen(candidate)) < 0) {
                        name = candidate;
                        break;
                    }
                }
            }
            plan->right_out[plan->nright_out++] = (int)i;
            binder_add_field(b, &sb, name, right->schema.fields[i].type);
        }
    plan->schema = binder_finish_schema(b, &sb);
    plan->origin = lookup || left_only ? left->origin : NULL;
    return plan;
}

/* ---- union ---- */

static bool glob_match(const char *pattern, size_t plen, const char *name)
{
    /* Only a trailing '*' is supported, which is how rules write table wildcards (Device*). */
    return strncmp(name, pattern, plen) == 0;
}

/* True when the table a union leg reads (its leftmost name) is neither a let nor a table:
 * the legs union isfuzzy=true leaves out. */
static bool union_leg_missing(binder *b, const kq_ast *ast)
{
    while (ast->kind == KQ_AST_PIPE)
        ast = ast->kids[0];
    if (ast->kind != KQ_AST_NAME || (ast->flags & 1))
        return false;
    if (kq_find_let(b, ast->text.ptr, ast->text.len))
        return false;
    if (b->catalog && kq_catalog_table(b->catalog, ast->text.ptr, ast->text.len))
        return false;
    return kq_builtin_table_find(ast->text.ptr, ast->text.len) == NULL;
}

/* Adds the views (let Name = view () {...}) whose names match a union wildcard, after the
 * tables, each once (a later let of the same name shadows an earlier one). */
static bool bind_matching_views(binder *b, const kq_ast *ast, kq_plan **inputs, uint32_t *count,
                                const char **names, uint32_t cap, bool *any)
{
    for (let_binding *let = b->lets; let && *count < cap; let = let->next) {
        if (!let->view || kq_find_let(b, let->name.ptr, let->name.len) != let)
            continue;
        char *name = kq_arena_strndup(b->arena, let->name.ptr, let->name.len);
        if (!glob_match(ast->text.ptr, ast->text.len, name))
            continue;
        kq_ast fake = *ast;
        fake.kind = KQ_AST_NAME;
        fake.text = let->name;
        fake.flags = 0;
        fake.nkids = 0;
        kq_plan *plan = kq_bind_function_table(b, let, &fake);
        if (!plan)
            return false;
        names[*count] = name;
        inputs[(*count)++] = plan;
        *any = true;
    }
    return true;
}

static kq_plan *bind_union_input(binder *b, const kq_ast *ast, kq_plan **inputs, uint32_t *count,
                                 const char **names, uint32_t cap)
{
    if (ast->kind == KQ_AST_NAME && (ast->flags & 1)) {
        bool any = false;
        size_t n;
        const kq_builtin_table *tables = kq_builtin_tables(&n);
        for (size_t i = 0; i < n && *count < cap; i++) {
            if (!glob_match(ast->text.ptr, ast->text.len, tables[i].name))
                continue;
            kq_ast fake = *ast;
            fake.text.ptr = tables[i].name;
            fake.text.len = (uint32_t)strlen(tables[i].name);
            fake.flags = 0;
            kq_plan *plan = binder_bind_table(b, &fake);
            if (!plan)
                return NULL;
            names[*count] = tables[i].name;
            inputs[(*count)++] = plan;
            any = true;
        }
        if (!bind_matching_views(b, ast, inputs, count, names, cap, &any))
            return NULL;
        if (!any)
            kq_bind_error(b, ast->start, ast->end, "no table matches '%.*s*'", (int)ast->text.len, ast->text.ptr);
        return any ? inputs[*count - 1] : NULL;
    }
    kq_plan *plan = kq_bind_tabular(b, ast);
    if (!plan || *count >= cap)
        return NULL;
    names[*count] = plan->alias ? plan->alias : ast->kind == KQ_AST_NAME ? binder_ast_name(b, ast) : "";
    inputs[(*count)++] = plan;
    return plan;
}

/*
 * union: outer by default (all columns by name; a name seen with two types becomes
 * name_type for each), inner keeps the columns every input has.
 */
kq_plan *binder_union(binder *b, kq_plan *first, const kq_ast *op)
{
    uint32_t cap = op->nkids + 64;
    kq_plan **inputs = kq_arena_alloc(b->arena, cap * sizeof(kq_plan *));
    const char **names = kq_arena_alloc(b->arena, cap * sizeof(char *));
    uint32_t count = 0;
    if (first) {
        names[count] = first->origin ? first->origin : "";
        inputs[count++] = first;
    }
    bool ok = true, fuzzy = op->flags & 2;
    for (uint32_t i = 0; i < op->nkids; i++) {
        if (fuzzy && union_leg_missing(b, op->kids[i])) {
            b->query->guessed_table = b->query->guessed_table || !b->catalog;
            continue;
        }
        if (!bind_union_input(b, op->kids[i], inputs, &count, names, cap))
            ok = false;
    }
    if (!ok)
        return NULL;
    if (count == 0) {
        kq_bind_error(b, op->start, op->end, "none of the tables of union isfuzzy=true exists");
        return NULL;
    }
    bool inner = op->flags & 1;
    schema_builder sb = {0};
    if (op->text.len)
        binder_add_field(b, &sb, kq_arena_strndup(b->arena, op->text.ptr, op->text.len), KQ_STRING);
    uint32_t first_data = (uint32_t)sb.count;
    /* Collect distinct (name, type) pairs in order of appearance. */
    for (uint32_t i = 0; i < count; i++)
        for (uint32_t c = 0; c < inputs[i]->schema.count; c++) {
            const kq_field *f = &inputs[i]->schema.fields[c];
            bool seen = false;
            for (size_t k = first_data; k < sb.count && !seen; k++)
                seen = strcmp(sb.fields[k].name, f->name) == 0 && sb.fields[k].type == f->type;
            if (!seen) {
                kq_grow((void **)&sb.fields, &sb.cap, sb.count + 1, sizeof(kq_field));
                sb.fields[sb.count].name = f->name;
                sb.fields[sb.count++].type = f->type;
            }
        }
    /* The input column name of each output column, before the renaming below. */
    const char **original = kq_arena_alloc(b->arena, (sb.count + 1) * sizeof(char *));
    for (size_t k = 0; k < sb.count; k++)
        original[k] = sb.fields[k].name;
    /* Names that occur with two types get a type suffix, on every one of them. */
    bool *clash = kq_xcalloc(sb.count + 1, sizeof(bool));
    for (size_t k = first_data; k < sb.count; k++)
        for (size_t j = first_data; j < sb.count; j++)
            if (j != k && strcmp(sb.fields[k].name, sb.fields[j].name) == 0)
                clash[k] = true;
    for (size_t k = first_data; k < sb.count; k++)
        if (clash[k])
            sb.fields[k].name = kq_arena_printf(b->arena, "%s_%s", sb.fields[k].name, kq_type_name(sb.fields[k].type));
    free(clash);
    /* A suffixed name can meet another input's column of that name (x_long): the later
     * one gets a number, as Kusto names it (x_long1). */
    for (size_t k = first_data + 1; k < sb.count; k++) {
        const char *base = sb.fields[k].name;
        for (int n = 1;; n++) {
            bool taken = false;
            for (size_t j = 0; j < k && !taken; j++)
                taken = strcmp(sb.fields[j].name, sb.fields[k].name) == 0;
            if (!taken)
                break;
            sb.fields[k].name = kq_arena_printf(b->arena, "%s%d", base, n);
        }
    }
    if (inner) {
        size_t kept = first_data;
        for (size_t k = first_data; k < sb.count; k++) {
            bool everywhere = true;
            for (uint32_t i = 0; i < count && everywhere; i++) {
                int c = kq_schema_find(&inputs[i]->schema, original[k], strlen(original[k]));
                everywhere = c >= 0 && inputs[i]->schema.fields[c].type == sb.fields[k].type;
            }
            if (everywhere) {
                original[kept] = original[k];
                sb.fields[kept++] = sb.fields[k];
            }
        }
        sb.count = kept;
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_UNION, NULL, op);
    plan->inputs = inputs;
    plan->ninputs = count;
    plan->source_names = names;
    plan->with_source = op->text.len > 0;
    plan->schema = binder_finish_schema(b, &sb);
    plan->column_maps = kq_arena_alloc(b->arena, count * sizeof(int *));
    for (uint32_t i = 0; i < count; i++) {
        plan->column_maps[i] = kq_arena_alloc(b->arena, (plan->schema.count + 1) * sizeof(int));
        for (uint32_t c = 0; c < plan->schema.count; c++) {
            plan->column_maps[i][c] = -1;
            if (c < first_data)
                continue;
            for (uint32_t k = 0; k < inputs[i]->schema.count; k++) {
                const kq_field *f = &inputs[i]->schema.fields[k];
                if (strcmp(f->name, original[c]) == 0 && f->type == plan->schema.fields[c].type)
                    plan->column_maps[i][c] = (int)k;
            }
        }
    }
    return plan;
}

/* ---- mv-expand ---- */

kq_plan *binder_mv_expand(binder *b, kq_plan *input, const kq_ast *op)
{
    schema_builder sb = {0};
    expr_list exprs = {0};
    for (uint32_t i = 0; i < input->schema.count; i++)
        binder_add_field(b, &sb, input->schema.fields[i].name, input->schema.fields[i].type);
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_MV_EXPAND, input, op);
    plan->expand_columns = kq_arena_alloc(b->arena, op->nkids * sizeof(int));
    plan->expand_types = kq_arena_alloc(b->arena, op->nkids * sizeof(kq_type));
    plan->item_index_column = -1;
    plan->limit = op->value.u.l;
    plan->bag_as_array = op->kind == KQ_AST_MV_EXPAND && (op->flags & 1);
    int counter = 0;
    for (uint32_t i = 0; i < op->nkids; i++) {
        const kq_ast *item = op->kids[i];
        kq_expr *e = kq_bind_scalar(b, item->kids[0], &input->schema);
        if (!e) {
            free(sb.fields);
            free(exprs.items);
            return NULL;
        }
        if (e->type != KQ_DYNAMIC) {
            kq_bind_error(b, e->start, e->end, "mv-expand needs a dynamic array or property bag, not %s", kq_type_name(e->type));
            free(sb.fields);
            free(exprs.items);
            return NULL;
        }
        const char *name = item->text.len ? binder_ast_name(b, item) : binder_column_name_of(b, item->kids[0], false);
        if (!name)
            name = binder_next_column_name(b, &sb, &counter);
        int column = -1;
        for (size_t c = 0; c < sb.count; c++)
            if (strcmp(sb.fields[c].name, name) == 0)
                column = (int)c;
        if (column < 0)
            column = binder_add_field(b, &sb, name, item->value.type);
        sb.fields[column].type = item->value.type;
        plan->expand_columns[i] = column;
        plan->expand_types[i] = item->value.type;
        binder_exprs_push(&exprs, e);
    }
    if (op->text.len)
        plan->item_index_column = binder_add_field(b, &sb, kq_arena_strndup(b->arena, op->text.ptr, op->text.len), KQ_LONG);
    plan->nexprs = (uint32_t)exprs.count;
    plan->exprs = binder_exprs_finish(b, &exprs);
    plan->schema = binder_finish_schema(b, &sb);
    return plan;
}

/* ---- parse ---- */

static void regex_escape(kq_buf *out, kq_str text)
{
    for (uint32_t i = 0; i < text.len; i++) {
        char c = text.ptr[i];
        if (strchr("\\^$.|?*+()[]{}", c))
            kq_buf_putc(out, '\\');
        kq_buf_putc(out, c);
    }
}

/*
 * The regular expression a parse column captures with. Kusto translates a long or int
 * column to a signed run of digits in simple and regex mode, so a following '*' or
 * column does not swallow the number. A string column is lazy in simple mode (it ends
 * at the next literal) and greedy in regex mode, where the documented examples show
 * it running to the last match of the next literal unless flags=U is given.
 */
static const char *parse_column_regex(kq_type type, int mode, bool last)
{
    if (mode != 2 && (type == KQ_LONG || type == KQ_INT))
        return "-?\\d+";
    if (mode == 1 || last)
        return ".*";
    return ".*?";
}

/* Appends "(?flags)" for parse's flags=, or reports flags RE2 does not have. */
static bool parse_flags(binder *b, const kq_ast *op, kq_buf *regex)
{
    if (!op->text.len)
        return true;
    for (uint32_t i = 0; i < op->text.len; i++) {
        if (!strchr("imsU", op->text.ptr[i])) {
            /* The flags are a token of the query text, so the caret can sit under them. */
            uint32_t start = op->start, end = op->end;
            if (op->text.ptr >= b->source->text && op->text.ptr < b->source->text + b->source->len) {
                start = (uint32_t)(op->text.ptr - b->source->text);
                end = start + op->text.len;
            }
            kq_bind_error(b, start, end, "invalid parse flag '%c' in '%.*s': use U, i, m or s",
                          op->text.ptr[i], (int)op->text.len, op->text.ptr);
            return false;
        }
    }
    kq_buf_puts(regex, "(?");
    kq_buf_append(regex, op->text.ptr, op->text.len);
    kq_buf_putc(regex, ')');
    return true;
}

/*
 * parse: the pattern becomes one anchored regular expression. In simple and relaxed
 * mode a literal matches itself and '*' skips text lazily; in regex mode literals are
 * regex text. Column i captures with the named group kqlite_i, because regex-mode
 * literals may contain groups of their own.
 */
kq_plan *binder_parse(binder *b, kq_plan *input, const kq_ast *op)
{
    kq_expr *source = kq_bind_scalar(b, op->kids[0], &input->schema);
    if (!source)
        return NULL;
    kq_buf regex;
    kq_buf_init(&regex);
    if (!parse_flags(b, op, &regex)) {
        kq_buf_free(&regex);
        return NULL;
    }
    schema_builder sb = {0};
    for (uint32_t i = 0; i < input->schema.count; i++)
        binder_add_field(b, &sb, input->schema.fields[i].name, input->schema.fields[i].type);
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_PARSE, input, op);
    plan->parse_columns = kq_arena_alloc(b->arena, op->nkids * sizeof(int));
    int mode = op->flags & KQ_PARSE_MODE_MASK;
    plan->parse_relaxed = mode == 2;
    plan->parse_where = (op->flags & KQ_PARSE_WHERE) != 0;
    bool regex_mode = mode == 1;
    for (uint32_t i = 1; i < op->nkids; i++) {
        const kq_ast *part = op->kids[i];
        bool last = i + 1 == op->nkids;
        if (part->flags == 1) {
            kq_buf_puts(&regex, last ? ".*" : ".*?");
        } else if (part->flags == 2) {
            kq_buf_printf(&regex, "(?P<kqlite_%u>%s)", plan->nparse_columns,
                          parse_column_regex(part->value.type, mode, last));
            char *name = binder_ast_name(b, part);
            int column = -1;
            for (size_t c = 0; c < sb.count; c++)
                if (strcmp(sb.fields[c].name, name) == 0)
                    column = (int)c;
            if (column < 0)
                column = binder_add_field(b, &sb, name, part->value.type);
            sb.fields[column].type = part->value.type;
            plan->parse_columns[plan->nparse_columns++] = column;
        } else if (regex_mode) {
            kq_buf_append(&regex, part->value.u.s.ptr, part->value.u.s.len);
        } else {
            regex_escape(&regex, part->value.u.s);
        }
    }
    if (!plan->parse_relaxed && !regex_mode)
        kq_buf_putc(&regex, '$');
    plan->regex = kq_arena_strndup(b->arena, regex.data ? regex.data : "", regex.len);
    kq_buf_free(&regex);
    plan->predicate = source;
    plan->schema = binder_finish_schema(b, &sb);
    plan->origin = input->origin;
    return plan;
}

/* ---- parse-kv ---- */

/* Reads one constant string option into text; reports and returns false otherwise. */
static bool kv_string_option(binder *b, const kq_ast *option, kq_str *text)
{
    kq_expr *value = kq_bind_scalar(b, option->kids[0], NULL);
    if (!value)
        return false;
    if (value->kind != KQ_EXPR_CONST || value->type != KQ_STRING || value->constant.null) {
        kq_bind_error(b, value->start, value->end, "parse-kv option '%.*s' needs a constant string",
                      (int)option->text.len, option->text.ptr);
        return false;
    }
    *text = value->constant.u.s;
    return true;
}

/* Applies one with(...) option to spec. */
static bool kv_option(binder *b, const kq_ast *option, kq_kv_spec *spec)
{
    kq_str name = option->text, text;
    if (kq_str_eq(name, "greedy")) {
        kq_expr *value = kq_bind_scalar(b, option->kids[0], NULL);
        if (!value)
            return false;
        if (value->kind != KQ_EXPR_CONST || value->type != KQ_BOOL || value->constant.null) {
            kq_bind_error(b, value->start, value->end, "parse-kv option 'greedy' needs true or false");
            return false;
        }
        spec->greedy = value->constant.u.b;
        return true;
    }
    if (!kv_string_option(b, option, &text))
        return false;
    if (kq_str_eq(name, "pair_delimiter") || kq_str_eq(name, "kv_delimiter")) {
        if (text.len == 0) {
            kq_bind_error(b, option->start, option->end, "the parse-kv delimiter must not be empty");
            return false;
        }
        *(kq_str_eq(name, "pair_delimiter") ? &spec->pair_delimiter : &spec->kv_delimiter) = text;
    } else if (kq_str_eq(name, "quote")) {
        if ((text.len != 1 && text.len != 2) || spec->nquotes == (int)sizeof spec->quote_open) {
            kq_bind_error(b, option->start, option->end,
                          "parse-kv quote must be one character or an opening and a closing one, such as '()'");
            return false;
        }
        spec->quote_open[spec->nquotes] = text.ptr[0];
        spec->quote_close[spec->nquotes++] = text.ptr[text.len - 1];
    } else if (kq_str_eq(name, "escape")) {
        if (text.len != 1 || spec->nescapes == (int)sizeof spec->escapes) {
            kq_bind_error(b, option->start, option->end, "parse-kv escape must be one character, such as '\\'");
            return false;
        }
        spec->escapes[spec->nescapes++] = text.ptr[0];
    } else if (kq_str_eq(name, "regex")) {
        spec->regex = kq_arena_strndup(b->arena, text.ptr, text.len);
    } else {
        kq_bind_error(b, option->text_start, option->text_end,
                      "unknown parse-kv option '%.*s': use pair_delimiter, kv_delimiter, quote, escape, greedy or regex",
                      (int)name.len, name.ptr);
        return false;
    }
    return true;
}

/* Checks that the options form one of the three modes parse-kv documents. */
static bool kv_check_mode(binder *b, const kq_ast *op, const kq_kv_spec *spec)
{
    bool delimited = spec->pair_delimiter.len || spec->kv_delimiter.len;
    const char *problem = NULL;
    if (delimited && (!spec->pair_delimiter.len || !spec->kv_delimiter.len))
        problem = "parse-kv needs both pair_delimiter and kv_delimiter, or neither";
    else if (spec->regex && (delimited || spec->nquotes || spec->nescapes || spec->greedy))
        problem = "parse-kv regex= cannot be combined with delimiters, quotes, escapes or greedy";
    else if (spec->greedy && !delimited)
        problem = "parse-kv greedy=true needs pair_delimiter and kv_delimiter";
    if (problem)
        kq_bind_error(b, op->start, op->end, "%s", problem);
    return problem == NULL;
}

kq_plan *binder_parse_kv(binder *b, kq_plan *input, const kq_ast *op)
{
    kq_expr *source = kq_bind_scalar(b, op->kids[0], &input->schema);
    if (!source)
        return NULL;
    uint32_t nkeys = op->flags;
    kq_kv_spec *spec = kq_arena_alloc(b->arena, sizeof *spec);
    memset(spec, 0, sizeof *spec);
    for (uint32_t i = 1 + nkeys; i < op->nkids; i++)
        if (!kv_option(b, op->kids[i], spec))
            return NULL;
    if (!kv_check_mode(b, op, spec))
        return NULL;
    char error[256];
    pcre2_code *code = spec->regex ? kq_regex_compile(spec->regex, strlen(spec->regex), error, sizeof error) : NULL;
    if (spec->regex && !code) {
        kq_bind_error(b, op->start, op->end, "parse-kv: %s", error);
        return NULL;
    }
    pcre2_code_free(code);
    schema_builder sb = {0};
    for (uint32_t i = 0; i < input->schema.count; i++)
        binder_add_field(b, &sb, input->schema.fields[i].name, input->schema.fields[i].type);
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_PARSE_KV, input, op);
    plan->parse_columns = kq_arena_alloc(b->arena, (nkeys ? nkeys : 1) * sizeof(int));
    plan->kv_keys = kq_arena_alloc(b->arena, (nkeys ? nkeys : 1) * sizeof(char *));
    for (uint32_t k = 0; k < nkeys; k++) {
        const kq_ast *key = op->kids[1 + k];
        char *name = binder_ast_name(b, key);
        int column = -1;
        for (size_t c = 0; c < sb.count; c++)
            if (strcmp(sb.fields[c].name, name) == 0)
                column = (int)c;
        if (column < 0)
            column = binder_add_field(b, &sb, name, key->value.type);
        sb.fields[column].type = key->value.type;
        plan->kv_keys[k] = name;
        plan->parse_columns[plan->nparse_columns++] = column;
    }
    plan->kv = spec;
    plan->predicate = source;
    plan->schema = binder_finish_schema(b, &sb);
    plan->origin = input->origin;
    return plan;
}

/* ---- project-by-names ---- */

/* True when name matches pattern, where each '*' stands for any run of characters. */
static bool glob_matches(const char *pattern, size_t plen, const char *name)
{
    if (plen == 0)
        return *name == '\0';
    if (*pattern == '*') {
        for (const char *rest = name;; rest++) {
            if (glob_matches(pattern + 1, plen - 1, rest))
                return true;
            if (!*rest)
                return false;
        }
    }
    return *name == *pattern && glob_matches(pattern + 1, plen - 1, name + 1);
}

/* Adds the not yet used input columns that pattern matches, in input order. */
static void by_names_add(binder *b, const kq_plan *input, kq_str pattern, bool *used, schema_builder *sb,
                         expr_list *exprs)
{
    for (uint32_t i = 0; i < input->schema.count; i++) {
        if (used[i] || !glob_matches(pattern.ptr, pattern.len, input->schema.fields[i].name))
            continue;
        used[i] = true;
        binder_add_field(b, sb, input->schema.fields[i].name, input->schema.fields[i].type);
        binder_exprs_push(exprs, binder_column_ref(b, &input->schema, (int)i));
    }
}

/*
 * project-by-names "Name", "C*", dynamic(["a", "b"]): the columns the names and patterns
 * match, in the order they are given. Names that match no column are ignored.
 */
kq_plan *binder_project_by_names(binder *b, kq_plan *input, const kq_ast *op)
{
    schema_builder sb = {0};
    expr_list exprs = {0};
    bool *used = kq_arena_alloc(b->arena, (input->schema.count + 1) * sizeof(bool));
    memset(used, 0, (input->schema.count + 1) * sizeof(bool));
    bool ok = true;
    for (uint32_t k = 0; k < op->nkids && ok; k++) {
        const kq_ast *kid = op->kids[k];
        if (kid->kind == KQ_AST_NAME && !kq_find_let(b, kid->text.ptr, kid->text.len)) {
            kq_bind_error(b, kid->start, kid->end, "project-by-names takes column names as strings: write \"%.*s\"",
                          (int)kid->text.len, kid->text.ptr);
            ok = false;
            break;
        }
        kq_expr *spec = kq_bind_scalar(b, kid, NULL);
        if (!spec) {
            ok = false;
            break;
        }
        const kq_dyn *array = spec->kind == KQ_EXPR_CONST && spec->type == KQ_DYNAMIC && !spec->constant.null
                                  ? spec->constant.u.d
                                  : NULL;
        if (spec->kind == KQ_EXPR_CONST && spec->type == KQ_STRING) {
            by_names_add(b, input, spec->constant.u.s, used, &sb, &exprs);
        } else if (array && array->kind == KQ_DYN_ARRAY) {
            for (uint32_t i = 0; i < array->count; i++)
                if (array->u.items[i]->kind == KQ_DYN_STRING)
                    by_names_add(b, input, array->u.items[i]->u.s, used, &sb, &exprs);
        } else {
            kq_bind_error(b, spec->start, spec->end,
                          "project-by-names takes constant column names, patterns or dynamic arrays of them");
            ok = false;
        }
    }
    return binder_column_projection(b, input, op, &sb, &exprs, ok);
}

/* ---- scan ---- */

/* True when name is one of the scan's step names. */
static bool is_step_name(const kq_ast *op, uint32_t first_step, kq_str name)
{
    for (uint32_t i = first_step; i < op->nkids; i++)
        if (op->kids[i]->text.len == name.len && memcmp(op->kids[i]->text.ptr, name.ptr, name.len) == 0)
            return true;
    return false;
}

/* A copy of ast where step.column becomes the name "step.column", a column of the scan row. */
static kq_ast *rewrite_step_references(binder *b, const kq_ast *ast, const kq_ast *op, uint32_t first_step)
{
    kq_ast *copy = kq_arena_alloc(b->arena, sizeof *copy);
    *copy = *ast;
    if (ast->kind == KQ_AST_MEMBER && ast->kids[0]->kind == KQ_AST_NAME &&
        is_step_name(op, first_step, ast->kids[0]->text)) {
        const kq_ast *step = ast->kids[0];
        const char *name = kq_arena_printf(b->arena, "%.*s.%.*s", (int)step->text.len, step->text.ptr,
                                           (int)ast->text.len, ast->text.ptr);
        copy->kind = KQ_AST_NAME;
        copy->text.ptr = name;
        copy->text.len = (uint32_t)strlen(name);
        copy->nkids = 0;
        copy->kids = NULL;
        return copy;
    }
    if (ast->nkids) {
        copy->kids = kq_arena_alloc(b->arena, ast->nkids * sizeof(kq_ast *));
        for (uint32_t i = 0; i < ast->nkids; i++)
            copy->kids[i] = rewrite_step_references(b, ast->kids[i], op, first_step);
    }
    return copy;
}

/* Binds one step's condition and assignments over the scan row. */
static bool bind_scan_step(binder *b, const kq_ast *op, uint32_t first_step, const kq_ast *ast,
                           const kq_schema *row, int ninput, kq_scan_step *step)
{
    step->name = binder_ast_name(b, ast);
    step->output = (int)ast->flags;
    step->condition = kq_bind_scalar(b, rewrite_step_references(b, ast->kids[0], op, first_step), row);
    if (!step->condition)
        return false;
    if (step->condition->type != KQ_BOOL) {
        kq_bind_error(b, step->condition->start, step->condition->end, "the condition of step %s must be bool, not %s",
                      step->name, kq_type_name(step->condition->type));
        return false;
    }
    step->nassignments = (int)ast->nkids - 1;
    step->assignments = kq_arena_alloc(b->arena, (ast->nkids ? ast->nkids : 1) * sizeof(kq_expr *));
    step->targets = kq_arena_alloc(b->arena, (ast->nkids ? ast->nkids : 1) * sizeof(int));
    for (int a = 0; a < step->nassignments; a++) {
        const kq_ast *assign = ast->kids[a + 1];
        int target = kq_schema_find(row, assign->text.ptr, assign->text.len);
        if (target < ninput || assign->kind != KQ_AST_ASSIGN) {
            kq_bind_error(b, assign->start, assign->end, "scan steps can assign only declared columns; declare '%.*s' first",
                          (int)assign->text.len, assign->text.ptr);
            return false;
        }
        kq_expr *value = kq_bind_scalar(b, rewrite_step_references(b, assign->kids[0], op, first_step), row);
        if (!value)
            return false;
        kq_type want = row->fields[target].type;
        if (value->type != want && !(kq_type_is_numeric(value->type) && kq_type_is_numeric(want))) {
            kq_bind_error(b, value->start, value->end, "'%.*s' is declared %s, but this value is %s",
                          (int)assign->text.len, assign->text.ptr, kq_type_name(want), kq_type_name(value->type));
            return false;
        }
        step->targets[a] = target;
        step->assignments[a] = value;
    }
    return true;
}

kq_plan *binder_scan(binder *b, kq_plan *input, const kq_ast *op)
{
    uint32_t ndeclared = op->flags, first_step = ndeclared;
    kq_scan_spec *spec = kq_arena_alloc(b->arena, sizeof *spec);
    spec->ninput = (int)input->schema.count;
    spec->ncolumns = spec->ninput + (int)ndeclared;
    spec->nsteps = (int)(op->nkids - first_step);
    spec->match_id = op->text.len > 0;
    spec->defaults = kq_arena_alloc(b->arena, ((size_t)spec->ncolumns + 1) * sizeof(kq_value));
    /* The record's columns: input, then declared. */
    schema_builder record = {0};
    for (uint32_t i = 0; i < input->schema.count; i++)
        binder_add_field(b, &record, input->schema.fields[i].name, input->schema.fields[i].type);
    for (uint32_t d = 0; d < ndeclared; d++) {
        const kq_ast *decl = op->kids[d];
        int column = binder_add_field(b, &record, binder_ast_name(b, decl), decl->value.type);
        spec->defaults[column] = kq_null(decl->value.type);
        if (decl->nkids == 1) {
            kq_expr *value = kq_bind_scalar(b, decl->kids[0], NULL);
            if (!value || value->kind != KQ_EXPR_CONST) {
                if (value)
                    kq_bind_error(b, value->start, value->end, "the default of a declared column must be a constant");
                free(record.fields);
                return NULL;
            }
            spec->defaults[column] = value->constant;
            spec->defaults[column].type = decl->value.type;
        }
    }
    /* The scan row: the record, then each step's copy of it as step.column. */
    schema_builder row = {0};
    for (size_t c = 0; c < record.count; c++)
        binder_add_field(b, &row, record.fields[c].name, record.fields[c].type);
    for (uint32_t k = first_step; k < op->nkids; k++)
        for (size_t c = 0; c < record.count; c++)
            binder_add_field(b, &row, kq_arena_printf(b->arena, "%.*s.%s", (int)op->kids[k]->text.len,
                                                      op->kids[k]->text.ptr, record.fields[c].name),
                             record.fields[c].type);
    kq_schema row_schema = binder_finish_schema(b, &row);
    spec->row_types = kq_arena_alloc(b->arena, (row_schema.count + 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < row_schema.count; c++)
        spec->row_types[c] = row_schema.fields[c].type;
    spec->steps = kq_arena_alloc(b->arena, ((size_t)spec->nsteps + 1) * sizeof(kq_scan_step));
    for (int k = 0; k < spec->nsteps; k++) {
        if (!bind_scan_step(b, op, first_step, op->kids[first_step + (uint32_t)k], &row_schema, spec->ninput,
                            &spec->steps[k])) {
            free(record.fields);
            return NULL;
        }
    }
    if (spec->match_id)
        binder_add_field(b, &record, binder_ast_name(b, op), KQ_LONG);
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_SCAN_STEPS, input, op);
    plan->scan = spec;
    plan->schema = binder_finish_schema(b, &record);
    plan->origin = input->origin;
    return plan;
}

/* ---- range ---- */

kq_plan *binder_range(binder *b, const kq_ast *ast)
{
    kq_expr *from = kq_bind_scalar(b, ast->kids[0], NULL);
    kq_expr *to = kq_bind_scalar(b, ast->kids[1], NULL);
    kq_expr *step = kq_bind_scalar(b, ast->kids[2], NULL);
    if (!from || !to || !step)
        return NULL;
    bool numeric = kq_type_is_numeric(from->type) && kq_type_is_numeric(to->type) && kq_type_is_numeric(step->type);
    bool dated = from->type == KQ_DATETIME && to->type == KQ_DATETIME && step->type == KQ_TIMESPAN;
    bool spans = from->type == KQ_TIMESPAN && to->type == KQ_TIMESPAN && step->type == KQ_TIMESPAN;
    if (!numeric && !dated && !spans) {
        kq_bind_error(b, ast->start, ast->end, "range needs numbers, or datetimes with a timespan step, or timespans");
        return NULL;
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_RANGE, NULL, ast);
    plan->exprs = kq_arena_alloc(b->arena, 3 * sizeof(kq_expr *));
    plan->exprs[0] = from;
    plan->exprs[1] = to;
    plan->exprs[2] = step;
    plan->nexprs = 3;
    schema_builder sb = {0};
    kq_type type = numeric ? kq_numeric_result(kq_numeric_result(from->type, to->type), step->type) : from->type;
    if (type == KQ_INT)
        type = KQ_LONG;
    binder_add_field(b, &sb, binder_ast_name(b, ast), type);
    plan->schema = binder_finish_schema(b, &sb);
    return plan;
}


/* ---- mv-apply ---- */

/*
 * mv-apply: for each input row, the expanded rows go through the subquery. As Kusto
 * documents, the output is the subquery's result plus the input columns that were not
 * expanded: those columns first (left_out), then the subquery's columns that are not
 * among them (right_out). A column expanded under its own name comes from the subquery
 * or not at all, so `mv-apply x on (summarize make_list(x))` drops the array x.
 */
kq_plan *binder_mv_apply(binder *b, kq_plan *input, const kq_ast *op)
{
    kq_plan *row = binder_new_plan(b, KQ_PLAN_APPLY_ROW, NULL, op);
    row->schema = input->schema;
    row->apply_slot = b->query->nslots++;
    kq_ast expand = *op;
    expand.kind = KQ_AST_MV_EXPAND;
    expand.nkids = op->flags;
    expand.flags = op->value.type == KQ_DYNAMIC ? 0 : 0;
    kq_plan *expanded = binder_mv_expand(b, row, &expand);
    if (!expanded)
        return NULL;
    kq_plan *saved = b->apply_source;
    b->apply_source = expanded;
    kq_plan *subquery = kq_bind_tabular(b, op->kids[op->flags]);
    b->apply_source = saved;
    if (!subquery)
        return NULL;
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_MV_APPLY, input, op);
    plan->right = subquery;
    plan->apply_slot = row->apply_slot;
    schema_builder sb = {0};
    plan->left_out = kq_arena_alloc(b->arena, (input->schema.count + 1) * sizeof(int));
    for (uint32_t i = 0; i < input->schema.count; i++) {
        bool expanded_here = false;
        for (uint32_t k = 0; k < expand.nkids; k++)
            expanded_here |= expanded->expand_columns[k] == (int)i;
        if (expanded_here)
            continue;
        plan->left_out[plan->nleft_out++] = (int)i;
        binder_add_field(b, &sb, input->schema.fields[i].name, input->schema.fields[i].type);
    }
    plan->right_out = kq_arena_alloc(b->arena, (subquery->schema.count + 1) * sizeof(int));
    for (uint32_t i = 0; i < subquery->schema.count; i++) {
        const kq_field *f = &subquery->schema.fields[i];
        bool from_input = false;
        for (uint32_t k = 0; k < plan->nleft_out; k++)
            from_input |= strcmp(input->schema.fields[plan->left_out[k]].name, f->name) == 0;
        if (from_input)
            continue;
        plan->right_out[plan->nright_out++] = (int)i;
        binder_add_field(b, &sb, f->name, f->type);
    }
    plan->schema = binder_finish_schema(b, &sb);
    plan->origin = input->origin;
    return plan;
}

/* ---- top-nested ---- */

/*
 * top-nested: per level, the key column (its column name, the assigned name, or "" for an
 * unnamed expression, as the language service names it) and the aggregate column
 * (assigned name or aggregated_<key>).
 */
kq_plan *binder_top_nested(binder *b, kq_plan *input, const kq_ast *op)
{
    uint32_t nlevels = op->nkids;
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_TOP_NESTED, input, op);
    plan->nexprs = nlevels;
    plan->naggs = nlevels;
    plan->exprs = kq_arena_alloc(b->arena, nlevels * sizeof(kq_expr *));
    plan->aggs = kq_arena_alloc(b->arena, nlevels * sizeof(kq_agg_call));
    plan->level_counts = kq_arena_alloc(b->arena, nlevels * sizeof(kq_expr *));
    plan->level_others = kq_arena_alloc(b->arena, nlevels * sizeof(kq_expr *));
    plan->level_ascending = kq_arena_alloc(b->arena, nlevels * sizeof(bool));
    schema_builder sb = {0};
    bool ok = true;
    for (uint32_t i = 0; i < nlevels && ok; i++) {
        const kq_ast *level = op->kids[i];
        if (level->kids[0]->kind != KQ_AST_STAR) {
            plan->level_counts[i] = kq_bind_scalar(b, level->kids[0], NULL);
            ok = plan->level_counts[i] && kq_type_is_integer(plan->level_counts[i]->type);
            if (plan->level_counts[i] && !ok)
                kq_bind_error(b, level->kids[0]->start, level->kids[0]->end, "top-nested needs an integer row count");
        }
        const kq_ast *key_item = level->kids[1];
        const kq_ast *key_ast = key_item->kind == KQ_AST_ASSIGN ? key_item->kids[0] : key_item;
        kq_expr *key = ok ? kq_bind_scalar(b, key_ast, &input->schema) : NULL;
        ok = ok && key;
        if (!ok)
            break;
        plan->exprs[i] = key;
        const char *key_name = key_item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, key_item)
                                                               : binder_column_name_of(b, key_ast, false);
        if (!key_name)
            key_name = "";
        binder_add_field(b, &sb, key_name, key->type);
        if (level->nkids == 4) {
            plan->level_others[i] = kq_bind_scalar(b, level->kids[3], NULL);
            ok = plan->level_others[i] != NULL;
        }
        const kq_ast *agg_item = level->kids[2];
        const kq_ast *call = agg_item->kind == KQ_AST_ASSIGN ? agg_item->kids[0] : agg_item;
        if (!ok || !kq_bind_aggregate_call(b, call, &input->schema, &plan->aggs[i])) {
            ok = false;
            break;
        }
        const char *agg_name = agg_item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, agg_item)
                                                               : kq_arena_printf(b->arena, "aggregated_%s", key_name);
        binder_add_field(b, &sb, agg_name, plan->aggs[i].type);
        plan->level_ascending[i] = level->flags & KQ_SORT_ASC;
    }
    if (!ok) {
        free(sb.fields);
        return NULL;
    }
    plan->schema = binder_finish_schema(b, &sb);
    return plan;
}

/* ---- make-series ---- */

/*
 * make-series: output is the by columns, one dynamic array per aggregate (one element per
 * bin) and the axis column as a dynamic array of the bins' start values.
 */
kq_plan *binder_make_series(binder *b, kq_plan *input, const kq_ast *op)
{
    const kq_ast *aggs = op->kids[0], *by = op->kids[5];
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_MAKE_SERIES, input, op);
    schema_builder sb = {0};
    expr_list keys = {0};
    int counter = 0;
    bool ok = true;
    for (uint32_t i = 0; i < by->nkids && ok; i++) {
        const kq_ast *item = by->kids[i];
        const kq_ast *value_ast = item->kind == KQ_AST_ASSIGN ? item->kids[0] : item;
        kq_expr *key = kq_bind_scalar(b, value_ast, &input->schema);
        ok = key != NULL;
        if (!ok)
            break;
        const char *name = item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, item) : binder_column_name_of(b, value_ast, true);
        binder_add_field(b, &sb, name ? name : binder_next_column_name(b, &sb, &counter), key->type);
        binder_exprs_push(&keys, key);
    }
    plan->series_axis = ok ? kq_bind_scalar(b, op->kids[1], &input->schema) : NULL;
    plan->series_step = ok ? kq_bind_scalar(b, op->kids[4], NULL) : NULL;
    ok = ok && plan->series_axis && plan->series_step;
    if (ok && op->kids[2]->kind != KQ_AST_STAR)
        ok = (plan->series_from = kq_bind_scalar(b, op->kids[2], NULL)) != NULL;
    if (ok && op->kids[3]->kind != KQ_AST_STAR)
        ok = (plan->series_to = kq_bind_scalar(b, op->kids[3], NULL)) != NULL;
    if (ok) {
        kq_type axis = plan->series_axis->type, step = plan->series_step->type;
        bool valid = (axis == KQ_DATETIME && step == KQ_TIMESPAN) || (axis == KQ_TIMESPAN && step == KQ_TIMESPAN) ||
                     (kq_type_is_numeric(axis) && kq_type_is_numeric(step));
        if (!valid) {
            kq_bind_error(b, op->kids[4]->start, op->kids[4]->end,
                          "make-series needs a datetime axis with a timespan step, or numbers");
            ok = false;
        }
    }
    plan->naggs = aggs->nkids;
    plan->aggs = kq_arena_alloc(b->arena, (aggs->nkids ? aggs->nkids : 1) * sizeof(kq_agg_call));
    plan->series_defaults = kq_arena_alloc(b->arena, (aggs->nkids ? aggs->nkids : 1) * sizeof(kq_value));
    for (uint32_t i = 0; i < aggs->nkids && ok; i++) {
        const kq_ast *item = aggs->kids[i]->kids[0];
        const kq_ast *call = item->kind == KQ_AST_ASSIGN ? item->kids[0] : item;
        if (!(call->kind == KQ_AST_CALL && kq_aggregate_find(call->text.ptr, call->text.len))) {
            /* A plain expression (other = -1) gives its value in every bin that has rows. */
            kq_ast *wrapped = kq_arena_alloc(b->arena, sizeof *wrapped);
            *wrapped = *call;
            wrapped->kind = KQ_AST_CALL;
            wrapped->text.ptr = "take_any";
            wrapped->text.len = 8;
            wrapped->kids = kq_arena_alloc(b->arena, sizeof(kq_ast *));
            wrapped->kids[0] = (kq_ast *)call;
            wrapped->nkids = 1;
            call = wrapped;
        }
        if (!kq_bind_aggregate_call(b, call, &input->schema, &plan->aggs[i])) {
            ok = false;
            break;
        }
        plan->aggs[i].ncolumns = 1;
        /* Empty bins hold the default, 0 unless the query gives one. */
        plan->series_defaults[i] = kq_long(0);
        if (aggs->kids[i]->nkids == 2) {
            kq_expr *value = kq_bind_scalar(b, aggs->kids[i]->kids[1], NULL);
            if (!value || value->kind != KQ_EXPR_CONST) {
                if (value)
                    kq_bind_error(b, value->start, value->end, "the default of make-series must be a constant");
                ok = false;
                break;
            }
            plan->series_defaults[i] = value->constant;
        }
        const char *name = item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, item) : NULL;
        if (!name) {
            const kq_aggregate *agg = plan->aggs[i].agg;
            char *column = call->nkids > 0 ? binder_column_name_of(b, call->kids[0], false) : NULL;
            name = agg->name_uses_argument && column ? kq_arena_printf(b->arena, "%s_%s", agg->name_prefix, column)
                                                     : kq_arena_printf(b->arena, "%s_", agg->name_prefix ? agg->name_prefix : agg->name);
        }
        binder_add_field(b, &sb, name, KQ_DYNAMIC);
    }
    if (!ok) {
        free(sb.fields);
        free(keys.items);
        return NULL;
    }
    char *axis_name = binder_column_name_of(b, op->kids[1], false);
    binder_add_field(b, &sb, axis_name ? axis_name : binder_next_column_name(b, &sb, &counter), KQ_DYNAMIC);
    plan->nexprs = (uint32_t)keys.count;
    plan->exprs = binder_exprs_finish(b, &keys);
    plan->schema = binder_finish_schema(b, &sb);
    return plan;
}

/* ---- partition ---- */

/* partition by C (subquery): the subquery runs once per distinct value of C; the output
 * is the union of its results, so it has the subquery's columns. */
kq_plan *binder_partition(binder *b, kq_plan *input, const kq_ast *op)
{
    const kq_ast *column = op->kids[0];
    int index = kq_schema_find(&input->schema, column->text.ptr, column->text.len);
    if (index < 0) {
        kq_diag *diag = kq_bind_error(b, column->start, column->end, "unknown column '%.*s'",
                                      (int)column->text.len, column->text.ptr);
        kq_hint_column(diag, &input->schema, column->text.ptr, column->text.len);
        return NULL;
    }
    kq_plan *rows = binder_new_plan(b, KQ_PLAN_APPLY_ROW, NULL, op);
    rows->schema = input->schema;
    rows->origin = input->origin;
    rows->apply_slot = b->query->nslots++;
    kq_plan *saved = b->apply_source;
    b->apply_source = rows;
    kq_plan *subquery = kq_bind_tabular(b, op->kids[1]);
    b->apply_source = saved;
    if (!subquery)
        return NULL;
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_PARTITION, input, op);
    plan->right = subquery;
    plan->apply_slot = rows->apply_slot;
    plan->partition_column = index;
    plan->schema = subquery->schema;
    return plan;
}
