/*
 * Table builder: stages loosely typed cells per column, then builds typed
 * batches at kq_table_builder_finish.
 *
 * Cells of built-in columns are converted when they are set. Cells of extra
 * columns keep what the reader gave (text, a JSON scalar, a parsed datetime)
 * until finish, when one type is chosen per column from all of its cells.
 * Staged strings and dynamic trees live in the builder's arena. Finish hands
 * that arena to a column-less "holder" batch that every built batch borrows,
 * so no string is copied twice.
 *
 * A column filter (kq_table_builder_set_filter) can skip the columns no
 * query will read: their cells are never staged.
 *
 * NOTE: every cell stays staged until finish (16 bytes per cell plus its
 * text), so a load needs memory for all of its rows at once.
 */
#include "table/builder.h"
#include "base/parallel.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Kusto's limit on columns per table; a file with more distinct keys is cut off there. */
#define BUILDER_MAX_COLUMNS 10000

typedef enum cell_kind {
    CELL_NULL = 0,
    CELL_TEXT,        /* raw text from a CSV cell: any type may be inferred from it */
    CELL_JSON_STRING, /* a JSON string: inferred as datetime or string only */
    CELL_STRING,      /* a string that stays a string */
    CELL_LONG,
    CELL_REAL,
    CELL_BOOL,
    CELL_DATETIME,
    CELL_TIMESPAN,
    CELL_DYNAMIC,
} cell_kind;

typedef struct cell {
    uint8_t kind;
    union {
        int64_t l;
        double r;
        bool b;
        kq_str s;
        const kq_dyn *d;
    } u;
} cell;

typedef struct builder_column {
    char *name;
    size_t name_len;
    kq_type declared; /* KQ_TYPE_NONE for a column outside the built-in schema */
    bool skipped;     /* the column filter drops its cells */
    cell *cells;      /* cells[row]; rows at or past ncells are null */
    size_t ncells, cap;
} builder_column;

struct kq_table_builder {
    char *table_name;
    kq_arena *names;  /* column names; lives as long as the builder */
    kq_arena *values; /* staged strings and dynamic trees; handed to the batches */
    builder_column *columns;
    size_t ncolumns, columns_cap;
    int *slots; /* open-addressing hash of column names: index + 1, 0 = empty */
    size_t nslots;
    size_t schema_count;
    uint64_t row_failures; /* conversion failures in the row being built */
    kq_column_filter filter; /* NULL: every column is kept */
    void *filter_user;
    kq_builder_stats stats;
    int threads; /* threads that fill batches at finish; 0 = one per online CPU */
    uint64_t flush_rows; /* 0: no flushing (kq_table_builder_set_flush) */
    kq_builder_flush flush;
    void *flush_user;
    kq_builder_flush stream; /* NULL: no streaming (kq_table_builder_set_stream) */
    void *stream_user;
    uint64_t stream_rows; /* staged rows that start a stream */
    kq_table *sealed; /* a sealed part's rows, built on its worker thread (kq_table_builder_seal_part) */
    kq_builder_flush sieve; /* NULL: no sieve (kq_table_builder_set_sieve) */
    void *sieve_user;
};

