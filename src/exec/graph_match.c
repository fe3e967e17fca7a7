/*
 * graph-match over the graph of make-graph. The edges (the input) and the nodes table
 * are read whole. A node is a distinct id, from the nodes table (its first row with
 * that id) or from an edge end that the table lacks, whose properties are then null.
 * Matches are found depth first along the pattern, and each match fills one match row
 * (kq_graph_spec) on which where and project are evaluated.
 *
 * Cycles: by default (unique_edges) a match uses no edge twice; cycles=none also visits
 * no node twice; cycles=all allows both. Undirected graphs (make-graph --) and -[e]-
 * edges are followed both ways.
 */
#include "exec/exec.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct graph_node {
    kq_value *values;          /* properties, then $id, $out, $in */
    uint32_t *out, *in;        /* edge indexes */
    uint32_t nout, nin, cap_out, cap_in;
} graph_node;

typedef struct graph_edge {
    kq_value *values;          /* the edge row */
    uint32_t source, target;   /* node indexes */
} graph_edge;

typedef struct graph_state {
    kq_arena *arena;           /* the graph's values and lists */
    kq_arena *scratch;         /* per match */
    graph_node *nodes;
    uint32_t nnodes, cap_nodes;
    graph_edge *edges;
    uint32_t nedges, cap_edges;
    uint32_t *buckets;         /* hash of the id text -> node index + 1, open addressing */
    uint32_t nbuckets;
    uint32_t *match_nodes;     /* the graph node at each pattern node */
    uint32_t **paths;          /* per pattern edge: its graph edges */
    uint32_t *path_lengths;
    uint32_t *edge_uses, *node_uses;
    kq_batch *row, *out;
    kq_type *out_types;
    bool built;
    struct shortest_candidate *candidates; /* graph-shortest-paths: the matches found */
    uint32_t ncandidates, cap_candidates;
} graph_state;

/* A match of graph-shortest-paths, kept until every path is known. */
typedef struct shortest_candidate {
    uint32_t start, end, length;
    kq_value *values;          /* the project values, in the graph's arena */
} shortest_candidate;

static const kq_graph_spec *spec_of(kq_op *op) { return op->plan->graph; }

static uint32_t hash_text(kq_str text)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < text.len; i++)
        h = (h ^ (unsigned char)text.ptr[i]) * 16777619u;
    return h;
}

/* Index of the node with this id, adding it (with null properties) when new. */
static uint32_t node_for(graph_state *s, const kq_graph_spec *spec, const kq_value *id)
{
    kq_str text = kq_value_to_str(s->scratch, id);
    uint32_t h = hash_text(text) & (s->nbuckets - 1);
    for (; s->buckets[h]; h = (h + 1) & (s->nbuckets - 1)) {
        const kq_value *known = &s->nodes[s->buckets[h] - 1].values[spec->nproperties];
        kq_str known_text = kq_value_to_str(s->scratch, known);
        if (known_text.len == text.len && memcmp(known_text.ptr, text.ptr, text.len) == 0)
            return s->buckets[h] - 1;
    }
    if (s->nnodes == s->cap_nodes) {
        s->cap_nodes = s->cap_nodes ? s->cap_nodes * 2 : 64;
        s->nodes = kq_xrealloc(s->nodes, s->cap_nodes * sizeof *s->nodes);
    }
    graph_node *node = &s->nodes[s->nnodes];
    memset(node, 0, sizeof *node);
    node->values = kq_arena_alloc(s->arena, (size_t)(spec->nproperties + 3) * sizeof(kq_value));
    for (int c = 0; c < spec->nproperties; c++)
        node->values[c] = kq_null(spec->node_types[c]);
    if (spec->node_id_column < 0)
        node->values[0] = kq_value_copy(s->arena, *id);
    node->values[spec->nproperties] = kq_value_copy(s->arena, *id);
    s->buckets[h] = ++s->nnodes;
    return s->nnodes - 1;
}

static void push_index(kq_arena *arena, uint32_t **list, uint32_t *count, uint32_t *cap, uint32_t value)
{
    if (*count == *cap) {
        uint32_t grown = *cap ? *cap * 2 : 4;
        uint32_t *bigger = kq_arena_alloc(arena, grown * sizeof(uint32_t));
        if (*count)
            memcpy(bigger, *list, *count * sizeof(uint32_t));
        *list = bigger;
        *cap = grown;
    }
    (*list)[(*count)++] = value;
}

