/*
 * Binder of make-graph and graph-match. graph-match's where and project refer to pattern
 * variables (n.name, e.weight, node_id(n), all(e, ...)); before binding, those references
 * are rewritten to columns of the match row (kq_graph_spec), named "n.name", "n.$id",
 * "$call1", so the ordinary expression binder and evaluator handle the rest.
 */
#include "base/util.h"
#include "kql/binder_internal.h"

#include <stdlib.h>
#include <string.h>

/* make-graph: checks the columns and records them for graph-match. */
kq_plan *binder_make_graph(binder *b, kq_plan *input, const kq_ast *op)
{
    kq_graph_spec *graph = kq_arena_alloc(b->arena, sizeof *graph);
    const kq_ast *ends[2] = {op->kids[0], op->kids[1]};
    int columns[2];
    for (int i = 0; i < 2; i++) {
        columns[i] = kq_schema_find(&input->schema, ends[i]->text.ptr, ends[i]->text.len);
        if (columns[i] < 0) {
            kq_diag *diag = kq_bind_error(b, ends[i]->start, ends[i]->end, "unknown column '%.*s'",
                                          (int)ends[i]->text.len, ends[i]->text.ptr);
            kq_hint_column(diag, &input->schema, ends[i]->text.ptr, ends[i]->text.len);
            return NULL;
        }
    }
    kq_type id_type = input->schema.fields[columns[0]].type;
    if (input->schema.fields[columns[1]].type != id_type) {
        kq_bind_error(b, ends[1]->start, ends[1]->end, "the source and target columns must have the same type");
        return NULL;
    }
    graph->source_column = columns[0];
    graph->target_column = columns[1];
    graph->directed = op->flags & KQ_GRAPH_DIRECTED;
    graph->node_id_column = -1;
    kq_plan *nodes = NULL;
    schema_builder sb = {0};
    if (op->flags & KQ_GRAPH_NODES_TABLE) {
        nodes = kq_bind_tabular(b, op->kids[2]);
        if (!nodes)
            return NULL;
        graph->node_id_column = kq_schema_find(&nodes->schema, op->text.ptr, op->text.len);
        if (graph->node_id_column < 0 || nodes->schema.fields[graph->node_id_column].type != id_type) {
            kq_bind_error(b, op->start, op->end, "the nodes table needs a column '%.*s' of type %s, as the edges' ids",
                          (int)op->text.len, op->text.ptr, kq_type_name(id_type));
            return NULL;
        }
        for (uint32_t c = 0; c < nodes->schema.count; c++)
            binder_add_field(b, &sb, nodes->schema.fields[c].name, nodes->schema.fields[c].type);
    } else {
        binder_add_field(b, &sb, binder_ast_name(b, op), id_type);
    }
    graph->nproperties = (int)sb.count;
    binder_add_field(b, &sb, "$id", id_type);
    binder_add_field(b, &sb, "$out", KQ_LONG);
    binder_add_field(b, &sb, "$in", KQ_LONG);
    graph->node_types = kq_arena_alloc(b->arena, sb.count * sizeof(kq_type));
    graph->node_names = kq_arena_alloc(b->arena, sb.count * sizeof(char *));
    for (size_t c = 0; c < sb.count; c++) {
        graph->node_types[c] = sb.fields[c].type;
        graph->node_names[c] = sb.fields[c].name;
    }
    free(sb.fields);
    graph->component_property = -1;
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_GRAPH, input, op);
    plan->right = nodes;
    plan->graph = graph;
    return plan;
}

/* graph-mark-components: the graph gains a long node property, its weak component's index. */
kq_plan *binder_mark_components(binder *b, kq_plan *input, const kq_ast *op)
{
    kq_graph_spec *graph = kq_arena_alloc(b->arena, sizeof *graph);
    *graph = *input->graph;
    if (graph->component_property >= 0) {
        kq_bind_error(b, op->start, op->end, "the graph already has component ids");
        return NULL;
    }
    int count = graph->nproperties + 3;
    graph->node_types = kq_arena_alloc(b->arena, (size_t)(count + 1) * sizeof(kq_type));
    graph->node_names = kq_arena_alloc(b->arena, (size_t)(count + 1) * sizeof(char *));
    for (int c = 0, from = 0; c <= count; c++) {
        if (c == graph->nproperties) {
            graph->node_types[c] = KQ_LONG;
            graph->node_names[c] = binder_ast_name(b, op);
            continue;
        }
        graph->node_types[c] = input->graph->node_types[from];
        graph->node_names[c] = input->graph->node_names[from++];
    }
    graph->component_property = graph->nproperties++;
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_GRAPH, input->input, op);
    plan->right = input->right;
    plan->graph = graph;
    return plan;
}

