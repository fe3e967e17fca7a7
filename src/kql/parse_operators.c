/*
 * KQL tabular operators: the word after '|' picks one parser here (kq_ps_operator),
 * except the graph operators in parse_graph.c.
 */
#include "kql/parser_internal.h"
#include "base/util.h"
#include "kql/limits.h"

#include <setjmp.h>
#include <string.h>

static kq_ast *parse_sort_key(parser *ps)
{
    kq_ast *expr = kq_ps_or(ps);
    kq_ast *key = kq_ps_node1(ps, KQ_AST_SORT_KEY, expr->start, expr->end, expr);
    if (kq_ps_accept(ps, "asc"))
        key->flags |= KQ_SORT_ASC;
    else
        kq_ps_accept(ps, "desc");
    if (kq_ps_at(ps, "nulls")) {
        kq_ps_advance(ps);
        if (kq_ps_accept(ps, "first"))
            key->flags |= KQ_SORT_NULLS_FIRST;
        else if (kq_ps_accept(ps, "last"))
            key->flags |= KQ_SORT_NULLS_LAST;
        else
            kq_ps_fail_at(ps, kq_ps_peek(ps), "'first' or 'last' after nulls");
    }
    return key;
}

static kq_ast *parse_summarize(parser *ps, const kq_token *keyword)
{
    kid_list aggregates = {0}, by = {0};
    if (!kq_ps_at(ps, "by")) {
        do {
            kq_ps_kids_push(ps, &aggregates, kq_ps_assignment(ps));
        } while (kq_ps_accept(ps, ","));
    }
    uint32_t end = aggregates.count ? aggregates.items[aggregates.count - 1]->end : keyword->end;
    if (kq_ps_accept(ps, "by")) {
        do {
            kq_ps_kids_push(ps, &by, kq_ps_assignment(ps));
        } while (kq_ps_accept(ps, ","));
        end = by.items[by.count - 1]->end;
    }
    kq_ast *agg_list = kq_ps_node(ps, KQ_AST_LIST, keyword->start, end);
    kq_ps_kids_attach(ps, agg_list, &aggregates);
    kq_ast *by_list = kq_ps_node(ps, KQ_AST_LIST, keyword->start, end);
    kq_ps_kids_attach(ps, by_list, &by);
    return kq_ps_node2(ps, KQ_AST_SUMMARIZE, agg_list, by_list);
}

/* Column names for project-away/-reorder; a trailing '*' makes a wildcard (flags 1). */
static kq_ast *parse_column_pattern(parser *ps)
{
    const kq_token *name = kq_ps_expect_name(ps, "a column name");
    kq_ast *n = kq_ps_node(ps, KQ_AST_NAME, name->start, name->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    if (kq_ps_at(ps, "*") && !kq_ps_peek(ps)->space_before) {
        n->end = kq_ps_advance(ps)->end;
        n->flags = 1;
    }
    return n;
}

/* project-reorder's optional asc, desc, granny-asc or granny-desc after a column pattern. */
static void parse_reorder_direction(parser *ps, kq_ast *pattern)
{
    uint32_t flags = 0;
    if (kq_ps_at(ps, "granny") && kq_token_is(kq_ps_peek_at(ps, 1), "-")) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        flags = KQ_REORDER_NATURAL;
        if (!kq_ps_at(ps, "asc") && !kq_ps_at(ps, "desc"))
            kq_ps_fail_at(ps, kq_ps_peek(ps), "asc or desc after granny-");
    }
    if (kq_ps_accept(ps, "asc"))
        flags |= KQ_REORDER_ASC;
    else if (kq_ps_accept(ps, "desc"))
        flags |= KQ_REORDER_DESC;
    pattern->flags |= flags;
    if (flags)
        pattern->end = ps->tokens[ps->pos - 1].end;
}

static kq_ast *parse_project_variant(parser *ps, const kq_token *keyword)
{
    kq_ps_advance(ps); /* - */
    const kq_token *variant = kq_ps_advance(ps);
    kq_ast_kind kind;
    if (kq_token_is(variant, "away"))
        kind = KQ_AST_PROJECT_AWAY;
    else if (kq_token_is(variant, "rename"))
        kind = KQ_AST_PROJECT_RENAME;
    else if (kq_token_is(variant, "reorder"))
        kind = KQ_AST_PROJECT_REORDER;
    else if (kq_token_is(variant, "keep"))
        kind = KQ_AST_PROJECT_KEEP;
    else if (kq_token_is(variant, "by") && kq_ps_at(ps, "-") && kq_token_is(kq_ps_peek_at(ps, 1), "names"))
        kind = KQ_AST_PROJECT_BY_NAMES;
    else
        kq_ps_fail_at(ps, variant, "project-away, project-keep, project-rename, project-reorder or project-by-names");
    if (kind == KQ_AST_PROJECT_BY_NAMES) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
    }
    kid_list kids = {0};
    do {
        if (kind == KQ_AST_PROJECT_BY_NAMES) {
            kq_ps_kids_push(ps, &kids, kq_ps_or(ps));
        } else if (kind == KQ_AST_PROJECT_RENAME) {
            const kq_token *name = kq_ps_expect_name(ps, "the new column name");
            kq_ps_expect(ps, "=", "'=' and the column to rename");
            const kq_token *old_name = kq_ps_expect_name(ps, "the column to rename");
            kq_ast *value = kq_ps_node(ps, KQ_AST_NAME, old_name->start, old_name->end);
            value->text = old_name->text;
            kq_ast *assign = kq_ps_node1(ps, KQ_AST_ASSIGN, name->start, old_name->end, value);
            assign->text = name->text;
            assign->text_start = name->start;
            assign->text_end = name->end;
            kq_ps_kids_push(ps, &kids, assign);
        } else {
            kq_ast *pattern = parse_column_pattern(ps);
            if (kind == KQ_AST_PROJECT_REORDER)
                parse_reorder_direction(ps, pattern);
            kq_ps_kids_push(ps, &kids, pattern);
        }
    } while (kq_ps_accept(ps, ","));
    kq_ast *n = kq_ps_node(ps, kind, keyword->start, kids.items[kids.count - 1]->end);
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