/* Reads the nodes table (first) and the edges into the graph. */
static void build_graph(kq_op *op, kq_op *nodes_op)
{
    graph_state *s = op->state;
    const kq_graph_spec *spec = spec_of(op);
    s->nbuckets = 1u << 16;
    s->buckets = kq_xcalloc(s->nbuckets, sizeof(uint32_t));
    kq_batch *batch;
    while (nodes_op && !op->run->error && (batch = nodes_op->next(nodes_op))) {
        for (uint32_t r = 0; r < batch->nrows && s->nnodes + 1 < s->nbuckets / 2; r++) {
            kq_arena_reset(s->scratch);
            kq_value id = kq_column_get(&batch->cols[spec->node_id_column], r);
            uint32_t before = s->nnodes, node = node_for(s, spec, &id);
            for (int c = 0; node >= before && c < spec->nproperties; c++)
                if (c != spec->component_property)
                    s->nodes[node].values[c] = kq_value_copy(s->arena, kq_column_get(&batch->cols[c], r));
        }
        kq_batch_release(batch);
    }
    while (!op->run->error && (batch = op->input->next(op->input))) {
        for (uint32_t r = 0; r < batch->nrows && s->nnodes + 2 < s->nbuckets / 2; r++) {
            kq_arena_reset(s->scratch);
            if (s->nedges == s->cap_edges) {
                s->cap_edges = s->cap_edges ? s->cap_edges * 2 : 64;
                s->edges = kq_xrealloc(s->edges, s->cap_edges * sizeof *s->edges);
            }
            graph_edge *edge = &s->edges[s->nedges];
            edge->values = kq_arena_alloc(s->arena, (batch->ncols + 1) * sizeof(kq_value));
            for (uint32_t c = 0; c < batch->ncols; c++)
                edge->values[c] = kq_value_copy(s->arena, kq_column_get(&batch->cols[c], r));
            edge->source = node_for(s, spec, &edge->values[spec->source_column]);
            edge->target = node_for(s, spec, &edge->values[spec->target_column]);
            graph_node *from = &s->nodes[edge->source], *to = &s->nodes[edge->target];
            push_index(s->arena, &from->out, &from->nout, &from->cap_out, s->nedges);
            push_index(s->arena, &to->in, &to->nin, &to->cap_in, s->nedges);
            s->nedges++;
        }
        kq_batch_release(batch);
    }
    if (s->nnodes + 2 >= s->nbuckets / 2)
        kq_run_fail(op->run, "graph-match: the graph has more than %u nodes", s->nbuckets / 2 - 2);
    for (uint32_t n = 0; n < s->nnodes; n++) {
        s->nodes[n].values[spec->nproperties + 1] = kq_long(s->nodes[n].nout);
        s->nodes[n].values[spec->nproperties + 2] = kq_long(s->nodes[n].nin);
    }
}

/* graph-mark-components: numbers the weak components in the order of their first node. */
static void mark_components(graph_state *s, const kq_graph_spec *spec)
{
    uint32_t *queue = kq_xmalloc((s->nnodes + 1) * sizeof(uint32_t));
    bool *seen = kq_xcalloc(s->nnodes + 1, sizeof(bool));
    int64_t component = 0;
    for (uint32_t first = 0; first < s->nnodes; first++) {
        if (seen[first])
            continue;
        uint32_t head = 0, tail = 0;
        queue[tail++] = first;
        seen[first] = true;
        while (head < tail) {
            const graph_node *node = &s->nodes[queue[head++]];
            for (int side = 0; side < 2; side++) {
                const uint32_t *list = side ? node->in : node->out;
                uint32_t count = side ? node->nin : node->nout;
                for (uint32_t i = 0; i < count; i++) {
                    const graph_edge *edge = &s->edges[list[i]];
                    uint32_t next = side ? edge->source : edge->target;
                    if (!seen[next]) {
                        seen[next] = true;
                        queue[tail++] = next;
                    }
                }
            }
        }
        for (uint32_t i = 0; i < tail; i++)
            s->nodes[queue[i]].values[spec->component_property] = kq_long(component);
        component++;
    }
    free(queue);
    free(seen);
}