/* graph-to-table nodes | edges: the graph's node properties or edge rows as a table. */
kq_plan *binder_graph_to_table(binder *b, kq_plan *input, const kq_ast *op)
{
    kq_graph_spec *graph = kq_arena_alloc(b->arena, sizeof *graph);
    *graph = *input->graph;
    graph->to_table = (int)op->flags;
    schema_builder sb = {0};
    if (op->flags == 1) {
        for (int c = 0; c < graph->nproperties; c++)
            binder_add_field(b, &sb, graph->node_names[c], graph->node_types[c]);
    } else {
        for (uint32_t c = 0; c < input->input->schema.count; c++)
            binder_add_field(b, &sb, input->input->schema.fields[c].name, input->input->schema.fields[c].type);
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_GRAPH_MATCH, input->input, op);
    plan->right = input->right;
    plan->graph = graph;
    plan->schema = binder_finish_schema(b, &sb);
    return plan;
}

/* State of the rewriting: the pattern's variables and the element calls found so far. */
typedef struct graph_scope {
    const kq_ast *pattern;
    kq_graph_spec *graph;
    const kq_schema *edges;
    kq_graph_element_call *calls;
    int ncalls;
    bool element;          /* inside all/any/map: node_id() and node_degree_*() mean the element */
    bool element_nodes;
} graph_scope;

/* Index of the pattern node (kind KQ_AST_GRAPH_NODE) or edge named name, or -1. */
static int find_variable(const graph_scope *scope, kq_str name, kq_ast_kind kind)
{
    int index = 0;
    for (uint32_t i = 0; i < scope->pattern->nkids; i++) {
        const kq_ast *item = scope->pattern->kids[i];
        if (item->kind != kind)
            continue;
        if (item->text.len && item->text.len == name.len && memcmp(item->text.ptr, name.ptr, name.len) == 0)
            return index;
        index++;
    }
    return -1;
}

static kq_ast *name_ast(binder *b, const kq_ast *at, const char *name)
{
    kq_ast *n = kq_arena_alloc(b->arena, sizeof *n);
    *n = *at;
    n->kind = KQ_AST_NAME;
    n->text.ptr = name;
    n->text.len = (uint32_t)strlen(name);
    n->kids = NULL;
    n->nkids = 0;
    return n;
}

static kq_ast *rewrite(binder *b, graph_scope *scope, const kq_ast *ast);

/* all(e, cond), any(e, cond), map(e, expr), over e's edges or inner_nodes(e). */
static kq_ast *rewrite_element_call(binder *b, graph_scope *scope, const kq_ast *ast, int kind)
{
    const kq_ast *over = ast->kids[0];
    bool inner = over->kind == KQ_AST_CALL && kq_str_eq(over->text, "inner_nodes") && over->nkids == 1;
    const kq_ast *variable = inner ? over->kids[0] : over;
    int edge = variable->kind == KQ_AST_NAME ? find_variable(scope, variable->text, KQ_AST_GRAPH_EDGE) : -1;
    if (edge < 0) {
        kq_bind_error(b, over->start, over->end, "%.*s needs an edge variable of the pattern or inner_nodes() of one",
                      (int)ast->text.len, ast->text.ptr);
        return NULL;
    }
    graph_scope element = *scope;
    element.element = true;
    element.element_nodes = inner;
    kq_ast *body = rewrite(b, &element, ast->kids[1]);
    if (!body)
        return NULL;
    kq_schema node_schema = {(uint32_t)(scope->graph->nproperties + 3), NULL};
    node_schema.fields = kq_arena_alloc(b->arena, node_schema.count * sizeof(kq_field));
    for (uint32_t c = 0; c < node_schema.count; c++) {
        node_schema.fields[c].name = (char *)scope->graph->node_names[c];
        node_schema.fields[c].type = scope->graph->node_types[c];
    }
    kq_expr *expr = kq_bind_scalar(b, body, inner ? &node_schema : scope->edges);
    if (!expr)
        return NULL;
    if (kind < 2 && expr->type != KQ_BOOL) {
        kq_bind_error(b, expr->start, expr->end, "the condition of %.*s must be bool", (int)ast->text.len, ast->text.ptr);
        return NULL;
    }
    kq_graph_element_call *call = &scope->calls[scope->ncalls];
    call->kind = kind;
    call->edge = edge;
    call->inner_nodes = inner;
    call->expr = expr;
    return name_ast(b, ast, kq_arena_printf(b->arena, "$call%d", scope->ncalls++));
}