/* ---- join, lookup, union, mv-expand, parse, range ---- */

static const struct {
    const char *name;
    int kind;
} join_kinds[] = {
    {"innerunique", KQ_JOIN_INNERUNIQUE}, {"inner", KQ_JOIN_INNER},
    {"leftouter", KQ_JOIN_LEFTOUTER},     {"rightouter", KQ_JOIN_RIGHTOUTER},
    {"fullouter", KQ_JOIN_FULLOUTER},     {"leftanti", KQ_JOIN_LEFTANTI},
    {"anti", KQ_JOIN_LEFTANTI},           {"leftantisemi", KQ_JOIN_LEFTANTI},
    {"rightanti", KQ_JOIN_RIGHTANTI},     {"rightantisemi", KQ_JOIN_RIGHTANTI},
    {"leftsemi", KQ_JOIN_LEFTSEMI},       {"rightsemi", KQ_JOIN_RIGHTSEMI},
};

/* Skips hint.strategy=shuffle style options, which change how Kusto distributes work, not results. */
static void skip_hints(parser *ps)
{
    while (kq_ps_is_ident(kq_ps_peek(ps)) && kq_str_eq(kq_ps_peek(ps)->text, "hint") && kq_token_is(kq_ps_peek_at(ps, 1), ".")) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        kq_ps_expect_name(ps, "a hint name");
        kq_ps_expect(ps, "=", "'=' after the hint name");
        kq_ps_advance(ps);
    }
}