/* graph-to-table: the node properties or the edge rows. */
static void emit_table(kq_op *op)
{
    graph_state *s = op->state;
    const kq_graph_spec *spec = spec_of(op);
    uint32_t rows = spec->to_table == 1 ? s->nnodes : s->nedges;
    uint32_t ncols = op->plan->schema.count;
    for (uint32_t r = 0; r < rows && r < KQ_BATCH_ROWS * 64; r++) {
        const kq_value *values = spec->to_table == 1 ? s->nodes[r].values : s->edges[r].values;
        for (uint32_t c = 0; c < ncols; c++)
            kq_batch_set(s->out, c, r, kq_value_copy(s->out->arena, values[c]));
        s->out->nrows++;
    }
}

/* The element batch of a call: the path's edges, or its inner nodes. */
static kq_batch *element_batch(kq_op *op, const kq_graph_element_call *call)
{
    graph_state *s = op->state;
    const kq_graph_spec *spec = spec_of(op);
    uint32_t length = s->path_lengths[call->edge];
    const uint32_t *path = s->paths[call->edge];
    if (!call->inner_nodes) {
        uint32_t ncols = op->input->plan->schema.count;
        kq_type *types = kq_arena_alloc(s->scratch, (ncols + 1) * sizeof(kq_type));
        for (uint32_t c = 0; c < ncols; c++)
            types[c] = op->input->plan->schema.fields[c].type;
        kq_batch *batch = kq_batch_new(ncols, types, length ? length : 1);
        for (uint32_t i = 0; i < length; i++)
            for (uint32_t c = 0; c < ncols; c++)
                kq_batch_set(batch, c, i, s->edges[path[i]].values[c]);
        batch->nrows = length;
        return batch;
    }
    uint32_t ncols = (uint32_t)spec->nproperties + 3, inner = length ? length - 1 : 0;
    kq_batch *batch = kq_batch_new(ncols, spec->node_types, inner ? inner : 1);
    uint32_t node = s->match_nodes[call->edge];
    for (uint32_t i = 0; i < inner; i++) {
        const graph_edge *edge = &s->edges[path[i]];
        node = edge->source == node ? edge->target : edge->source;
        for (uint32_t c = 0; c < ncols; c++)
            kq_batch_set(batch, c, i, s->nodes[node].values[c]);
    }
    batch->nrows = inner;
    return batch;
}

/* all/any/map over the elements of a path. */
static kq_value element_call_value(kq_op *op, const kq_graph_element_call *call)
{
    graph_state *s = op->state;
    kq_batch *batch = element_batch(op, call);
    uint32_t n = batch->nrows;
    kq_value *values = kq_arena_alloc(s->scratch, (n ? n : 1) * sizeof(kq_value));
    kq_eval(op->run, call->expr, batch, NULL, n, values, s->scratch);
    kq_value result;
    if (call->kind == 2) {
        const kq_dyn **items = kq_arena_alloc(s->scratch, (n ? n : 1) * sizeof(kq_dyn *));
        for (uint32_t i = 0; i < n; i++)
            items[i] = kq_dyn_from_value(s->scratch, &values[i]);
        result = kq_dynamic(kq_dyn_array(s->scratch, items, n));
    } else {
        bool all = call->kind == 0, value = all;
        for (uint32_t i = 0; i < n; i++) {
            bool holds = !values[i].null && values[i].u.b;
            value = all ? value && holds : value || holds;
        }
        result = kq_bool(value);
    }
    kq_batch_release(batch);
    return result;
}

/* Keeps a graph-shortest-paths match with its ends and length. */
static void keep_candidate(kq_op *op)
{
    graph_state *s = op->state;
    const kq_graph_spec *spec = spec_of(op);
    if (s->ncandidates == s->cap_candidates) {
        s->cap_candidates = s->cap_candidates ? s->cap_candidates * 2 : 64;
        s->candidates = kq_xrealloc(s->candidates, s->cap_candidates * sizeof *s->candidates);
    }
    shortest_candidate *c = &s->candidates[s->ncandidates++];
    c->start = s->match_nodes[0];
    c->end = s->match_nodes[spec->nnodes - 1];
    c->length = 0;
    for (int e = 0; e < spec->nnodes - 1; e++)
        c->length += s->path_lengths[e];
    c->values = kq_arena_alloc(s->arena, (op->plan->nexprs + 1) * sizeof(kq_value));
    for (uint32_t col = 0; col < op->plan->nexprs; col++) {
        kq_value v;
        kq_eval(op->run, op->plan->exprs[col], s->row, NULL, 1, &v, s->scratch);
        c->values[col] = kq_value_copy(s->arena, v);
    }
}