/* node_id(n), node_degree_out(n), node_degree_in(n); without an argument inside a map
 * over inner nodes, the current node. */
static kq_ast *rewrite_node_function(binder *b, graph_scope *scope, const kq_ast *ast, const char *column)
{
    if (ast->nkids == 0 && scope->element && scope->element_nodes)
        return name_ast(b, ast, column);
    if (ast->nkids == 1 && ast->kids[0]->kind == KQ_AST_NAME) {
        int node = find_variable(scope, ast->kids[0]->text, KQ_AST_GRAPH_NODE);
        if (node >= 0)
            return name_ast(b, ast, kq_arena_printf(b->arena, "%.*s.%s", (int)ast->kids[0]->text.len,
                                                    ast->kids[0]->text.ptr, column));
    }
    kq_bind_error(b, ast->start, ast->end, "%.*s takes a node variable of the pattern", (int)ast->text.len,
                  ast->text.ptr);
    return NULL;
}

/* A copy of ast with the pattern's variables turned into match-row columns. */
static kq_ast *rewrite(binder *b, graph_scope *scope, const kq_ast *ast)
{
    if (ast->kind == KQ_AST_MEMBER && ast->kids[0]->kind == KQ_AST_NAME && !scope->element &&
        (find_variable(scope, ast->kids[0]->text, KQ_AST_GRAPH_NODE) >= 0 ||
         find_variable(scope, ast->kids[0]->text, KQ_AST_GRAPH_EDGE) >= 0))
        return name_ast(b, ast, kq_arena_printf(b->arena, "%.*s.%.*s", (int)ast->kids[0]->text.len,
                                                ast->kids[0]->text.ptr, (int)ast->text.len, ast->text.ptr));
    if (ast->kind == KQ_AST_CALL) {
        static const char *const element_calls[] = {"all", "any", "map"};
        for (int k = 0; k < 3; k++)
            if (kq_str_eq(ast->text, element_calls[k]) && ast->nkids == 2 && !scope->element)
                return rewrite_element_call(b, scope, ast, k);
        if (kq_str_eq(ast->text, "node_id"))
            return rewrite_node_function(b, scope, ast, "$id");
        if (kq_str_eq(ast->text, "node_degree_out"))
            return rewrite_node_function(b, scope, ast, "$out");
        if (kq_str_eq(ast->text, "node_degree_in"))
            return rewrite_node_function(b, scope, ast, "$in");
    }
    kq_ast *copy = kq_arena_alloc(b->arena, sizeof *copy);
    *copy = *ast;
    if (ast->nkids) {
        copy->kids = kq_arena_alloc(b->arena, ast->nkids * sizeof(kq_ast *));
        for (uint32_t i = 0; i < ast->nkids; i++) {
            copy->kids[i] = rewrite(b, scope, ast->kids[i]);
            if (!copy->kids[i])
                return NULL;
        }
    }
    return copy;
}

/* Lays out the match row: each pattern node's columns, then each single edge's columns. */
static void layout_match_row(binder *b, const kq_ast *pattern, kq_graph_spec *graph, const kq_schema *edges,
                             schema_builder *row)
{
    int node = 0, edge = 0;
    for (uint32_t i = 0; i < pattern->nkids; i++) {
        const kq_ast *item = pattern->kids[i];
        const char *variable = item->text.len ? kq_arena_strndup(b->arena, item->text.ptr, item->text.len)
                                              : kq_arena_printf(b->arena, "$anonymous%u", i);
        if (item->kind == KQ_AST_GRAPH_NODE) {
            graph->node_column[node++] = (int)row->count;
            for (int c = 0; c < graph->nproperties + 3; c++)
                binder_add_field(b, row, kq_arena_printf(b->arena, "%s.%s", variable, graph->node_names[c]),
                                 graph->node_types[c]);
            continue;
        }
        kq_graph_edge *spec = &graph->edges[edge++];
        spec->direction = (int)item->flags;
        spec->min = (int)((uint64_t)item->value.u.l >> 32);
        spec->max = (int)(item->value.u.l & 0xffffffff);
        spec->row_column = -1;
        if (spec->min == 1 && spec->max == 1) {
            spec->row_column = (int)row->count;
            for (uint32_t c = 0; c < edges->count; c++)
                binder_add_field(b, row, kq_arena_printf(b->arena, "%s.%s", variable, edges->fields[c].name),
                                 edges->fields[c].type);
        }
    }
}