/* The right side of join/lookup: (tabular expression) or a name. */
kq_ast *kq_ps_right_side(parser *ps)
{
    if (kq_ps_at(ps, "(")) {
        kq_ps_advance(ps);
        kq_ps_enter(ps);
        kq_ast *inner = kq_ps_expr(ps);
        kq_ps_leave(ps);
        kq_ps_expect(ps, ")", "')' after the right side");
        return inner;
    }
    const kq_token *name = kq_ps_expect_name(ps, "the right side: a table name or (tabular expression)");
    kq_ast *n = kq_ps_node(ps, KQ_AST_NAME, name->start, name->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    return n;
}

/* $left.A or $right.B: returns the column name and which side. */
static kq_ast *parse_side_column(parser *ps, int *side)
{
    const kq_token *token = kq_ps_peek(ps);
    *side = 0;
    if (kq_token_is(token, "$left") || kq_token_is(token, "$right")) {
        *side = kq_token_is(token, "$left") ? 1 : 2;
        kq_ps_advance(ps);
        kq_ps_expect(ps, ".", "'.' and a column name after $left or $right");
    }
    const kq_token *name = kq_ps_expect_name(ps, "a join column");
    kq_ast *n = kq_ps_node(ps, KQ_AST_NAME, token->start, name->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    return n;
}

static kq_ast *parse_join_key(parser *ps)
{
    int side_a, side_b;
    kq_ast *a = parse_side_column(ps, &side_a);
    if (side_a == 0)
        return kq_ps_node2(ps, KQ_AST_JOIN_KEY, a, a);
    kq_ps_expect(ps, "==", "'==' between $left and $right columns");
    kq_ast *b = parse_side_column(ps, &side_b);
    if (side_b == 0 || side_b == side_a)
        kq_ps_fail_at(ps, kq_ps_peek(ps), "one $left and one $right column");
    return side_a == 1 ? kq_ps_node2(ps, KQ_AST_JOIN_KEY, a, b) : kq_ps_node2(ps, KQ_AST_JOIN_KEY, b, a);
}

static kq_ast *parse_join(parser *ps, const kq_token *keyword, bool lookup)
{
    int kind = lookup ? KQ_JOIN_LEFTOUTER : KQ_JOIN_INNERUNIQUE;
    for (;;) {
        skip_hints(ps);
        if (!kq_ps_at(ps, "kind"))
            break;
        kq_ps_advance(ps);
        kq_ps_expect(ps, "=", "'=' after kind");
        const kq_token *value = kq_ps_expect_name(ps, "a join kind");
        size_t i;
        for (i = 0; i < KQ_ARRAY_LEN(join_kinds); i++)
            if (kq_str_eq(value->text, join_kinds[i].name))
                break;
        if (i == KQ_ARRAY_LEN(join_kinds) || (lookup && join_kinds[i].kind != KQ_JOIN_INNER &&
                                              join_kinds[i].kind != KQ_JOIN_LEFTOUTER)) {
            ps->pos--;
            kq_ps_fail_at(ps, value, lookup ? "kind=leftouter or kind=inner" : "a join kind (innerunique, inner, leftouter, rightouter, fullouter, leftanti, rightanti, leftsemi, rightsemi)");
        }
        kind = join_kinds[i].kind;
    }
    kid_list kids = {0};
    kq_ps_kids_push(ps, &kids, kq_ps_right_side(ps));
    kq_ps_expect(ps, "on", "'on' and the join columns");
    do {
        kq_ps_kids_push(ps, &kids, parse_join_key(ps));
    } while (kq_ps_accept(ps, ",") || kq_ps_accept(ps, "and"));
    kq_ast *n = kq_ps_node(ps, lookup ? KQ_AST_LOOKUP : KQ_AST_JOIN, keyword->start, kids.items[kids.count - 1]->end);
    n->flags = (uint32_t)kind;
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

/* One union leg: (tabular expression), a table name, a wildcard (Device* or * for every
 * table: a KQ_AST_NAME with flags 1), or a call of a tabular function or pattern, such as
 * App('a1').Metrics. */
kq_ast *kq_ps_union_leg(parser *ps)
{
    if (kq_ps_at(ps, "("))
        return kq_ps_right_side(ps);
    if (kq_ps_at(ps, "*")) {
        const kq_token *star = kq_ps_advance(ps);
        kq_ast *every = kq_ps_node(ps, KQ_AST_NAME, star->start, star->end);
        every->text = (kq_str){"", 0};
        every->flags = 1;
        return every;
    }
    const kq_token *name = kq_ps_expect_name(ps, "a table name or (tabular expression)");
    if (kq_ps_at(ps, "(") && !kq_ps_peek(ps)->space_before) {
        kq_ast *call = kq_ps_call(ps, name);
        if (!kq_ps_at(ps, ".") || !kq_ps_is_ident(kq_ps_peek_at(ps, 1)))
            return call;
        kq_ps_advance(ps);
        const kq_token *member = kq_ps_advance(ps);
        kq_ast *path = kq_ps_node1(ps, KQ_AST_MEMBER, call->start, member->end, call);
        path->text = member->text;
        path->text_start = member->start;
        path->text_end = member->end;
        return path;
    }
    kq_ast *table = kq_ps_node(ps, KQ_AST_NAME, name->start, name->end);
    table->text = name->text;
    table->text_start = name->start;
    table->text_end = name->end;
    if (kq_ps_at(ps, "*") && !kq_ps_peek(ps)->space_before) {
        table->end = kq_ps_advance(ps)->end;
        table->flags = 1;
    }
    return table;
}

/* union [kind=inner|outer] [withsource=Name] T1, T2, ...; `input` is the piped table or NULL. */
kq_ast *kq_ps_union(parser *ps, const kq_token *keyword, kq_ast *input)
{
    kq_ast *n = kq_ps_node(ps, KQ_AST_UNION, keyword->start, keyword->end);
    for (;;) {
        skip_hints(ps);
        if (kq_ps_at(ps, "kind") && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
            kq_ps_advance(ps);
            kq_ps_advance(ps);
            const kq_token *value = kq_ps_expect_name(ps, "inner or outer");
            if (kq_str_eq(value->text, "inner"))
                n->flags |= 1;
            else if (!kq_str_eq(value->text, "outer"))
                kq_ps_fail_at(ps, value, "inner or outer");
        } else if (kq_ps_at(ps, "withsource") && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
            kq_ps_advance(ps);
            kq_ps_advance(ps);
            const kq_token *name = kq_ps_expect_name(ps, "a column name for the source table");
            n->text = name->text;
        } else if (kq_ps_at(ps, "isfuzzy") && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
            kq_ps_advance(ps);
            kq_ps_advance(ps);
            const kq_token *value = kq_ps_expect_name(ps, "true or false");
            if (kq_str_eq(value->text, "true"))
                n->flags |= 2;
            else if (!kq_str_eq(value->text, "false"))
                kq_ps_fail_at(ps, value, "true or false");
        } else {
            break;
        }
    }
    kid_list kids = {0};
    if (input)
        kq_ps_kids_push(ps, &kids, input);
    do {
        kq_ps_kids_push(ps, &kids, kq_ps_union_leg(ps));
    } while (kq_ps_accept(ps, ","));
    n->end = kids.items[kids.count - 1]->end;
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

/* mv-expand [with_itemindex=I] [Name =] Expr [to typeof(T)], ... [limit N] */
static kq_ast *parse_mv_expand(parser *ps, const kq_token *keyword)
{
    kq_ast *n = kq_ps_node(ps, KQ_AST_MV_EXPAND, keyword->start, keyword->end);
    for (;;) {
        if ((kq_ps_at(ps, "bagexpansion") || kq_ps_at(ps, "kind")) && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
            kq_ps_advance(ps);
            kq_ps_advance(ps);
            const kq_token *mode = kq_ps_expect_name(ps, "bag or array");
            if (kq_str_eq(mode->text, "array"))
                n->flags = 1; /* a property bag expands into [key, value] arrays */
            else if (!kq_str_eq(mode->text, "bag"))
                kq_ps_fail_at(ps, mode, "bag or array");
        } else if (kq_ps_at(ps, "with_itemindex") && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
            kq_ps_advance(ps);
            kq_ps_advance(ps);
            n->text = kq_ps_expect_name(ps, "a column name for the item index")->text;
        } else {
            break;
        }
    }
    kid_list kids = {0};
    do {
        kq_ast *expr = kq_ps_assignment(ps);
        kq_ast *item = kq_ps_node1(ps, KQ_AST_MV_ITEM, expr->start, expr->end, expr->kind == KQ_AST_ASSIGN ? expr->kids[0] : expr);
        if (expr->kind == KQ_AST_ASSIGN)
            item->text = expr->text;
        item->value.type = KQ_DYNAMIC;
        if (kq_ps_at(ps, "to") && kq_token_is(kq_ps_peek_at(ps, 1), "typeof")) {
            kq_ps_advance(ps);
            kq_ps_advance(ps);
            kq_ps_expect(ps, "(", "'(' after typeof");
            const kq_token *type_name = kq_ps_expect_name(ps, "a type name");
            item->value.type = kq_type_from_name(type_name->text.ptr, type_name->text.len);
            if (item->value.type == KQ_TYPE_NONE)
                kq_ps_fail_at(ps, type_name, "a scalar type");
            item->end = kq_ps_expect(ps, ")", "')'")->end;
        }
        kq_ps_kids_push(ps, &kids, item);
    } while (kq_ps_accept(ps, ","));
    if (kq_ps_accept(ps, "limit")) {
        const kq_token *limit = kq_ps_peek(ps);
        if (limit->kind != KQ_TOK_LONG)
            kq_ps_fail_at(ps, limit, "a row limit");
        kq_ps_advance(ps);
        n->value.u.l = limit->num.l;
    }
    n->end = kids.items[kids.count - 1]->end;
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

/* make-series [Name =] Aggregate [default = V], ... on Axis [from A] [to B] step S [by Keys] */
static kq_ast *parse_make_series(parser *ps, const kq_token *keyword)
{
    kid_list aggs = {0};
    while (kq_ps_at(ps, "kind") || kq_ps_at(ps, "hint")) {
        /* kind=nonempty and hints change empty-series handling and distribution; skipped. */
        kq_ps_advance(ps);
        if (kq_ps_accept(ps, "."))
            kq_ps_advance(ps);
        kq_ps_expect(ps, "=", "'='");
        kq_ps_advance(ps);
    }
    do {
        kq_ast *item = kq_ps_assignment(ps);
        kq_ast *agg = kq_ps_node1(ps, KQ_AST_SERIES_AGG, item->start, item->end, item);
        if (kq_ps_at(ps, "default") && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
            kq_ps_advance(ps);
            kq_ps_advance(ps);
            kq_ast *value = kq_ps_additive(ps);
            agg = kq_ps_node2(ps, KQ_AST_SERIES_AGG, item, value);
        }
        kq_ps_kids_push(ps, &aggs, agg);
    } while (kq_ps_accept(ps, ","));
    kq_ps_expect(ps, "on", "'on' and the axis column");
    kq_ast *kids[6];
    kids[1] = kq_ps_additive(ps);
    const kq_token *here = kq_ps_peek(ps);
    kids[2] = kq_ps_accept(ps, "from") ? kq_ps_additive(ps) : kq_ps_node(ps, KQ_AST_STAR, here->start, here->start);
    here = kq_ps_peek(ps);
    kids[3] = kq_ps_accept(ps, "to") ? kq_ps_additive(ps) : kq_ps_node(ps, KQ_AST_STAR, here->start, here->start);
    kq_ps_expect(ps, "step", "'step' and the bin size");
    kids[4] = kq_ps_additive(ps);
    kid_list by = {0};
    if (kq_ps_accept(ps, "by")) {
        do {
            kq_ps_kids_push(ps, &by, kq_ps_assignment(ps));
        } while (kq_ps_accept(ps, ","));
    }
    kids[0] = kq_ps_node(ps, KQ_AST_LIST, keyword->start, keyword->end);
    kq_ps_kids_attach(ps, kids[0], &aggs);
    kids[5] = kq_ps_node(ps, KQ_AST_LIST, keyword->start, keyword->end);
    kq_ps_kids_attach(ps, kids[5], &by);
    kq_ast *n = kq_ps_node(ps, KQ_AST_MAKE_SERIES, keyword->start, (kq_ps_peek(ps) - 1)->end);
    n->kids = kq_arena_alloc(ps->arena, sizeof kids);
    memcpy(n->kids, kids, sizeof kids);
    n->nkids = 6;
    return n;
}

/* top-nested [N] of [Name =] Expr [with others = V] by [Name =] Aggregate [asc|desc], top-nested ... */
static kq_ast *parse_top_nested(parser *ps, const kq_token *keyword)
{
    kid_list levels = {0};
    for (;;) {
        const kq_token *start = kq_ps_peek(ps);
        kq_ast *level = kq_ps_node(ps, KQ_AST_TOP_LEVEL, start->start, start->end);
        level->kids = kq_arena_alloc(ps->arena, 4 * sizeof(kq_ast *));
        level->nkids = 3;
        if (kq_ps_at(ps, "of"))
            level->kids[0] = kq_ps_node(ps, KQ_AST_STAR, start->start, start->end);
        else
            level->kids[0] = kq_ps_additive(ps);
        kq_ps_expect(ps, "of", "'of' and the grouping expression");
        level->kids[1] = kq_ps_assignment(ps);
        if (kq_ps_accept(ps, "with")) {
            kq_ps_expect(ps, "others", "'others' after with");
            kq_ps_expect(ps, "=", "'=' and the value of the others row");
            level->kids[3] = kq_ps_additive(ps);
            level->nkids = 4;
        }
        kq_ps_expect(ps, "by", "'by' and an aggregate");
        level->kids[2] = kq_ps_assignment(ps);
        if (kq_ps_accept(ps, "asc"))
            level->flags |= KQ_SORT_ASC;
        else
            kq_ps_accept(ps, "desc");
        level->end = kq_ps_peek_at(ps, 0)->start;
        kq_ps_kids_push(ps, &levels, level);
        if (!(kq_ps_at(ps, ",") && kq_token_is(kq_ps_peek_at(ps, 1), "top") && kq_token_is(kq_ps_peek_at(ps, 2), "-") &&
              kq_token_is(kq_ps_peek_at(ps, 3), "nested")))
            break;
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        kq_ps_advance(ps);
    }
    kq_ast *n = kq_ps_node(ps, KQ_AST_TOP_NESTED, keyword->start, levels.items[levels.count - 1]->end);
    kq_ps_kids_attach(ps, n, &levels);
    return n;
}

/* partition [hint.x=y] by Column ( operators over one partition's rows ) */
static kq_ast *parse_partition(parser *ps, const kq_token *keyword)
{
    skip_hints(ps);
    kq_ps_expect(ps, "by", "'by' and the partition column");
    const kq_token *name = kq_ps_expect_name(ps, "the partition column");
    kq_ast *column = kq_ps_node(ps, KQ_AST_NAME, name->start, name->end);
    column->text = name->text;
    column->text_start = name->start;
    column->text_end = name->end;
    skip_hints(ps);
    const kq_token *open = kq_ps_expect(ps, "(", "'(' and the subquery");
    kq_ast *subquery = kq_ps_node(ps, KQ_AST_APPLY_SOURCE, open->start, open->end);
    do {
        subquery = kq_ps_node2(ps, KQ_AST_PIPE, subquery, kq_ps_operator(ps));
    } while (kq_ps_accept(ps, "|"));
    const kq_token *close = kq_ps_expect(ps, ")", "'|' or ')' after the subquery");
    kq_ast *n = kq_ps_node2(ps, KQ_AST_PARTITION, column, subquery);
    n->start = keyword->start;
    n->end = close->end;
    return n;
}

/* mv-apply items... on (operators over the record's rows) */
static kq_ast *parse_mv_apply(parser *ps, const kq_token *keyword)
{
    kq_ast *expand = parse_mv_expand(ps, keyword);
    kq_ps_expect(ps, "on", "'on' and the subquery in parentheses");
    const kq_token *open = kq_ps_expect(ps, "(", "'(' and the subquery");
    kq_ast *source = kq_ps_node(ps, KQ_AST_APPLY_SOURCE, open->start, open->end);
    kq_ast *subquery = source;
    do {
        kq_ast *op = kq_ps_operator(ps);
        subquery = kq_ps_node2(ps, KQ_AST_PIPE, subquery, op);
    } while (kq_ps_accept(ps, "|"));
    const kq_token *close = kq_ps_expect(ps, ")", "'|' or ')' after the subquery");
    kq_ast *n = kq_ps_node(ps, KQ_AST_MV_APPLY, keyword->start, close->end);
    n->text = expand->text;
    n->value = expand->value;
    n->flags = expand->nkids;
    n->kids = kq_arena_alloc(ps->arena, (expand->nkids + 1) * sizeof(kq_ast *));
    memcpy(n->kids, expand->kids, expand->nkids * sizeof(kq_ast *));
    n->kids[expand->nkids] = subquery;
    n->nkids = expand->nkids + 1;
    return n;
}

/* parse [kind=simple|regex|relaxed] Expr with * "literal" Column:type ... */
static kq_ast *parse_parse(parser *ps, const kq_token *keyword)
{
    kq_ast *n = kq_ps_node(ps, KQ_AST_PARSE, keyword->start, keyword->end);
    if (kq_ps_at(ps, "kind") && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        const kq_token *kind = kq_ps_expect_name(ps, "simple, regex or relaxed");
        if (kq_str_eq(kind->text, "regex"))
            n->flags = 1;
        else if (kq_str_eq(kind->text, "relaxed"))
            n->flags = 2;
        else if (!kq_str_eq(kind->text, "simple"))
            kq_ps_fail_at(ps, kind, "simple, regex or relaxed");
        if (kq_ps_at(ps, "flags") && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
            kq_ps_advance(ps);
            kq_ps_advance(ps);
            const kq_token *flags = kq_ps_expect_name(ps, "regex flags such as U, i, m or s");
            n->text = flags->text;
        }
    }
    kid_list kids = {0};
    kq_ps_kids_push(ps, &kids, kq_ps_additive(ps));
    kq_ps_expect(ps, "with", "'with' and the pattern");
    for (;;) {
        const kq_token *token = kq_ps_peek(ps);
        kq_ast *part;
        if (token->kind == KQ_TOK_STRING) {
            kq_ps_advance(ps);
            part = kq_ps_literal(ps, token, kq_string(token->text.ptr, token->text.len));
            part->kind = KQ_AST_PARSE_PART;
        } else if (kq_ps_at(ps, "*")) {
            kq_ps_advance(ps);
            part = kq_ps_node(ps, KQ_AST_PARSE_PART, token->start, token->end);
            part->flags = 1;
        } else if (kq_ps_is_ident(token) && !kq_token_is(token, "|")) {
            kq_ps_advance(ps);
            part = kq_ps_node(ps, KQ_AST_PARSE_PART, token->start, token->end);
            part->text = token->text;
            part->value.type = KQ_STRING;
            part->flags = 2;
            if (kq_ps_accept(ps, ":")) {
                const kq_token *type_name = kq_ps_expect_name(ps, "a column type");
                part->value.type = kq_type_from_name(type_name->text.ptr, type_name->text.len);
                if (part->value.type == KQ_TYPE_NONE)
                    kq_ps_fail_at(ps, type_name, "a scalar type");
                part->end = type_name->end;
            }
        } else {
            break;
        }
        kq_ps_kids_push(ps, &kids, part);
    }
    if (kids.count < 2)
        kq_ps_fail_at(ps, kq_ps_peek(ps), "a pattern of string literals and columns");
    n->end = kids.items[kids.count - 1]->end;
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

/* parse-kv Expr as (Key:type, ...) [with (option = value, ...)] */
static kq_ast *parse_parse_kv(parser *ps, const kq_token *keyword)
{
    kid_list kids = {0};
    kq_ps_kids_push(ps, &kids, kq_ps_additive(ps));
    kq_ps_expect(ps, "as", "'as' and the keys to extract, such as (Key:string, ...)");
    kq_ps_expect(ps, "(", "'(' and the keys to extract");
    uint32_t nkeys = 0;
    do {
        kq_ps_kids_push(ps, &kids, kq_ps_column_decl(ps));
        nkeys++;
    } while (kq_ps_accept(ps, ","));
    uint32_t end = kq_ps_expect(ps, ")", "',' or ')' after a key")->end;
    if (kq_ps_accept(ps, "with")) {
        kq_ps_expect(ps, "(", "'(' and the options, such as (pair_delimiter=',', kv_delimiter=':')");
        do {
            const kq_token *name = kq_ps_expect_name(ps, "an option: pair_delimiter, kv_delimiter, quote, escape, greedy or regex");
            kq_ps_expect(ps, "=", "'=' and the option's value");
            kq_ast *value = kq_ps_additive(ps);
            kq_ast *option = kq_ps_node1(ps, KQ_AST_ASSIGN, name->start, value->end, value);
            option->text = name->text;
            option->text_start = name->start;
            option->text_end = name->end;
            kq_ps_kids_push(ps, &kids, option);
        } while (kq_ps_accept(ps, ","));
        end = kq_ps_expect(ps, ")", "',' or ')' after an option")->end;
    }
    kq_ast *n = kq_ps_node(ps, KQ_AST_PARSE_KV, keyword->start, end);
    kq_ps_kids_attach(ps, n, &kids);
    n->flags = nkeys;
    return n;
}

/* step Name [output = all|last|none] : Condition [=> Column = Expr, ...] ; */
static kq_ast *parse_scan_step(parser *ps)
{
    const kq_token *keyword = kq_ps_expect(ps, "step", "'step' and a step name");
    const kq_token *name = kq_ps_expect_name(ps, "a step name");
    kq_ast *n = kq_ps_node(ps, KQ_AST_SCAN_STEP, keyword->start, name->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    if (kq_ps_accept(ps, "output")) {
        kq_ps_expect(ps, "=", "'=' after output");
        const kq_token *mode = kq_ps_expect_name(ps, "all, last or none");
        if (kq_str_eq(mode->text, "last"))
            n->flags = KQ_SCAN_OUTPUT_LAST;
        else if (kq_str_eq(mode->text, "none"))
            n->flags = KQ_SCAN_OUTPUT_NONE;
        else if (!kq_str_eq(mode->text, "all"))
            kq_ps_fail_at(ps, mode, "all, last or none");
    }
    kq_ps_expect(ps, ":", "':' and the step's condition");
    kid_list kids = {0};
    kq_ps_kids_push(ps, &kids, kq_ps_expr(ps));
    if (kq_ps_accept(ps, "=>")) {
        do {
            kq_ps_kids_push(ps, &kids, kq_ps_assignment(ps));
        } while (kq_ps_accept(ps, ","));
    }
    n->end = kids.items[kids.count - 1]->end;
    kq_ps_kids_attach(ps, n, &kids);
    kq_ps_expect(ps, ";", "';' after the step");
    return n;
}

/* scan [with_match_id = Name] [declare (Name:type [= value], ...)] with (step ...; ...) */
static kq_ast *parse_scan(parser *ps, const kq_token *keyword)
{
    kq_ast *n = kq_ps_node(ps, KQ_AST_SCAN, keyword->start, keyword->end);
    kid_list kids = {0};
    if (kq_ps_at(ps, "with_match_id")) {
        kq_ps_advance(ps);
        kq_ps_expect(ps, "=", "'=' and the match id column name");
        const kq_token *name = kq_ps_expect_name(ps, "the match id column name");
        n->text = name->text;
        n->text_start = name->start;
        n->text_end = name->end;
    }
    if (kq_ps_accept(ps, "declare")) {
        kq_ps_expect(ps, "(", "'(' and the declared columns");
        do {
            kq_ast *decl = kq_ps_column_decl(ps);
            if (kq_ps_accept(ps, "=")) {
                kq_ast *value = kq_ps_additive(ps);
                decl->kids = kq_arena_alloc(ps->arena, sizeof(kq_ast *));
                decl->kids[0] = value;
                decl->nkids = 1;
                decl->end = value->end;
            }
            kq_ps_kids_push(ps, &kids, decl);
            n->flags++;
        } while (kq_ps_accept(ps, ","));
        kq_ps_expect(ps, ")", "',' or ')' after a declared column");
    }
    kq_ps_expect(ps, "with", "'with' and the steps in parentheses");
    kq_ps_expect(ps, "(", "'(' and the steps");
    do {
        kq_ps_kids_push(ps, &kids, parse_scan_step(ps));
    } while (kq_ps_at(ps, "step"));
    n->end = kq_ps_expect(ps, ")", "another step or ')' after the steps")->end;
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

/* range Column from A to B step C */
kq_ast *kq_ps_range(parser *ps, const kq_token *keyword)
{
    const kq_token *name = kq_ps_expect_name(ps, "a column name after range");
    kq_ps_expect(ps, "from", "'from'");
    kq_ast *from = kq_ps_additive(ps);
    kq_ps_expect(ps, "to", "'to'");
    kq_ast *to = kq_ps_additive(ps);
    kq_ps_expect(ps, "step", "'step'");
    kq_ast *step = kq_ps_additive(ps);
    kq_ast *n = kq_ps_node(ps, KQ_AST_RANGE, keyword->start, step->end);
    n->text = name->text;
    n->kids = kq_arena_alloc(ps->arena, 3 * sizeof(kq_ast *));
    n->kids[0] = from;
    n->kids[1] = to;
    n->kids[2] = step;
    n->nkids = 3;
    return n;
}

/* evaluate runs plugins, none of which kqlite has. bag_unpack is the one Sentinel rules use
 * most; its columns are the keys found in the data, which a compiled query cannot know. */
_Noreturn static void reject_evaluate(parser *ps, const kq_token *keyword)
{
    const kq_token *plugin = kq_ps_peek(ps);
    uint32_t end = kq_ps_is_ident(plugin) ? plugin->end : keyword->end;
    kq_diag *diag = kq_ps_is_ident(plugin)
                        ? kq_diags_add(ps->diags, ps->source, KQ_SEVERITY_ERROR, keyword->start, end,
                                       "evaluate %.*s is not supported: kqlite has no evaluate plugins",
                                       (int)plugin->text.len, plugin->text.ptr)
                        : kq_diags_add(ps->diags, ps->source, KQ_SEVERITY_ERROR, keyword->start, end,
                                       "evaluate is not supported: kqlite has no evaluate plugins");
    if (kq_token_is(plugin, "bag_unpack"))
        kq_diag_set_hint(diag, "bag_unpack's columns are the keys found in the data, and kqlite fixes a query's "
                               "columns before reading data; extract the keys instead: "
                               "extend User = tostring(Bag.User)");
    longjmp(ps->fail, 1);
}

kq_ast *kq_ps_operator(parser *ps)
{
    const kq_token *keyword = kq_ps_peek(ps);
    if (!kq_ps_is_ident(keyword) || keyword->bracketed)
        kq_ps_fail_at(ps, keyword, "a query operator (where, extend, project, summarize, ...)");
    kq_ps_advance(ps);
    if (kq_token_is(keyword, "evaluate"))
        reject_evaluate(ps, keyword);
    if (kq_token_is(keyword, "where") || kq_token_is(keyword, "filter")) {
        kq_ast *predicate = kq_ps_or(ps);
        return kq_ps_node1(ps, KQ_AST_WHERE, keyword->start, predicate->end, predicate);
    }
    if (kq_token_is(keyword, "extend"))
        return kq_ps_assignment_list(ps, KQ_AST_EXTEND, keyword);
    if (kq_token_is(keyword, "project") && kq_ps_at(ps, "-") && !kq_ps_peek(ps)->space_before &&
        kq_ps_is_ident(kq_ps_peek_at(ps, 1)) && !kq_ps_peek_at(ps, 1)->space_before)
        return parse_project_variant(ps, keyword);
    if (kq_token_is(keyword, "project"))
        return kq_ps_assignment_list(ps, KQ_AST_PROJECT, keyword);
    if (kq_token_is(keyword, "summarize")) {
        kq_ast *n = parse_summarize(ps, keyword);
        n->start = keyword->start;
        return n;
    }
    if (kq_token_is(keyword, "distinct")) {
        if (kq_ps_at(ps, "*")) {
            const kq_token *star = kq_ps_advance(ps);
            return kq_ps_node1(ps, KQ_AST_DISTINCT, keyword->start, star->end,
                         kq_ps_node(ps, KQ_AST_STAR, star->start, star->end));
        }
        return kq_ps_assignment_list(ps, KQ_AST_DISTINCT, keyword);
    }
    if (kq_token_is(keyword, "sort") || kq_token_is(keyword, "order")) {
        kq_ps_expect(ps, "by", "'by' after sort or order");
        kid_list keys = {0};
        do {
            kq_ps_kids_push(ps, &keys, parse_sort_key(ps));
        } while (kq_ps_accept(ps, ","));
        kq_ast *n = kq_ps_node(ps, KQ_AST_SORT, keyword->start, keys.items[keys.count - 1]->end);
        kq_ps_kids_attach(ps, n, &keys);
        return n;
    }
    if (kq_token_is(keyword, "take") || kq_token_is(keyword, "limit")) {
        kq_ast *count = kq_ps_or(ps);
        return kq_ps_node1(ps, KQ_AST_TAKE, keyword->start, count->end, count);
    }
    if (kq_token_is(keyword, "scan"))
        return parse_scan(ps, keyword);
    if (kq_token_is(keyword, "search"))
        return kq_parse_search(ps, keyword, false);
    if (kq_token_is(keyword, "make") && kq_ps_at(ps, "-") && kq_token_is(kq_ps_peek_at(ps, 1), "graph")) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        return kq_parse_make_graph(ps, keyword);
    }
    if (kq_token_is(keyword, "graph") && kq_ps_at(ps, "-") && kq_token_is(kq_ps_peek_at(ps, 1), "match")) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        return kq_parse_graph_match(ps, keyword, false);
    }
    if (kq_token_is(keyword, "graph") && kq_ps_at(ps, "-") && kq_token_is(kq_ps_peek_at(ps, 1), "mark") &&
        kq_token_is(kq_ps_peek_at(ps, 2), "-") && kq_token_is(kq_ps_peek_at(ps, 3), "components")) {
        for (int i = 0; i < 4; i++)
            kq_ps_advance(ps);
        return kq_parse_mark_components(ps, keyword);
    }
    if (kq_token_is(keyword, "graph") && kq_ps_at(ps, "-") && kq_token_is(kq_ps_peek_at(ps, 1), "to") &&
        kq_token_is(kq_ps_peek_at(ps, 2), "-") && kq_token_is(kq_ps_peek_at(ps, 3), "table")) {
        for (int i = 0; i < 4; i++)
            kq_ps_advance(ps);
        return kq_parse_graph_to_table(ps, keyword);
    }
    if (kq_token_is(keyword, "graph") && kq_ps_at(ps, "-") && kq_token_is(kq_ps_peek_at(ps, 1), "shortest") &&
        kq_token_is(kq_ps_peek_at(ps, 2), "-") && kq_token_is(kq_ps_peek_at(ps, 3), "paths")) {
        for (int i = 0; i < 4; i++)
            kq_ps_advance(ps);
        return kq_parse_graph_match(ps, keyword, true);
    }
    if (kq_token_is(keyword, "partition"))
        return parse_partition(ps, keyword);
    if (kq_token_is(keyword, "make") && kq_ps_at(ps, "-") && !kq_ps_peek(ps)->space_before &&
        kq_token_is(kq_ps_peek_at(ps, 1), "series")) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        return parse_make_series(ps, keyword);
    }
    if (kq_token_is(keyword, "top") && kq_ps_at(ps, "-") && !kq_ps_peek(ps)->space_before &&
        kq_token_is(kq_ps_peek_at(ps, 1), "nested")) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        return parse_top_nested(ps, keyword);
    }
    if (kq_token_is(keyword, "top")) {
        kq_ast *count = kq_ps_additive(ps);
        kq_ps_expect(ps, "by", "'by' after the row count of top");
        kq_ast *key = parse_sort_key(ps);
        return kq_ps_node2(ps, KQ_AST_TOP, count, key);
    }
    if (kq_token_is(keyword, "count"))
        return kq_ps_node(ps, KQ_AST_COUNT, keyword->start, keyword->end);
    if (kq_token_is(keyword, "join"))
        return parse_join(ps, keyword, false);
    if (kq_token_is(keyword, "lookup"))
        return parse_join(ps, keyword, true);
    if (kq_token_is(keyword, "union"))
        return kq_ps_union(ps, keyword, NULL);
    if ((kq_token_is(keyword, "mv") && kq_ps_at(ps, "-") && kq_token_is(kq_ps_peek_at(ps, 1), "expand")) ||
        kq_token_is(keyword, "mvexpand")) {
        if (kq_token_is(keyword, "mv")) {
            kq_ps_advance(ps);
            kq_ps_advance(ps);
        }
        return parse_mv_expand(ps, keyword);
    }
    if ((kq_token_is(keyword, "mv") && kq_ps_at(ps, "-") && kq_token_is(kq_ps_peek_at(ps, 1), "apply")) ||
        kq_token_is(keyword, "mvapply")) {
        if (kq_token_is(keyword, "mv")) {
            kq_ps_advance(ps);
            kq_ps_advance(ps);
        }
        return parse_mv_apply(ps, keyword);
    }
    if (kq_token_is(keyword, "parse") && kq_ps_at(ps, "-") && !kq_ps_peek(ps)->space_before &&
        kq_token_is(kq_ps_peek_at(ps, 1), "kv")) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        return parse_parse_kv(ps, keyword);
    }
    if (kq_token_is(keyword, "parse") && kq_ps_at(ps, "-") && !kq_ps_peek(ps)->space_before &&
        kq_token_is(kq_ps_peek_at(ps, 1), "where")) {
        kq_ps_advance(ps);
        kq_ps_advance(ps);
        kq_ast *n = parse_parse(ps, keyword);
        n->flags |= KQ_PARSE_WHERE;
        return n;
    }
    if (kq_token_is(keyword, "parse"))
        return parse_parse(ps, keyword);
    if (kq_token_is(keyword, "serialize")) {
        kq_ast *n = kq_ps_node(ps, KQ_AST_SERIALIZE, keyword->start, keyword->end);
        if (kq_ps_is_ident(kq_ps_peek(ps)) && kq_token_is(kq_ps_peek_at(ps, 1), "=")) {
            kq_ast *list = kq_ps_assignment_list(ps, KQ_AST_EXTEND, keyword);
            n->kids = kq_arena_alloc(ps->arena, sizeof(kq_ast *));
            n->kids[0] = list;
            n->nkids = 1;
            n->end = list->end;
        }
        return n;
    }
    if (kq_token_is(keyword, "render")) {
        /* render only chooses a chart in Kusto's clients; the rows are unchanged. */
        kq_ast *n = kq_ps_node(ps, KQ_AST_SERIALIZE, keyword->start, keyword->end);
        while (kq_ps_peek(ps)->kind != KQ_TOK_EOF && !kq_ps_at(ps, "|") && !kq_ps_at(ps, ";") && !kq_ps_at(ps, ")"))
            n->end = kq_ps_advance(ps)->end;
        n->flags = 1;
        return n;
    }
    if (kq_token_is(keyword, "as")) {
        skip_hints(ps);
        const kq_token *name = kq_ps_expect_name(ps, "the name to give the table");
        kq_ast *n = kq_ps_node(ps, KQ_AST_AS, keyword->start, name->end);
        n->text = name->text;
        n->text_start = name->start;
        n->text_end = name->end;
        return n;
    }
    if (kq_token_is(keyword, "invoke")) {
        const kq_token *name = kq_ps_expect_name(ps, "a function name after invoke");
        if (!kq_ps_at(ps, "("))
            kq_ps_fail_at(ps, kq_ps_peek(ps), "'(' and the function's arguments");
        kq_ast *call = kq_ps_call(ps, name);
        return kq_ps_node1(ps, KQ_AST_INVOKE, keyword->start, call->end, call);
    }
    ps->pos--;
    kq_ps_fail_at(ps, keyword, "a query operator (where, extend, project, summarize, ...)");
}