/* Evaluates where and project on the complete match and adds its output row. */
static void emit_match(kq_op *op)
{
    graph_state *s = op->state;
    const kq_graph_spec *spec = spec_of(op);
    const kq_plan *plan = op->plan;
    kq_arena_reset(s->scratch);
    for (int i = 0; i < spec->nnodes; i++)
        for (int c = 0; c < spec->nproperties + 3; c++)
            kq_batch_set(s->row, (uint32_t)(spec->node_column[i] + c), 0, s->nodes[s->match_nodes[i]].values[c]);
    for (int e = 0; e < spec->nnodes - 1; e++)
        if (spec->edges[e].row_column >= 0)
            for (uint32_t c = 0; c < op->input->plan->schema.count; c++)
                kq_batch_set(s->row, (uint32_t)spec->edges[e].row_column + c, 0, s->edges[s->paths[e][0]].values[c]);
    for (int k = 0; k < spec->ncalls; k++)
        kq_batch_set(s->row, (uint32_t)(spec->call_column + k), 0, element_call_value(op, &spec->calls[k]));
    if (spec->where) {
        kq_value keep;
        kq_eval(op->run, spec->where, s->row, NULL, 1, &keep, s->scratch);
        if (keep.null || !keep.u.b)
            return;
    }
    if (spec->shortest) {
        keep_candidate(op);
        return;
    }
    uint32_t r = s->out->nrows;
    for (uint32_t c = 0; c < plan->nexprs; c++) {
        kq_value v;
        kq_eval(op->run, plan->exprs[c], s->row, NULL, 1, &v, s->scratch);
        /* The graph's values live in the operator's arena, and the output outlives it. */
        kq_batch_set(s->out, c, r, kq_value_copy(s->out->arena, v));
    }
    s->out->nrows++;
}

/* Outputs the shortest candidates of each start and end: the first found, or all of them. */
static void emit_shortest(kq_op *op)
{
    graph_state *s = op->state;
    const kq_graph_spec *spec = spec_of(op);
    for (uint32_t i = 0; i < s->ncandidates && s->out->nrows < KQ_BATCH_ROWS * 64; i++) {
        const shortest_candidate *c = &s->candidates[i];
        bool keep = true;
        for (uint32_t j = 0; j < s->ncandidates && keep; j++) {
            const shortest_candidate *other = &s->candidates[j];
            if (j == i || other->start != c->start || other->end != c->end)
                continue;
            /* A shorter path wins; of equal ones, output=any keeps the first found. */
            keep = !(other->length < c->length ||
                     (other->length == c->length && j < i && !(spec->shortest & KQ_GRAPH_SHORTEST_ALL)));
        }
        if (!keep)
            continue;
        for (uint32_t col = 0; col < op->plan->nexprs; col++)
            kq_batch_set(s->out, col, s->out->nrows, kq_value_copy(s->out->arena, c->values[col]));
        s->out->nrows++;
    }
}

static void match_from(kq_op *op, int pattern_node);

/* Extends pattern edge `edge` from `node` by one more graph edge, up to its maximum length. */
static void walk_edge(kq_op *op, int edge, uint32_t node, uint32_t length)
{
    graph_state *s = op->state;
    const kq_graph_spec *spec = spec_of(op);
    const kq_graph_edge *pattern = &spec->edges[edge];
    if (length >= (uint32_t)pattern->min) {
        s->path_lengths[edge] = length;
        s->match_nodes[edge + 1] = node;
        match_from(op, edge + 1);
    }
    if (length >= (uint32_t)pattern->max || op->run->error || s->out->nrows >= KQ_BATCH_ROWS * 64 ||
        s->ncandidates >= KQ_BATCH_ROWS * 64)
        return;
    bool undirected = !spec->directed || pattern->direction == KQ_GRAPH_EDGE_ANY;
    for (int side = 0; side < 2; side++) {
        bool outgoing = side == 0;
        if (!undirected && outgoing != (pattern->direction == KQ_GRAPH_EDGE_FORWARD))
            continue;
        const graph_node *from = &s->nodes[node];
        const uint32_t *list = outgoing ? from->out : from->in;
        uint32_t count = outgoing ? from->nout : from->nin;
        for (uint32_t i = 0; i < count; i++) {
            uint32_t e = list[i];
            uint32_t next = outgoing ? s->edges[e].target : s->edges[e].source;
            if (spec->cycles != KQ_GRAPH_CYCLES_ALL && s->edge_uses[e])
                continue;
            if (spec->cycles == KQ_GRAPH_CYCLES_NONE && s->node_uses[next])
                continue;
            s->paths[edge][length] = e;
            s->edge_uses[e]++;
            s->node_uses[next]++;
            walk_edge(op, edge, next, length + 1);
            s->edge_uses[e]--;
            s->node_uses[next]--;
        }
    }
}