static uint64_t hash_name(const char *name, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)name[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void rehash(kq_table_builder *b)
{
    free(b->slots);
    /* Keep the table at most half full so probes stay short and always end. */
    size_t nslots = 64;
    while (nslots < 2 * (b->ncolumns + 1))
        nslots *= 2;
    b->nslots = nslots;
    b->slots = kq_xcalloc(b->nslots, sizeof(int));
    for (size_t i = 0; i < b->ncolumns; i++) {
        size_t slot = hash_name(b->columns[i].name, b->columns[i].name_len) & (b->nslots - 1);
        while (b->slots[slot])
            slot = (slot + 1) & (b->nslots - 1);
        b->slots[slot] = (int)i + 1;
    }
}

static int find_column(const kq_table_builder *b, const char *name, size_t len)
{
    if (!b->nslots)
        return -1;
    size_t slot = hash_name(name, len) & (b->nslots - 1);
    while (b->slots[slot]) {
        const builder_column *col = &b->columns[b->slots[slot] - 1];
        if (col->name_len == len && memcmp(col->name, name, len) == 0)
            return b->slots[slot] - 1;
        slot = (slot + 1) & (b->nslots - 1);
    }
    return -1;
}

static int add_column(kq_table_builder *b, const char *name, size_t len, kq_type declared)
{
    kq_grow((void **)&b->columns, &b->columns_cap, b->ncolumns + 1, sizeof(builder_column));
    builder_column *col = &b->columns[b->ncolumns];
    memset(col, 0, sizeof *col);
    col->name = kq_arena_strndup(b->names, name, len);
    col->name_len = len;
    col->declared = declared;
    b->ncolumns++;
    if (b->ncolumns * 2 > b->nslots)
        rehash(b);
    else {
        size_t slot = hash_name(name, len) & (b->nslots - 1);
        while (b->slots[slot])
            slot = (slot + 1) & (b->nslots - 1);
        b->slots[slot] = (int)b->ncolumns;
    }
    return (int)b->ncolumns - 1;
}

kq_table_builder *kq_table_builder_new(const char *table_name, const kq_schema *schema)
{
    kq_table_builder *b = kq_xcalloc(1, sizeof *b);
    b->table_name = kq_xstrdup(table_name);
    b->names = kq_arena_new(8192);
    b->values = kq_arena_new(256 * 1024);
    if (schema) {
        for (uint32_t i = 0; i < schema->count; i++)
            add_column(b, schema->fields[i].name, strlen(schema->fields[i].name),
                       schema->fields[i].type);
        b->schema_count = schema->count;
    }
    return b;
}

static void free_cells(kq_table_builder *b)
{
    for (size_t i = 0; i < b->ncolumns; i++) {
        free(b->columns[i].cells);
        b->columns[i].cells = NULL;
        b->columns[i].ncells = b->columns[i].cap = 0;
    }
}

void kq_table_builder_free(kq_table_builder *b)
{
    if (!b)
        return;
    kq_table_free(b->sealed);
    free_cells(b);
    free(b->columns);
    free(b->slots);
    kq_arena_free(b->names);
    kq_arena_free(b->values);
    free(b->table_name);
    free(b);
}

int kq_table_builder_column(kq_table_builder *b, const char *name, size_t len)
{
    int index = find_column(b, name, len);
    if (index >= 0)
        return b->columns[index].skipped ? KQ_BUILDER_SKIPPED : index;
    if (b->filter && !b->filter(b->filter_user, b->table_name, name, len))
        return KQ_BUILDER_SKIPPED;
    if (b->ncolumns >= BUILDER_MAX_COLUMNS)
        return KQ_BUILDER_FULL;
    return add_column(b, name, len, KQ_TYPE_NONE);
}

void kq_table_builder_set_filter(kq_table_builder *b, kq_column_filter filter, void *user)
{
    if (b->filter == filter && b->filter_user == user)
        return;
    b->filter = filter;
    b->filter_user = user;
    for (size_t i = 0; i < b->ncolumns; i++) {
        builder_column *col = &b->columns[i];
        col->skipped = filter && !filter(user, b->table_name, col->name, col->name_len);
    }
}

/* Returns the cell of the current row in a column, growing the column with nulls. */
static cell *current_cell(kq_table_builder *b, int column)
{
    builder_column *col = &b->columns[column];
    size_t row = (size_t)b->stats.rows;
    if (row >= col->cap) {
        size_t old_cap = col->cap;
        kq_grow((void **)&col->cells, &col->cap, row + 1, sizeof(cell));
        memset(col->cells + old_cap, 0, (col->cap - old_cap) * sizeof(cell));
    }
    if (row >= col->ncells)
        col->ncells = row + 1;
    return &col->cells[row];
}

static kq_str stage_string(kq_table_builder *b, const char *text, size_t len)
{
    /* kq_str lengths are 32-bit; a longer cell is cut at 4 GiB - 1 bytes. */
    if (len > UINT32_MAX)
        len = UINT32_MAX;
    kq_str s = {kq_arena_strndup(b->values, text, len), (uint32_t)len};
    return s;
}

/* ---- text conversions shared by set-time conversion and finish-time inference ---- */

static bool parse_long_text(const char *text, size_t len, int64_t *out)
{
    size_t i = 0;
    bool negative = false;
    if (i < len && (text[i] == '-' || text[i] == '+'))
        negative = text[i++] == '-';
    if (i == len)
        return false;
    uint64_t value = 0;
    for (; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        unsigned digit = (unsigned)(text[i] - '0');
        if (value > (UINT64_C(9223372036854775808) - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    if (!negative && value > INT64_MAX)
        return false;
    *out = negative ? (int64_t)(0 - value) : (int64_t)value;
    return true;
}

static bool parse_real_text(const char *text, size_t len, double *out)
{
    /* Decimal forms only: strtod would also take hex floats, "inf" and "nan". */
    char copy[64];
    if (len == 0 || len >= sizeof copy)
        return false;
    bool digit = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c >= '0' && c <= '9')
            digit = true;
        else if (c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E')
            return false;
    }
    if (!digit)
        return false;
    memcpy(copy, text, len);
    copy[len] = '\0';
    char *end;
    double value = strtod(copy, &end);
    if (*end != '\0' || !isfinite(value))
        return false;
    *out = value;
    return true;
}

static bool parse_bool_text(const char *text, size_t len, bool *out)
{
    if (kq_ascii_ieq(text, len, "true", 4)) {
        *out = true;
        return true;
    }
    if (kq_ascii_ieq(text, len, "false", 5)) {
        *out = false;
        return true;
    }
    return false;
}

static bool looks_like_json_container(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    return i < len && (text[i] == '{' || text[i] == '[');
}

static const kq_dyn *parse_json_text(kq_arena *arena, const char *text, size_t len)
{
    if (!looks_like_json_container(text, len))
        return NULL;
    return kq_dyn_parse(arena, text, len, NULL);
}

/* Converts text to a built-in column's type. Empty text is null; returns false when text does not convert. */
static bool convert_text(kq_table_builder *b, kq_type type, const char *text, size_t len, cell *out)
{
    memset(out, 0, sizeof *out);
    if (type == KQ_STRING || type == KQ_GUID) {
        out->kind = CELL_STRING;
        out->u.s = stage_string(b, text, len);
        return true;
    }
    if (len == 0)
        return true;
    switch (type) {
    case KQ_INT:
    case KQ_LONG:
        out->kind = CELL_LONG;
        if (parse_long_text(text, len, &out->u.l)) {
            if (type == KQ_INT && (out->u.l < INT32_MIN || out->u.l > INT32_MAX))
                break;
            return true;
        }
        break;
    case KQ_REAL:
    case KQ_DECIMAL:
        out->kind = CELL_REAL;
        if (parse_real_text(text, len, &out->u.r))
            return true;
        break;
    case KQ_BOOL:
        out->kind = CELL_BOOL;
        if (parse_bool_text(text, len, &out->u.b))
            return true;
        if (len == 1 && (text[0] == '0' || text[0] == '1')) {
            out->u.b = text[0] == '1';
            return true;
        }
        break;
    case KQ_DATETIME:
        out->kind = CELL_DATETIME;
        if (kq_datetime_parse(text, len, &out->u.l))
            return true;
        break;
    case KQ_TIMESPAN:
        out->kind = CELL_TIMESPAN;
        if (kq_timespan_parse(text, len, &out->u.l))
            return true;
        break;
    case KQ_DYNAMIC: {
        /* Text that is not JSON becomes a dynamic string, as Kusto ingestion does. */
        out->kind = CELL_DYNAMIC;
        out->u.d = kq_dyn_parse(b->values, text, len, NULL);
        if (!out->u.d) {
            kq_value s = kq_string(stage_string(b, text, len).ptr, len);
            out->u.d = kq_dyn_from_value(b->values, &s);
        }
        return true;
    }
    default:
        break;
    }
    out->kind = CELL_NULL;
    return false;
}

static void set_cell(kq_table_builder *b, int column, const cell *value)
{
    if (column < 0 || (size_t)column >= b->ncolumns)
        return;
    *current_cell(b, column) = *value;
}

void kq_table_builder_set_text(kq_table_builder *b, int column, const char *text, size_t len)
{
    if (column < 0 || (size_t)column >= b->ncolumns)
        return;
    cell value = {0};
    kq_type declared = b->columns[column].declared;
    if (declared == KQ_TYPE_NONE) {
        if (len > 0) {
            value.kind = CELL_TEXT;
            value.u.s = stage_string(b, text, len);
        }
    } else if (!convert_text(b, declared, text, len, &value)) {
        b->row_failures++;
        snprintf(b->stats.last_failure, sizeof b->stats.last_failure, "%s (%s): '%.*s'",
                 b->columns[column].name, kq_type_name(declared), (int)(len > 60 ? 60 : len), text);
    }
    set_cell(b, column, &value);
}

/* Converts a JSON value to a cell of a built-in column's type. */
static bool convert_json(kq_table_builder *b, kq_type type, const json_t *json, cell *out)
{
    memset(out, 0, sizeof *out);
    if (json_is_null(json))
        return true;
    if (json_is_string(json))
        return convert_text(b, type, json_string_value(json), json_string_length(json), out);
    const kq_dyn *dyn = kq_dyn_from_jansson(b->values, json);
    if (type == KQ_DYNAMIC) {
        out->kind = CELL_DYNAMIC;
        out->u.d = dyn;
        return true;
    }
    kq_value v = kq_dyn_to_value(dyn, type == KQ_GUID ? KQ_STRING : type, b->values);
    if (v.null)
        return false;
    switch (type) {
    case KQ_STRING:
    case KQ_GUID:
        out->kind = CELL_STRING;
        out->u.s = v.u.s;
        break;
    case KQ_INT:
    case KQ_LONG:
    case KQ_DATETIME:
    case KQ_TIMESPAN:
        out->kind = type == KQ_DATETIME ? CELL_DATETIME : type == KQ_TIMESPAN ? CELL_TIMESPAN : CELL_LONG;
        out->u.l = v.u.l;
        break;
    case KQ_REAL:
    case KQ_DECIMAL:
        out->kind = CELL_REAL;
        out->u.r = v.u.r;
        break;
    case KQ_BOOL:
        out->kind = CELL_BOOL;
        out->u.b = v.u.b;
        break;
    default:
        return false;
    }
    return true;
}

void kq_table_builder_set_json(kq_table_builder *b, int column, const json_t *json)
{
    if (column < 0 || (size_t)column >= b->ncolumns || !json)
        return;
    cell value = {0};
    kq_type declared = b->columns[column].declared;
    if (declared != KQ_TYPE_NONE) {
        if (!convert_json(b, declared, json, &value)) {
            b->row_failures++;
            snprintf(b->stats.last_failure, sizeof b->stats.last_failure, "%s (%s): a JSON %s",
                     b->columns[column].name, kq_type_name(declared),
                     json_is_string(json) ? "string" : json_is_number(json) ? "number" : "value");
        }
        set_cell(b, column, &value);
        return;
    }
    switch (json_typeof(json)) {
    case JSON_STRING:
        if (json_string_length(json) > 0) {
            value.kind = CELL_JSON_STRING;
            value.u.s = stage_string(b, json_string_value(json), json_string_length(json));
        }
        break;
    case JSON_INTEGER:
        value.kind = CELL_LONG;
        value.u.l = json_integer_value(json);
        break;
    case JSON_REAL:
        value.kind = CELL_REAL;
        value.u.r = json_real_value(json);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        value.kind = CELL_BOOL;
        value.u.b = json_is_true(json);
        break;
    case JSON_OBJECT:
    case JSON_ARRAY:
        value.kind = CELL_DYNAMIC;
        value.u.d = kq_dyn_from_jansson(b->values, json);
        break;
    default:
        break;
    }
    set_cell(b, column, &value);
}

/* Stores a typed value as a cell of its own kind, copying strings into the builder. */
static cell cell_from_value(kq_table_builder *b, kq_value v)
{
    cell c = {0};
    if (v.null && v.type != KQ_STRING)
        return c;
    switch (v.type) {
    case KQ_STRING:
    case KQ_GUID:
        c.kind = CELL_STRING;
        c.u.s = stage_string(b, v.u.s.ptr, v.u.s.len);
        break;
    case KQ_INT:
    case KQ_LONG:
        c.kind = CELL_LONG;
        c.u.l = v.u.l;
        break;
    case KQ_REAL:
    case KQ_DECIMAL:
        c.kind = CELL_REAL;
        c.u.r = v.u.r;
        break;
    case KQ_BOOL:
        c.kind = CELL_BOOL;
        c.u.b = v.u.b;
        break;
    case KQ_DATETIME:
        c.kind = CELL_DATETIME;
        c.u.l = v.u.l;
        break;
    case KQ_TIMESPAN:
        c.kind = CELL_TIMESPAN;
        c.u.l = v.u.l;
        break;
    case KQ_DYNAMIC: {
        /* Copy the tree so it lives in the builder's arena. */
        kq_value copy = kq_value_copy(b->values, v);
        c.kind = copy.u.d ? CELL_DYNAMIC : CELL_NULL;
        c.u.d = copy.u.d;
        break;
    }
    default:
        break;
    }
    return c;
}

void kq_table_builder_set_value(kq_table_builder *b, int column, kq_value v)
{
    if (column < 0 || (size_t)column >= b->ncolumns)
        return;
    kq_type declared = b->columns[column].declared;
    cell c = cell_from_value(b, v);
    if (declared != KQ_TYPE_NONE && c.kind != CELL_NULL) {
        bool same = (declared == v.type) || (kq_type_is_integer(declared) && kq_type_is_integer(v.type)) ||
                    (declared == KQ_GUID && v.type == KQ_STRING) || (declared == KQ_STRING && v.type == KQ_GUID);
        if (!same) {
            const kq_dyn *dyn = kq_dyn_from_value(b->values, &v);
            kq_value converted = kq_dyn_to_value(dyn, declared == KQ_GUID ? KQ_STRING : declared, b->values);
            if (converted.null && declared != KQ_STRING) {
                b->row_failures++;
                snprintf(b->stats.last_failure, sizeof b->stats.last_failure, "%s (%s): a %s value",
                         b->columns[column].name, kq_type_name(declared), kq_type_name(v.type));
            }
            c = cell_from_value(b, converted);
        }
    }
    set_cell(b, column, &c);
}

void kq_table_builder_set_datetime(kq_table_builder *b, int column, int64_t ticks)
{
    kq_table_builder_set_value(b, column, kq_datetime(ticks));
}

static kq_table *build_table(kq_table_builder *b, bool keep_cells, bool even);

/* Staged rows that make a streaming builder hand over its whole batches. */
#define BUILDER_STREAM_ROWS ((uint64_t)32 * KQ_BATCH_ROWS)

/*
 * True when the batches built now are those a build of every row would make:
 * each kept column has a declared type, so no type waits on later rows, and
 * no time column is missing, so none is added later.
 */
static bool types_settled(const kq_table_builder *b)
{
    if ((find_column(b, "Timestamp", 9) < 0) != (find_column(b, "TimeGenerated", 13) < 0))
        return false;
    for (size_t c = 0; c < b->ncolumns; c++)
        if (!b->columns[c].skipped && b->columns[c].declared == KQ_TYPE_NONE)
            return false;
    return true;
}

/*
 * Copies the strings and dynamic values of the first `rows` staged rows into
 * the builder's current arena. A stream calls it for the rows it leaves
 * staged, so that the arena of the rows it streamed can be freed with them.
 */
static void copy_staged_values(kq_table_builder *b, size_t rows)
{
    for (size_t c = 0; c < b->ncolumns; c++) {
        builder_column *col = &b->columns[c];
        size_t end = col->ncells < rows ? col->ncells : rows;
        for (size_t r = 0; r < end; r++) {
            cell *x = &col->cells[r];
            if (x->kind == CELL_TEXT || x->kind == CELL_JSON_STRING || x->kind == CELL_STRING)
                x->u.s.ptr = kq_arena_strndup(b->values, x->u.s.ptr, x->u.s.len);
            else if (x->kind == CELL_DYNAMIC && x->u.d)
                x->u.d = kq_dyn_copy(b->values, x->u.d);
        }
    }
}

/* Passes table through the sieve, if any, then hands it to the stream callback. */
static void sieve_and_stream(kq_table_builder *b, kq_table *table)
{
    if (b->sieve)
        b->sieve(b->sieve_user, table);
    b->stream(b->stream_user, table);
}

/*
 * Hands the staged rows of whole batches to the stream callback. The rows of
 * an unfinished batch stay staged, and the cell arrays keep their size for
 * the next rows, so a long load does not fault in fresh pages at every stream.
 */
static void stream_if_ready(kq_table_builder *b)
{
    if (!b->stream || b->flush_rows || b->stats.rows < b->stream_rows || !types_settled(b))
        return;
    size_t rows = (size_t)b->stats.rows;
    size_t whole = rows / KQ_BATCH_ROWS * KQ_BATCH_ROWS;
    if (whole == 0)
        return;
    b->stats.rows = whole;
    kq_table *table = build_table(b, true, false);
    for (size_t c = 0; c < b->ncolumns; c++) {
        builder_column *col = &b->columns[c];
        size_t end = col->ncells < rows ? col->ncells : rows;
        size_t tail = end > whole ? end - whole : 0;
        if (tail)
            memmove(col->cells, col->cells + whole, tail * sizeof(cell));
        /* Cells past ncells must read as null (current_cell relies on it). */
        if (col->ncells > tail)
            memset(col->cells + tail, 0, (col->ncells - tail) * sizeof(cell));
        col->ncells = tail;
    }
    b->stats.rows = rows - whole;
    copy_staged_values(b, rows - whole);
    sieve_and_stream(b, table);
}

void kq_table_builder_set_sieve(kq_table_builder *b, kq_builder_flush sieve, void *user)
{
    b->sieve = sieve;
    b->sieve_user = user;
}

void kq_table_builder_set_stream(kq_table_builder *b, kq_builder_flush stream, void *user)
{
    b->stream = stream;
    b->stream_user = user;
    /* KQLITE_STREAM_ROWS lowers the threshold, so that tests stream small inputs. */
    b->stream_rows = kq_env_count("KQLITE_STREAM_ROWS", BUILDER_STREAM_ROWS);
}

/*
 * Builds every staged row into a table and empties the builder's cells. The
 * columns keep their indexes, because readers hold them. With even, the
 * batches split the rows in equal shares.
 */
static kq_table *take_staged(kq_table_builder *b, bool even)
{
    kq_table *table = build_table(b, false, even);
    free_cells(b);
    b->stats.rows = 0;
    return table;
}

/* Hands the staged rows to the flush callback once there are flush_rows of them. */
static void flush_if_full(kq_table_builder *b)
{
    if (b->flush_rows && b->stats.rows >= b->flush_rows)
        b->flush(b->flush_user, take_staged(b, false));
}

void kq_table_builder_end_row(kq_table_builder *b)
{
    b->stats.conversion_failures += b->row_failures;
    b->row_failures = 0;
    b->stats.rows++;
    flush_if_full(b);
    if (b->stream && b->stats.rows >= b->stream_rows)
        stream_if_ready(b);
}

void kq_table_builder_set_flush(kq_table_builder *b, uint64_t rows, kq_builder_flush flush, void *user)
{
    b->flush_rows = flush ? rows : 0;
    b->flush = flush;
    b->flush_user = user;
}

void kq_table_builder_discard_row(kq_table_builder *b)
{
    size_t row = (size_t)b->stats.rows;
    for (size_t i = 0; i < b->ncolumns; i++) {
        builder_column *col = &b->columns[i];
        if (row < col->ncells) {
            memset(&col->cells[row], 0, sizeof(cell));
            col->ncells = row;
        }
    }
    b->row_failures = 0;
}

kq_table_builder *kq_table_builder_fork(const kq_table_builder *b)
{
    kq_table_builder *part = kq_table_builder_new(b->table_name, NULL);
    /* A fork stages one piece of a file: blocks below malloc's mmap threshold keep
     * its arena out of mmap and munmap system calls. */
    kq_arena_free(part->values);
    part->values = kq_arena_new(64 * 1024);
    for (size_t i = 0; i < b->ncolumns; i++) {
        const builder_column *col = &b->columns[i];
        add_column(part, col->name, col->name_len, col->declared);
        part->columns[i].skipped = col->skipped;
    }
    part->schema_count = b->schema_count;
    part->filter = b->filter;
    part->filter_user = b->filter_user;
    return part;
}

/* Cells a part staged in a column, up to its row count. */
static size_t part_cells(const kq_table_builder *part, size_t column)
{
    const builder_column *col = &part->columns[column];
    return col->ncells < (size_t)part->stats.rows ? col->ncells : (size_t)part->stats.rows;
}

typedef struct append_job {
    kq_table_builder *builder;
    kq_table_builder **parts;
    const size_t *first; /* per part: the builder row its first row becomes */
    const bool *grown;   /* per column: the column's cells cover every appended row */
    size_t ncolumns;
} append_job;

/* Copies part i's cells to its rows of the builder; each part writes only its own rows. */
static void copy_part(void *user, size_t i, int thread)
{
    (void)thread;
    append_job *job = user;
    const kq_table_builder *part = job->parts[i];
    size_t rows = (size_t)part->stats.rows;
    for (size_t c = 0; c < job->ncolumns; c++) {
        if (!job->grown[c])
            continue;
        cell *dst = job->builder->columns[c].cells + job->first[i];
        size_t n = part_cells(part, c);
        if (n)
            memcpy(dst, part->columns[c].cells, n * sizeof(cell));
        /* The rows the part left null, which may be fresh memory. */
        memset(dst + n, 0, (rows - n) * sizeof(cell));
    }
}

/* Sizes every column that has cells, or gets some from parts, to hold all rows up to `total`. */
static bool *grow_columns(kq_table_builder *b, kq_table_builder **parts, size_t count, size_t total)
{
    bool *grown = kq_xcalloc(b->ncolumns + 1, sizeof *grown);
    size_t first = (size_t)b->stats.rows;
    for (size_t c = 0; c < b->ncolumns; c++) {
        builder_column *col = &b->columns[c];
        bool any = col->cap > 0;
        for (size_t i = 0; i < count && !any && c < parts[i]->ncolumns; i++)
            any = part_cells(parts[i], c) > 0;
        if (!any)
            continue;
        grown[c] = true;
        if (total > col->cap) {
            /* Exact sizes, so no spare tail needs zeroing: glibc's realloc grows a large
             * array by remapping its pages instead of copying them. */
            size_t old_cap = col->cap;
            col->cells = kq_xrealloc(col->cells, total * sizeof(cell));
            col->cap = total;
            if (old_cap < first)
                memset(col->cells + old_cap, 0, (first - old_cap) * sizeof(cell));
        }
        if (col->ncells < total)
            col->ncells = total;
    }
    return grown;
}

/*
 * Builds a part's staged rows into its sealed table, in equal batches, on the
 * calling thread, and passes them through builder's sieve.
 */
static void seal(kq_table_builder *part, const kq_table_builder *builder)
{
    part->threads = 1;
    part->sealed = take_staged(part, true);
    if (builder->sieve)
        builder->sieve(builder->sieve_user, part->sealed);
}

bool kq_table_builder_seal_part(kq_table_builder *part, const kq_table_builder *builder)
{
    if (!builder->stream || builder->flush_rows || !types_settled(builder) || part->sealed)
        return false;
    seal(part, builder);
    return true;
}

/*
 * Streams builder's staged rows, then each part's sealed table, in order. A
 * part that was not sealed is sealed here. No cell is copied, because each
 * part's batches go out as a table of their own.
 */
static void append_sealed_parts(kq_table_builder *b, kq_table_builder **parts, size_t count)
{
    if (b->stats.rows > 0)
        sieve_and_stream(b, take_staged(b, false));
    for (size_t i = 0; i < count; i++) {
        kq_table_builder *part = parts[i];
        if (!part->sealed)
            seal(part, b);
        b->stats.conversion_failures += part->stats.conversion_failures;
        if (part->stats.conversion_failures)
            memcpy(b->stats.last_failure, part->stats.last_failure, sizeof b->stats.last_failure);
        kq_table *table = part->sealed;
        part->sealed = NULL;
        kq_table_builder_free(part);
        if (table->nrows > 0)
            b->stream(b->stream_user, table);
        else
            kq_table_free(table);
    }
}

void kq_table_builder_append_parts(kq_table_builder *b, kq_table_builder **parts, size_t count, int threads)
{
    for (size_t i = 0; i < count; i++)
        if (parts[i]->sealed) {
            append_sealed_parts(b, parts, count);
            return;
        }
    size_t *first = kq_xcalloc(count + 1, sizeof *first);
    size_t total = (size_t)b->stats.rows;
    for (size_t i = 0; i < count; i++) {
        first[i] = total;
        total += (size_t)parts[i]->stats.rows;
    }
    bool *grown = grow_columns(b, parts, count, total);
    append_job job = {b, parts, first, grown, b->ncolumns};
    for (size_t i = 0; i < count; i++)
        if (parts[i]->ncolumns < job.ncolumns)
            job.ncolumns = parts[i]->ncolumns;
    kq_parallel_for(count, threads, copy_part, &job);

    for (size_t i = 0; i < count; i++) {
        kq_table_builder *part = parts[i];
        b->stats.rows += part->stats.rows;
        b->stats.conversion_failures += part->stats.conversion_failures;
        if (part->stats.conversion_failures)
            memcpy(b->stats.last_failure, part->stats.last_failure, sizeof b->stats.last_failure);
        kq_arena_adopt(b->values, part->values);
        part->values = NULL;
        kq_table_builder_free(part);
    }
    free(grown);
    free(first);
    flush_if_full(b);
    stream_if_ready(b);
}

const kq_builder_stats *kq_table_builder_stats(const kq_table_builder *b)
{
    return &b->stats;
}

/* ---- type inference for extra columns ---- */

typedef struct inference {
    unsigned kinds; /* bit per cell_kind seen among non-null cells */
    bool text_long, text_real, text_bool, text_datetime, text_dynamic;
    bool strings_datetime; /* every JSON string parses as a datetime */
} inference;

static void observe_text(inference *inf, kq_arena *scratch, const kq_str *s)
{
    int64_t l;
    double r;
    bool flag;
    if (inf->text_long && !parse_long_text(s->ptr, s->len, &l))
        inf->text_long = false;
    if (inf->text_real && !parse_real_text(s->ptr, s->len, &r))
        inf->text_real = false;
    if (inf->text_bool && !parse_bool_text(s->ptr, s->len, &flag))
        inf->text_bool = false;
    if (inf->text_datetime && !kq_datetime_parse(s->ptr, s->len, &l))
        inf->text_datetime = false;
    if (inf->text_dynamic) {
        kq_arena_reset(scratch);
        if (!parse_json_text(scratch, s->ptr, s->len))
            inf->text_dynamic = false;
    }
}

/* Chooses a column type from its cells: the narrowest type every value converts to, else string. */
static kq_type infer_column_type(const builder_column *col, size_t nrows)
{
    inference inf = {0, true, true, true, true, true, true};
    kq_arena *scratch = kq_arena_new(4096);
    size_t n = col->ncells < nrows ? col->ncells : nrows;
    for (size_t r = 0; r < n; r++) {
        const cell *c = &col->cells[r];
        if (c->kind == CELL_NULL)
            continue;
        inf.kinds |= 1u << c->kind;
        if (c->kind == CELL_TEXT)
            observe_text(&inf, scratch, &c->u.s);
        else if (c->kind == CELL_JSON_STRING && inf.strings_datetime) {
            int64_t t;
            inf.strings_datetime = kq_datetime_parse(c->u.s.ptr, c->u.s.len, &t);
        }
    }
    kq_arena_free(scratch);

    unsigned text = 1u << CELL_TEXT;
    unsigned others = inf.kinds & ~text;
    bool has_text = (inf.kinds & text) != 0;
#define ONLY(mask) ((others & ~(unsigned)(mask)) == 0)
    if (inf.kinds == 0)
        return KQ_STRING;
    if (others & (1u << CELL_STRING))
        return KQ_STRING;
    if (others & (1u << CELL_JSON_STRING)) {
        if (ONLY((1u << CELL_JSON_STRING) | (1u << CELL_DATETIME)) && inf.strings_datetime &&
            (!has_text || inf.text_datetime))
            return KQ_DATETIME;
        /* JSON strings mixed with objects or arrays: keep every value as dynamic. */
        if (!has_text && (others & (1u << CELL_DYNAMIC)))
            return KQ_DYNAMIC;
        return KQ_STRING;
    }
    if (ONLY(1u << CELL_LONG) && (!has_text || inf.text_long))
        return KQ_LONG;
    if (ONLY((1u << CELL_LONG) | (1u << CELL_REAL)) && (!has_text || inf.text_real))
        return KQ_REAL;
    if (ONLY(1u << CELL_BOOL) && (!has_text || inf.text_bool))
        return KQ_BOOL;
    if (ONLY(1u << CELL_DATETIME) && (!has_text || inf.text_datetime))
        return KQ_DATETIME;
    if (ONLY(1u << CELL_TIMESPAN) && !has_text)
        return KQ_TIMESPAN;
    if (ONLY(1u << CELL_DYNAMIC) && (!has_text || inf.text_dynamic))
        return KQ_DYNAMIC;
    if (!has_text && (others & (1u << CELL_DYNAMIC)))
        return KQ_DYNAMIC;
#undef ONLY
    return KQ_STRING;
}

/* ---- finish: cells to typed batches ---- */

static kq_value cell_as_string(const cell *c, kq_arena *arena)
{
    char text[48];
    switch (c->kind) {
    case CELL_TEXT:
    case CELL_JSON_STRING:
    case CELL_STRING:
        return kq_string(c->u.s.ptr, c->u.s.len);
    case CELL_LONG:
        snprintf(text, sizeof text, "%lld", (long long)c->u.l);
        break;
    case CELL_REAL:
        kq_real_format(c->u.r, text);
        break;
    case CELL_BOOL:
        strcpy(text, c->u.b ? "true" : "false");
        break;
    case CELL_DATETIME:
        kq_datetime_format(c->u.l, text);
        break;
    case CELL_TIMESPAN:
        kq_timespan_format(c->u.l, text);
        break;
    case CELL_DYNAMIC: {
        kq_buf json;
        kq_buf_init(&json);
        kq_dyn_to_json(c->u.d, &json);
        kq_value v = kq_string(kq_arena_strndup(arena, json.data, json.len), json.len);
        kq_buf_free(&json);
        return v;
    }
    default:
        return kq_null(KQ_STRING);
    }
    size_t len = strlen(text);
    return kq_string(kq_arena_strndup(arena, text, len), len);
}

/* Converts a staged cell to the column's final type; inference guarantees text converts. */
static kq_value cell_to_value(const cell *c, kq_type type, kq_arena *arena)
{
    if (c->kind == CELL_NULL)
        return kq_null(type);
    if (type == KQ_STRING || type == KQ_GUID) {
        kq_value v = cell_as_string(c, arena);
        v.type = type;
        return v;
    }
    bool textual = c->kind == CELL_TEXT || c->kind == CELL_JSON_STRING;
    const char *p = textual ? c->u.s.ptr : NULL;
    size_t len = textual ? c->u.s.len : 0;
    kq_value v = kq_null(type);
    switch (type) {
    case KQ_INT:
    case KQ_LONG:
        if (c->kind == CELL_LONG)
            v = kq_long(c->u.l);
        else if (textual && parse_long_text(p, len, &v.u.l))
            v.null = false;
        break;
    case KQ_REAL:
    case KQ_DECIMAL:
        if (c->kind == CELL_REAL)
            v = kq_real(c->u.r);
        else if (c->kind == CELL_LONG)
            v = kq_real((double)c->u.l);
        else if (textual && parse_real_text(p, len, &v.u.r))
            v.null = false;
        break;
    case KQ_BOOL:
        if (c->kind == CELL_BOOL)
            v = kq_bool(c->u.b);
        else if (textual && parse_bool_text(p, len, &v.u.b))
            v.null = false;
        break;
    case KQ_DATETIME:
    case KQ_TIMESPAN:
        if (c->kind == CELL_DATETIME || c->kind == CELL_TIMESPAN) {
            v.u.l = c->u.l;
            v.null = false;
        } else if (textual && type == KQ_DATETIME && kq_datetime_parse(p, len, &v.u.l)) {
            v.null = false;
        }
        break;
    case KQ_DYNAMIC:
        if (c->kind == CELL_DYNAMIC) {
            v = kq_dynamic(c->u.d);
        } else if (textual) {
            const kq_dyn *d = c->kind == CELL_TEXT ? parse_json_text(arena, p, len) : NULL;
            if (!d) {
                kq_value s = kq_string(p, len);
                d = kq_dyn_from_value(arena, &s);
            }
            v = kq_dynamic(d);
        } else {
            kq_value scalar = {.type = KQ_LONG};
            if (c->kind == CELL_LONG)
                scalar = kq_long(c->u.l);
            else if (c->kind == CELL_REAL)
                scalar = kq_real(c->u.r);
            else if (c->kind == CELL_BOOL)
                scalar = kq_bool(c->u.b);
            else if (c->kind == CELL_DATETIME)
                scalar = kq_datetime(c->u.l);
            else if (c->kind == CELL_TIMESPAN)
                scalar = kq_timespan(c->u.l);
            v = kq_dynamic(kq_dyn_from_value(arena, &scalar));
        }
        break;
    default:
        break;
    }
    v.type = type;
    return v;
}

static const cell *cell_at(const builder_column *col, size_t row)
{
    static const cell null_cell = {0};
    return row < col->ncells ? &col->cells[row] : &null_cell;
}

/* Adds TimeGenerated as a copy of Timestamp (or the reverse) when a table has only one of them. */
static void add_missing_time_column(kq_table_builder *b, kq_type *types)
{
    int ts = find_column(b, "Timestamp", 9);
    int tg = find_column(b, "TimeGenerated", 13);
    if ((ts < 0) == (tg < 0))
        return;
    int present = ts >= 0 ? ts : tg;
    if (types[present] != KQ_DATETIME || b->ncolumns >= BUILDER_MAX_COLUMNS)
        return;
    const char *name = ts >= 0 ? "TimeGenerated" : "Timestamp";
    int added = add_column(b, name, strlen(name), KQ_TYPE_NONE);
    builder_column *src = &b->columns[present];
    builder_column *dst = &b->columns[added];
    dst->cap = dst->ncells = src->ncells;
    dst->cells = kq_xcalloc(src->ncells ? src->ncells : 1, sizeof(cell));
    if (src->ncells)
        memcpy(dst->cells, src->cells, src->ncells * sizeof(cell));
    types[added] = KQ_DATETIME;
}

/*
 * Fills a string or guid column: text cells are stored as they are, which is
 * what cell_to_value and kq_batch_set would do one call at a time.
 */
static void fill_text_column(const builder_column *col, kq_batch *batch, uint32_t c, kq_type type, size_t first_row,
                             uint32_t nrows)
{
    kq_str *out = batch->cols[c].v.s;
    for (uint32_t r = 0; r < nrows; r++) {
        const cell *in = cell_at(col, first_row + r);
        if (in->kind == CELL_TEXT || in->kind == CELL_JSON_STRING || in->kind == CELL_STRING)
            out[r] = in->u.s;
        else
            kq_batch_set(batch, c, r, cell_to_value(in, type, batch->arena));
    }
}

/* Fills a datetime or timespan column: cells converted while loading are stored directly. */
static void fill_ticks_column(const builder_column *col, kq_batch *batch, uint32_t c, kq_type type, size_t first_row,
                              uint32_t nrows)
{
    cell_kind same = type == KQ_DATETIME ? CELL_DATETIME : CELL_TIMESPAN;
    for (uint32_t r = 0; r < nrows; r++) {
        const cell *in = cell_at(col, first_row + r);
        if (in->kind == same && !batch->cols[c].nulls)
            batch->cols[c].v.l[r] = in->u.l;
        else
            kq_batch_set(batch, c, r, cell_to_value(in, type, batch->arena));
    }
}

/* Fills column c of a batch with the table rows [first_row, first_row + nrows). */
static void fill_batch_column(kq_table_builder *b, kq_batch *batch, const kq_type *types, size_t c,
                              size_t first_row, uint32_t nrows)
{
    if (types[c] == KQ_STRING || types[c] == KQ_GUID) {
        fill_text_column(&b->columns[c], batch, (uint32_t)c, types[c], first_row, nrows);
        return;
    }
    if (types[c] == KQ_DATETIME || types[c] == KQ_TIMESPAN) {
        fill_ticks_column(&b->columns[c], batch, (uint32_t)c, types[c], first_row, nrows);
        return;
    }
    for (uint32_t r = 0; r < nrows; r++) {
        kq_value v = cell_to_value(cell_at(&b->columns[c], first_row + r), types[c], batch->arena);
        kq_batch_set(batch, (uint32_t)c, r, v);
    }
}

/* Timestamp and TimeGenerated fill each other row by row, once both columns are filled. */
static void fill_time_pair(kq_batch *batch, int ts, int tg)
{
    for (uint32_t r = 0; r < batch->nrows; r++) {
        kq_value a = kq_column_get(&batch->cols[ts], r);
        kq_value g = kq_column_get(&batch->cols[tg], r);
        if (a.null && !g.null)
            kq_batch_set(batch, (uint32_t)ts, r, g);
        else if (g.null && !a.null)
            kq_batch_set(batch, (uint32_t)tg, r, a);
    }
}

typedef struct fill_job {
    kq_table_builder *builder;
    kq_batch **batches;
    const size_t *firsts; /* per batch: the staged row of its first row */
    const kq_type *types;
    size_t column; /* the column being filled */
    int ts, tg;
    bool pair; /* Timestamp and TimeGenerated are both kept datetime columns */
} fill_job;

/* Fills the job's column of batch i; each batch writes only its own columns and arena. */
static void fill_column_at(void *user, size_t i, int thread)
{
    (void)thread;
    fill_job *job = user;
    kq_batch *batch = job->batches[i];
    fill_batch_column(job->builder, batch, job->types, job->column, job->firsts[i], batch->nrows);
}

static void fill_time_pair_at(void *user, size_t i, int thread)
{
    (void)thread;
    fill_job *job = user;
    fill_time_pair(job->batches[i], job->ts, job->tg);
}

/* Fills every kept column of batch i, then its time pair; used when the cells stay staged. */
static void fill_batch_at(void *user, size_t i, int thread)
{
    (void)thread;
    fill_job *job = user;
    kq_batch *batch = job->batches[i];
    for (size_t c = 0; c < job->builder->ncolumns; c++)
        if (!job->builder->columns[c].skipped)
            fill_batch_column(job->builder, batch, job->types, c, job->firsts[i], batch->nrows);
    if (job->pair)
        fill_time_pair(batch, job->ts, job->tg);
}

/*
 * Fills the batches on every thread. With keep_cells, each thread fills
 * whole batches and the staged cells stay. Otherwise the batches are filled
 * one column at a time and each column's cells are freed once filled, so
 * the cells and the batches of a large load are never all in memory at once.
 */
static void fill_batches(kq_table_builder *b, kq_batch **batches, const size_t *firsts, size_t nbatches,
                         const kq_type *types, bool keep_cells)
{
    fill_job job = {b, batches, firsts, types, 0, find_column(b, "Timestamp", 9), find_column(b, "TimeGenerated", 13),
                    false};
    job.pair = job.ts >= 0 && job.tg >= 0 && types[job.ts] == KQ_DATETIME && types[job.tg] == KQ_DATETIME &&
               !b->columns[job.ts].skipped && !b->columns[job.tg].skipped;
    if (keep_cells) {
        kq_parallel_for(nbatches, b->threads, fill_batch_at, &job);
        return;
    }
    for (size_t c = 0; c < b->ncolumns; c++) {
        if (b->columns[c].skipped)
            continue; /* shares the batch's read-only null block */
        job.column = c;
        kq_parallel_for(nbatches, b->threads, fill_column_at, &job);
        free(b->columns[c].cells);
        b->columns[c].cells = NULL;
        b->columns[c].ncells = b->columns[c].cap = 0;
    }
    if (job.pair)
        kq_parallel_for(nbatches, b->threads, fill_time_pair_at, &job);
}

void kq_table_builder_set_threads(kq_table_builder *b, int threads)
{
    b->threads = threads;
}

/*
 * Builds a table of the rows staged so far and frees their cells. With
 * keep_cells the cell arrays stay for the caller. The caller resets the row count.
 */
static kq_table *build_table(kq_table_builder *b, bool keep_cells, bool even)
{
    size_t nrows = (size_t)b->stats.rows;
    kq_type *types = kq_xcalloc(b->ncolumns + 1, sizeof(kq_type));
    for (size_t c = 0; c < b->ncolumns; c++)
        types[c] = b->columns[c].declared != KQ_TYPE_NONE ? b->columns[c].declared
                                                          : infer_column_type(&b->columns[c], nrows);
    types = kq_xrealloc(types, (b->ncolumns + 1) * sizeof(kq_type));
    add_missing_time_column(b, types);

    kq_schema schema = {(uint32_t)b->ncolumns, kq_xcalloc(b->ncolumns + 1, sizeof(kq_field))};
    for (size_t c = 0; c < b->ncolumns; c++) {
        schema.fields[c].name = b->columns[c].name;
        schema.fields[c].type = types[c];
    }
    kq_table *table = kq_table_new(b->table_name, &schema);
    free(schema.fields);

    /* The holder batch owns the staged strings; every data batch keeps it alive. */
    kq_batch *holder = kq_batch_new(0, NULL, 0);
    kq_arena_free(holder->arena);
    holder->arena = b->values;
    b->values = kq_arena_new(256 * 1024);

    bool *absent = kq_xcalloc(b->ncolumns + 1, sizeof *absent);
    for (size_t c = 0; c < b->ncolumns; c++)
        absent[c] = b->columns[c].skipped;
    size_t nbatches = (nrows + KQ_BATCH_ROWS - 1) / KQ_BATCH_ROWS;
    kq_batch **batches = kq_xcalloc(nbatches ? nbatches : 1, sizeof *batches);
    /* Batch i gets rows [firsts[i], firsts[i + 1]): KQ_BATCH_ROWS each but the last, or equal shares when even. */
    size_t *firsts = kq_xcalloc(nbatches + 1, sizeof *firsts);
    for (size_t i = 0; i <= nbatches; i++)
        firsts[i] = even ? (size_t)((uint64_t)i * nrows / (nbatches ? nbatches : 1))
                         : (i * KQ_BATCH_ROWS < nrows ? i * KQ_BATCH_ROWS : nrows);
    for (size_t i = 0; i < nbatches; i++) {
        uint32_t n = (uint32_t)(firsts[i + 1] - firsts[i]);
        batches[i] = kq_batch_new_unfilled((uint32_t)b->ncolumns, types, n, absent);
        batches[i]->nrows = n;
        kq_batch_borrow(batches[i], holder);
    }
    fill_batches(b, batches, firsts, nbatches, types, keep_cells);
    free(firsts);
    for (size_t i = 0; i < nbatches; i++)
        kq_table_append(table, batches[i]);
    free(batches);
    kq_batch_release(holder);
    free(absent);
    free(types);
    return table;
}

kq_table *kq_table_builder_finish(kq_table_builder *b)
{
    kq_table *table = build_table(b, false, false);
    /* Reset: keep the built-in columns, drop the extra ones and every cell. */
    free_cells(b);
    b->ncolumns = b->schema_count;
    b->nslots = 0;
    rehash(b);
    b->stats.rows = 0;
    b->stats.conversion_failures = 0;
    b->row_failures = 0;
    return table;
}