kq_plan *binder_graph_match(binder *b, kq_plan *input, const kq_ast *op)
{
    if (input->kind != KQ_PLAN_GRAPH) {
        kq_bind_error(b, op->start, op->end, "graph-match needs a graph: put make-graph before it");
        return NULL;
    }
    const kq_ast *pattern = op->kids[0];
    kq_graph_spec *graph = kq_arena_alloc(b->arena, sizeof *graph);
    *graph = *input->graph;
    graph->cycles = (int)(op->flags & (KQ_GRAPH_CYCLES_NONE | KQ_GRAPH_CYCLES_ALL));
    graph->shortest = (int)(op->flags & (KQ_GRAPH_SHORTEST | KQ_GRAPH_SHORTEST_ALL));
    graph->nnodes = (int)(pattern->nkids + 1) / 2;
    graph->edges = kq_arena_alloc(b->arena, (size_t)graph->nnodes * sizeof(kq_graph_edge));
    graph->node_column = kq_arena_alloc(b->arena, (size_t)graph->nnodes * sizeof(int));
    const kq_schema *edges = &input->input->schema;
    schema_builder row = {0};
    layout_match_row(b, pattern, graph, edges, &row);
    graph_scope scope = {.pattern = pattern, .graph = graph, .edges = edges};
    scope.calls = kq_arena_alloc(b->arena, 64 * sizeof(kq_graph_element_call));
    /* Rewrite every expression first: the element calls become columns of the row. */
    uint32_t first_item = (op->flags & KQ_GRAPH_HAS_WHERE) ? 2 : 1;
    kq_ast **rewritten = kq_arena_alloc(b->arena, op->nkids * sizeof(kq_ast *));
    for (uint32_t i = 1; i < op->nkids; i++) {
        const kq_ast *value = i >= first_item && op->kids[i]->kind == KQ_AST_ASSIGN ? op->kids[i]->kids[0] : op->kids[i];
        rewritten[i] = scope.ncalls < 60 ? rewrite(b, &scope, value) : NULL;
        if (!rewritten[i]) {
            free(row.fields);
            return NULL;
        }
    }
    graph->calls = scope.calls;
    graph->ncalls = scope.ncalls;
    graph->call_column = (int)row.count;
    for (int k = 0; k < scope.ncalls; k++)
        binder_add_field(b, &row, kq_arena_printf(b->arena, "$call%d", k),
                         scope.calls[k].kind == 2 ? KQ_DYNAMIC : KQ_BOOL);
    kq_schema row_schema = binder_finish_schema(b, &row);
    graph->row_count = (int)row_schema.count;
    graph->row_types = kq_arena_alloc(b->arena, (row_schema.count + 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < row_schema.count; c++)
        graph->row_types[c] = row_schema.fields[c].type;
    if (first_item == 2) {
        graph->where = kq_bind_scalar(b, rewritten[1], &row_schema);
        if (!graph->where)
            return NULL;
        if (graph->where->type != KQ_BOOL) {
            kq_bind_error(b, graph->where->start, graph->where->end, "the where condition must be bool");
            return NULL;
        }
    }
    schema_builder out = {0};
    expr_list exprs = {0};
    int counter = 0;
    for (uint32_t i = first_item; i < op->nkids; i++) {
        kq_expr *value = kq_bind_scalar(b, rewritten[i], &row_schema);
        if (!value) {
            free(out.fields);
            free(exprs.items);
            return NULL;
        }
        const kq_ast *item = op->kids[i];
        const char *name = item->kind == KQ_AST_ASSIGN ? binder_ast_name(b, item) : binder_column_name_of(b, item, false);
        if (!name)
            name = binder_next_column_name(b, &out, &counter);
        binder_add_field(b, &out, name, value->type);
        binder_exprs_push(&exprs, value);
    }
    kq_plan *plan = binder_new_plan(b, KQ_PLAN_GRAPH_MATCH, input->input, op);
    plan->right = input->right;
    plan->graph = graph;
    plan->nexprs = (uint32_t)exprs.count;
    plan->exprs = binder_exprs_finish(b, &exprs);
    plan->schema = binder_finish_schema(b, &out);
    return plan;
}
