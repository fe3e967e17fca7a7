/*
 * Parsers of the graph operators:
 *   make-graph Source --> Target [with Nodes on Id | with_node_id=Name]
 *   graph-match [cycles=none|all|unique_edges] (a)-[e*1..3]->(b)<-[f]-(c) [where ...] project ...
 *   graph-shortest-paths [output=any|all] (a)-[e*1..5]->(b) [where ...] project ...
 */
#include "kql/parser_internal.h"

#include <stdint.h>

static kq_ast *name_node(parser *ps, const kq_token *name)
{
    kq_ast *n = kq_ps_node(ps, KQ_AST_NAME, name->start, name->end);
    n->text = name->text;
    n->text_start = name->start;
    n->text_end = name->end;
    return n;
}

kq_ast *kq_parse_make_graph(parser *ps, const kq_token *keyword)
{
    kid_list kids = {0};
    kq_ps_kids_push(ps, &kids, name_node(ps, kq_ps_expect_name(ps, "the source column")));
    kq_ps_expect(ps, "-", "'-->' or '--' between the source and target columns");
    kq_ps_expect(ps, "-", "'-->' or '--' between the source and target columns");
    kq_ast *n = kq_ps_node(ps, KQ_AST_MAKE_GRAPH, keyword->start, keyword->end);
    if (kq_ps_accept(ps, ">"))
        n->flags |= KQ_GRAPH_DIRECTED;
    const kq_token *target = kq_ps_expect_name(ps, "the target column");
    kq_ps_kids_push(ps, &kids, name_node(ps, target));
    n->end = target->end;
    if (kq_ps_accept(ps, "with")) {
        kq_ast *nodes = kq_ps_right_side(ps);
        kq_ps_expect(ps, "on", "'on' and the nodes table's id column");
        const kq_token *id = kq_ps_expect_name(ps, "the nodes table's id column");
        if (kq_ps_at(ps, ","))
            kq_ps_fail_at(ps, kq_ps_peek(ps), "one nodes table (several are not supported yet)");
        kq_ps_kids_push(ps, &kids, nodes);
        n->flags |= KQ_GRAPH_NODES_TABLE;
        n->text = id->text;
        n->end = id->end;
    } else if (kq_ps_at(ps, "with_node_id")) {
        kq_ps_advance(ps);
        kq_ps_expect(ps, "=", "'=' and the node id property name");
        const kq_token *id = kq_ps_expect_name(ps, "the node id property name");
        n->text = id->text;
        n->end = id->end;
    } else {
        n->text.ptr = "$id";
        n->text.len = 3;
    }
    if (kq_ps_at(ps, "partitioned"))
        kq_ps_fail_at(ps, kq_ps_peek(ps), "'|' (partitioned-by is not supported yet)");
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

/* (name) */
static kq_ast *parse_graph_node(parser *ps)
{
    const kq_token *open = kq_ps_expect(ps, "(", "'(' and a node variable");
    kq_ast *n = kq_ps_node(ps, KQ_AST_GRAPH_NODE, open->start, open->end);
    if (!kq_ps_at(ps, ")"))
        n->text = kq_ps_expect_name(ps, "a node variable name")->text;
    n->end = kq_ps_expect(ps, ")", "')' after the node variable")->end;
    return n;
}

/* [name] [*min..max] inside the brackets of an edge. */
static void parse_edge_body(parser *ps, kq_ast *edge)
{
    int64_t min = 1, max = 1;
    if (!kq_ps_at(ps, "]") && !kq_ps_at(ps, "*"))
        edge->text = kq_ps_expect_name(ps, "an edge variable name")->text;
    if (kq_ps_accept(ps, "*")) {
        const kq_token *low = kq_ps_peek(ps);
        if (low->kind != KQ_TOK_LONG)
            kq_ps_fail_at(ps, low, "the path length range, such as *1..3");
        kq_ps_advance(ps);
        kq_ps_expect(ps, "..", "'..' and the maximum path length");
        const kq_token *high = kq_ps_peek(ps);
        if (high->kind != KQ_TOK_LONG)
            kq_ps_fail_at(ps, high, "the maximum path length");
        kq_ps_advance(ps);
        min = low->num.l;
        max = high->num.l;
        if (min < 0 || max < min || max > 64)
            kq_ps_fail_at(ps, high, "a length range with 0 <= min <= max <= 64");
    }
    kq_ps_expect(ps, "]", "']' after the edge");
    edge->value.type = KQ_LONG;
    edge->value.u.l = (int64_t)((uint64_t)min << 32 | (uint64_t)max);
}

/* -[e]->, <-[e]-, -[e]-, or the anonymous -->, <--, -- */
static kq_ast *parse_graph_edge(parser *ps)
{
    const kq_token *first = kq_ps_peek(ps);
    kq_ast *edge = kq_ps_node(ps, KQ_AST_GRAPH_EDGE, first->start, first->end);
    edge->value.type = KQ_LONG;
    edge->value.u.l = (int64_t)(1ull << 32 | 1ull);
    bool backward = kq_ps_accept(ps, "<");
    kq_ps_expect(ps, "-", "an edge such as -[e]-> or -->");
    if (kq_ps_accept(ps, "["))
        parse_edge_body(ps, edge);
    kq_ps_expect(ps, "-", "'-' closing the edge");
    bool forward = kq_ps_accept(ps, ">");
    if (backward && forward)
        kq_ps_fail_at(ps, kq_ps_peek(ps), "an edge with one direction");
    edge->flags = KQ_GRAPH_EDGE_ANY;
    if (forward)
        edge->flags = KQ_GRAPH_EDGE_FORWARD;
    else if (backward)
        edge->flags = KQ_GRAPH_EDGE_BACKWARD;
    return edge;
}

kq_ast *kq_parse_graph_match(parser *ps, const kq_token *keyword, bool shortest)
{
    kq_ast *n = kq_ps_node(ps, KQ_AST_GRAPH_MATCH, keyword->start, keyword->end);
    if (shortest) {
        n->flags |= KQ_GRAPH_SHORTEST;
        if (kq_ps_at(ps, "output")) {
            kq_ps_advance(ps);
            kq_ps_expect(ps, "=", "'=' and any or all");
            const kq_token *mode = kq_ps_expect_name(ps, "any or all");
            if (kq_str_eq(mode->text, "all"))
                n->flags |= KQ_GRAPH_SHORTEST_ALL;
            else if (!kq_str_eq(mode->text, "any"))
                kq_ps_fail_at(ps, mode, "any or all");
        }
    }
    if (kq_ps_at(ps, "cycles")) {
        kq_ps_advance(ps);
        kq_ps_expect(ps, "=", "'=' and none, all or unique_edges");
        const kq_token *mode = kq_ps_expect_name(ps, "none, all or unique_edges");
        if (kq_str_eq(mode->text, "none"))
            n->flags |= KQ_GRAPH_CYCLES_NONE;
        else if (kq_str_eq(mode->text, "all"))
            n->flags |= KQ_GRAPH_CYCLES_ALL;
        else if (!kq_str_eq(mode->text, "unique_edges"))
            kq_ps_fail_at(ps, mode, "none, all or unique_edges");
    }
    kid_list pattern = {0};
    kq_ps_kids_push(ps, &pattern, parse_graph_node(ps));
    while (kq_ps_at(ps, "-") || kq_ps_at(ps, "<")) {
        kq_ps_kids_push(ps, &pattern, parse_graph_edge(ps));
        kq_ps_kids_push(ps, &pattern, parse_graph_node(ps));
    }
    kq_ast *path = kq_ps_node(ps, KQ_AST_GRAPH_PATTERN, pattern.items[0]->start,
                              pattern.items[pattern.count - 1]->end);
    kq_ps_kids_attach(ps, path, &pattern);
    kid_list kids = {0};
    kq_ps_kids_push(ps, &kids, path);
    if (kq_ps_accept(ps, "where")) {
        kq_ps_kids_push(ps, &kids, kq_ps_expr(ps));
        n->flags |= KQ_GRAPH_HAS_WHERE;
    }
    kq_ps_expect(ps, "project", "'project' and the output columns");
    do {
        kq_ps_kids_push(ps, &kids, kq_ps_assignment(ps));
    } while (kq_ps_accept(ps, ","));
    n->end = kids.items[kids.count - 1]->end;
    kq_ps_kids_attach(ps, n, &kids);
    return n;
}

/* graph-mark-components [kind=weak] [with_component_id=Name] */
kq_ast *kq_parse_mark_components(parser *ps, const kq_token *keyword)
{
    kq_ast *n = kq_ps_node(ps, KQ_AST_GRAPH_MARK_COMPONENTS, keyword->start, keyword->end);
    n->text.ptr = "ComponentId";
    n->text.len = 11;
    for (;;) {
        if (kq_ps_at(ps, "kind")) {
            kq_ps_advance(ps);
            kq_ps_expect(ps, "=", "'=' and weak");
            const kq_token *kind = kq_ps_expect_name(ps, "weak");
            if (!kq_str_eq(kind->text, "weak"))
                kq_ps_fail_at(ps, kind, "weak (strong components are not supported yet)");
            n->end = kind->end;
        } else if (kq_ps_at(ps, "with_component_id")) {
            kq_ps_advance(ps);
            kq_ps_expect(ps, "=", "'=' and the component id property name");
            const kq_token *name = kq_ps_expect_name(ps, "the component id property name");
            n->text = name->text;
            n->end = name->end;
        } else {
            return n;
        }
    }
}

/* graph-to-table nodes | edges */
kq_ast *kq_parse_graph_to_table(parser *ps, const kq_token *keyword)
{
    const kq_token *what = kq_ps_expect_name(ps, "nodes or edges");
    kq_ast *n = kq_ps_node(ps, KQ_AST_GRAPH_TO_TABLE, keyword->start, what->end);
    if (kq_str_eq(what->text, "nodes"))
        n->flags = 1;
    else if (kq_str_eq(what->text, "edges"))
        n->flags = 2;
    else
        kq_ps_fail_at(ps, what, "nodes or edges");
    if (kq_ps_at(ps, "as") || kq_ps_at(ps, "with_node_id") || kq_ps_at(ps, "with_source_id") ||
        kq_ps_at(ps, "with_target_id") || kq_ps_at(ps, ","))
        kq_ps_fail_at(ps, kq_ps_peek(ps), "'|' (graph-to-table options are not supported yet)");
    return n;
}