/* Matches the pattern from pattern node `pattern_node`, whose graph node is chosen. */
static void match_from(kq_op *op, int pattern_node)
{
    graph_state *s = op->state;
    const kq_graph_spec *spec = spec_of(op);
    if (pattern_node == spec->nnodes - 1) {
        emit_match(op);
        return;
    }
    walk_edge(op, pattern_node, s->match_nodes[pattern_node], 0);
}

static kq_batch *graph_match_next(kq_op *op)
{
    graph_state *s = op->state;
    const kq_graph_spec *spec = spec_of(op);
    if (s->built)
        return NULL;
    s->built = true;
    kq_op *nodes_op = op->plan->right ? kq_op_build(op->run, op->plan->right) : NULL;
    build_graph(op, nodes_op);
    if (nodes_op)
        kq_op_close(nodes_op);
    s->edge_uses = kq_xcalloc(s->nedges + 1, sizeof(uint32_t));
    s->node_uses = kq_xcalloc(s->nnodes + 1, sizeof(uint32_t));
    for (int e = 0; e < spec->nnodes - 1; e++)
        s->paths[e] = kq_arena_alloc(s->arena, ((size_t)spec->edges[e].max + 1) * sizeof(uint32_t));
    s->out = kq_batch_new(op->plan->schema.count, s->out_types, KQ_BATCH_ROWS * 64 + 1);
    if (spec->component_property >= 0)
        mark_components(s, spec);
    if (spec->to_table) {
        emit_table(op);
        kq_batch *table = s->out;
        s->out = NULL;
        return table;
    }
    for (uint32_t n = 0; n < s->nnodes && !op->run->error; n++) {
        s->match_nodes[0] = n;
        s->node_uses[n]++;
        match_from(op, 0);
        s->node_uses[n]--;
    }
    if (spec->shortest)
        emit_shortest(op);
    if (s->out->nrows >= KQ_BATCH_ROWS * 64 || s->ncandidates >= KQ_BATCH_ROWS * 64)
        kq_run_fail(op->run, "graph-match: more than %d matches", KQ_BATCH_ROWS * 64);
    kq_batch *out = s->out;
    s->out = NULL;
    return out;
}

static void graph_match_close(kq_op *op)
{
    graph_state *s = op->state;
    if (s->out)
        kq_batch_release(s->out);
    kq_batch_release(s->row);
    free(s->nodes);
    free(s->edges);
    free(s->buckets);
    free(s->edge_uses);
    free(s->node_uses);
    free(s->out_types);
    free(s->candidates);
    kq_arena_free(s->arena);
    kq_arena_free(s->scratch);
    free(s);
}

kq_op *kq_op_graph_match(kq_run *run, const kq_plan *plan, kq_op *input)
{
    kq_op *op = kq_op_new(run, plan, input);
    const kq_graph_spec *spec = plan->graph;
    graph_state *s = kq_xcalloc(1, sizeof *s);
    op->state = s;
    s->arena = kq_arena_new(64 * 1024);
    s->scratch = kq_arena_new(16 * 1024);
    s->match_nodes = kq_arena_alloc(s->arena, (size_t)spec->nnodes * sizeof(uint32_t));
    s->paths = kq_arena_alloc(s->arena, (size_t)spec->nnodes * sizeof(uint32_t *));
    s->path_lengths = kq_arena_alloc(s->arena, (size_t)spec->nnodes * sizeof(uint32_t));
    s->row = kq_batch_new((uint32_t)spec->row_count, spec->row_types, 1);
    s->row->nrows = 1;
    s->out_types = kq_xmalloc((plan->schema.count + 1) * sizeof(kq_type));
    for (uint32_t c = 0; c < plan->schema.count; c++)
        s->out_types[c] = plan->schema.fields[c].type;
    op->next = graph_match_next;
    op->close = graph_match_close;
    return op;
}
