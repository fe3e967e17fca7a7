/*
 * Substitution values of EVTX template instances, and the text helpers they
 * share: UTF-16LE to UTF-8, the per-chunk arena and CRC-32.
 *
 * Value types (one byte; 0x80 marks an array of the base type):
 *   0x00 null            0x08 uint32          0x10 size_t (4 or 8 bytes, hex)
 *   0x01 UTF-16 string   0x09 int64           0x11 FILETIME (8 bytes)
 *   0x02 ANSI string     0x0a uint64          0x12 SYSTEMTIME (16 bytes)
 *   0x03 int8            0x0b float32         0x13 SID
 *   0x04 uint8           0x0c float64         0x14 hex int32
 *   0x05 int16           0x0d bool (4 bytes)  0x15 hex int64
 *   0x06 uint16          0x0e binary          0x20 EvtHandle, 0x23 EvtXml (kept as hex)
 *   0x07 int32           0x0f GUID (16 bytes) 0x21 binary XML fragment
 * Text forms follow what Windows' event viewer shows: GUIDs in braces and
 * upper case, binary as upper-case hex, times as ISO 8601 UTC.
 */
#include "sources/evtx/evtx.h"
#include "base/util.h"
#include "types/types.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- CRC-32 ---- */

/* zlib's CRC-32 (the same polynomial) reads 7.2 GB/s here, a slice-by-8 table 2.6 GB/s. */
uint32_t evtx_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
    while (len > 0) {
        uInt part = len > (size_t)UINT32_MAX ? UINT32_MAX : (uInt)len;
        crc = (uint32_t)crc32(crc, data, part);
        data += part;
        len -= part;
    }
    return crc;
}

/* ---- arena ---- */

#define ARENA_BLOCK_SIZE (64 * 1024 - 64)
/* Freed blocks kept for reuse, at most this many (16 MiB). Without the pool, glibc
 * returned the heap's top to the kernel after every chunk and faulted it in again
 * for the next one, which took more time in the kernel than decoding took. */
#define ARENA_POOL_MAX 256

struct evtx_arena_block {
    evtx_arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static evtx_arena_block *pool;
static size_t pool_count;

static evtx_arena_block *block_new(size_t capacity)
{
    evtx_arena_block *block = NULL;
    if (capacity == ARENA_BLOCK_SIZE) {
        pthread_mutex_lock(&pool_lock);
        if (pool) {
            block = pool;
            pool = block->next;
            pool_count--;
        }
        pthread_mutex_unlock(&pool_lock);
    }
    if (!block)
        block = kq_xmalloc(sizeof *block + capacity);
    block->used = 0;
    block->size = capacity;
    return block;
}

static void block_free(evtx_arena_block *block)
{
    if (block->size == ARENA_BLOCK_SIZE) {
        pthread_mutex_lock(&pool_lock);
        bool kept = pool_count < ARENA_POOL_MAX;
        if (kept) {
            block->next = pool;
            pool = block;
            pool_count++;
        }
        pthread_mutex_unlock(&pool_lock);
        if (kept)
            return;
    }
    free(block);
}

void *evtx_arena_alloc(evtx_arena *arena, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    evtx_arena_block *block = arena->head;
    if (!block || block->size - block->used < size) {
        block = block_new(size > ARENA_BLOCK_SIZE ? size : ARENA_BLOCK_SIZE);
        block->next = arena->head;
        arena->head = block;
    }
    void *out = block->data + block->used;
    block->used += size;
    return out;
}

void evtx_arena_free(evtx_arena *arena)
{
    while (arena->head) {
        evtx_arena_block *next = arena->head->next;
        block_free(arena->head);
        arena->head = next;
    }
}

/* ---- nodes and text ---- */

bool evtx_fail(evtx_binxml *p, const char *format, ...)
{
    if (p->error[0])
        return false;
    va_list args;
    va_start(args, format);
    vsnprintf(p->error, sizeof p->error, format, args);
    va_end(args);
    return false;
}

evtx_node *evtx_node_add(evtx_binxml *p, evtx_node *parent, const char *name, bool attribute)
{
    p->output_bytes += sizeof(evtx_node);
    evtx_node *node = evtx_arena_alloc(p->arena, sizeof *node);
    memset(node, 0, sizeof *node);
    node->name = name;
    if (!parent)
        return node;
    if (attribute) {
        if (parent->last_attribute)
            parent->last_attribute->next = node;
        else
            parent->first_attribute = node;
        parent->last_attribute = node;
    } else {
        if (parent->last_child)
            parent->last_child->next = node;
        else
            parent->first_child = node;
        parent->last_child = node;
    }
    return node;
}

/* Makes room for len more bytes (and a NUL) in node's text. */
static char *reserve_text(evtx_binxml *p, evtx_node *node, size_t len)
{
    p->output_bytes += len;
    if (node->text_len + len + 1 > node->text_cap) {
        size_t cap = node->text_cap ? node->text_cap * 2 : 64;
        while (cap < node->text_len + len + 1)
            cap *= 2;
        char *text = evtx_arena_alloc(p->arena, cap);
        if (node->text_len)
            memcpy(text, node->text, node->text_len);
        node->text = text;
        node->text_cap = cap;
    }
    return node->text + node->text_len;
}

void evtx_node_append(evtx_binxml *p, evtx_node *node, const char *text, size_t len)
{
    char *out = reserve_text(p, node, len);
    memcpy(out, text, len);
    node->text_len += len;
    node->text[node->text_len] = '\0';
    node->value_count++;
    node->is_integer = false;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

void evtx_node_append_utf16(evtx_binxml *p, evtx_node *node, const uint8_t *data, size_t units)
{
    /* Strings written with their terminator keep it in the count: drop trailing NULs. */
    while (units > 0 && evtx_le16(data + 2 * (units - 1)) == 0)
        units--;
    /* Each code unit becomes at most 3 UTF-8 bytes (a surrogate pair, 2 units, becomes 4). */
    char *out = reserve_text(p, node, units * 3);
    size_t n = 0;
    for (size_t i = 0; i < units; i++) {
        uint32_t unit = evtx_le16(data + 2 * i);
        if (unit < 0x80) {
            out[n++] = (char)unit;
            continue;
        }
        uint32_t cp = unit;
        if (unit >= 0xD800 && unit <= 0xDBFF && i + 1 < units) {
            uint32_t low = evtx_le16(data + 2 * (i + 1));
            if (low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                i++;
            } else {
                cp = 0xFFFD;
            }
        } else if (unit >= 0xD800 && unit <= 0xDFFF) {
            cp = 0xFFFD; /* an unpaired high or low surrogate */
        }
        n += put_utf8(out + n, cp);
    }
    node->text_len += n;
    node->text[node->text_len] = '\0';
    node->value_count++;
    node->is_integer = false;
}

/* ---- value rendering ---- */

static void append_format(evtx_binxml *p, evtx_node *node, const char *format, ...) __attribute__((format(printf, 3, 4)));

static void append_format(evtx_binxml *p, evtx_node *node, const char *format, ...)
{
    char buffer[96];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buffer, sizeof buffer, format, args);
    va_end(args);
    if (n > 0)
        evtx_node_append(p, node, buffer, (size_t)n < sizeof buffer ? (size_t)n : sizeof buffer - 1);
}

/* Appends a signed integer and marks the node as holding one number when it is its only content. */
static void append_integer(evtx_binxml *p, evtx_node *node, int64_t value)
{
    /* Formatted by hand: printf was a visible share of the decoding time. */
    char digits[24];
    size_t n = sizeof digits;
    uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        digits[--n] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0)
        digits[--n] = '-';
    bool only = node->value_count == 0;
    evtx_node_append(p, node, digits + n, sizeof digits - n);
    node->is_integer = only;
    node->integer = value;
}

static void append_unsigned(evtx_binxml *p, evtx_node *node, uint64_t value)
{
    if (value > INT64_MAX) {
        append_format(p, node, "%" PRIu64, value);
        return;
    }
    append_integer(p, node, (int64_t)value);
}

static void append_hex_bytes(evtx_binxml *p, evtx_node *node, const uint8_t *data, size_t size)
{
    static const char digits[] = "0123456789ABCDEF";
    char *out = reserve_text(p, node, size * 2);
    for (size_t i = 0; i < size; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    node->text_len += size * 2;
    node->text[node->text_len] = '\0';
    node->value_count++;
    node->is_integer = false;
}

/* Writes the hex digits of value, most significant first, into out[0..digits). */
static void put_hex(char *out, uint32_t value, int digits)
{
    static const char hex[] = "0123456789ABCDEF";
    for (int i = digits - 1; i >= 0; i--, value >>= 4)
        out[i] = hex[value & 15];
}

/* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}, formatted by hand like integers: GUIDs are in most records. */
static void append_guid(evtx_binxml *p, evtx_node *node, const uint8_t *g)
{
    char text[38];
    text[0] = '{';
    put_hex(text + 1, evtx_le32(g), 8);
    text[9] = '-';
    put_hex(text + 10, evtx_le16(g + 4), 4);
    text[14] = '-';
    put_hex(text + 15, evtx_le16(g + 6), 4);
    text[19] = '-';
    for (int i = 0; i < 2; i++)
        put_hex(text + 20 + 2 * i, g[8 + i], 2);
    text[24] = '-';
    for (int i = 0; i < 6; i++)
        put_hex(text + 25 + 2 * i, g[10 + i], 2);
    text[37] = '}';
    evtx_node_append(p, node, text, sizeof text);
}

/* Writes value in decimal at the end of out (size bytes); returns the first digit's offset. */
static size_t put_decimal(char *out, size_t size, uint64_t value)
{
    size_t n = size;
    do {
        out[--n] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    return n;
}

static void append_filetime(evtx_binxml *p, evtx_node *node, uint64_t filetime)
{
    /* FILETIME counts 100 ns intervals since 1601-01-01; kqlite ticks count them since 0001-01-01. */
    const uint64_t ticks_at_1601 = UINT64_C(504911232000000000);
    if (filetime > (uint64_t)INT64_MAX - ticks_at_1601) {
        append_format(p, node, "0x%016" PRIX64, filetime);
        return;
    }
    char text[32];
    kq_datetime_format((int64_t)(filetime + ticks_at_1601), text);
    evtx_node_append(p, node, text, strlen(text));
}

static void append_systemtime(evtx_binxml *p, evtx_node *node, const uint8_t *s)
{
    /* 2 bytes each: year, month, day of week, day, hour, minute, second, milliseconds. */
    append_format(p, node, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", evtx_le16(s), evtx_le16(s + 2), evtx_le16(s + 6),
                  evtx_le16(s + 8), evtx_le16(s + 10), evtx_le16(s + 12), evtx_le16(s + 14));
}

/* A SID: revision (1 byte), sub-authority count (1), authority (6, big-endian), sub-authorities (4 each). */
static bool append_sid(evtx_binxml *p, evtx_node *node, const uint8_t *data, size_t size)
{
    /* A count that runs past the value's size would read the next value's bytes. */
    if (size < 8 || size < 8 + 4 * (size_t)data[1])
        return evtx_fail(p, "SID value of %zu bytes is shorter than its %u sub-authorities", size, data[1]);
    uint64_t authority = 0;
    for (int i = 2; i < 8; i++)
        authority = authority << 8 | data[i];
    /* S-revision-authority-sub1-...: at most 2 + 3 + 1 + 20 + 255 * 11 bytes. */
    char text[2 + 4 + 21 + 255 * 11];
    size_t len = 0;
    char digits[24];
    text[len++] = 'S';
    text[len++] = '-';
    size_t first = put_decimal(digits, sizeof digits, data[0]);
    memcpy(text + len, digits + first, sizeof digits - first);
    len += sizeof digits - first;
    text[len++] = '-';
    first = put_decimal(digits, sizeof digits, authority);
    memcpy(text + len, digits + first, sizeof digits - first);
    len += sizeof digits - first;
    for (unsigned i = 0; i < data[1]; i++) {
        text[len++] = '-';
        first = put_decimal(digits, sizeof digits, evtx_le32(data + 8 + 4 * i));
        memcpy(text + len, digits + first, sizeof digits - first);
        len += sizeof digits - first;
    }
    evtx_node_append(p, node, text, len);
    return true;
}

/* Writes the shortest decimal form that reads back as the same double (3199.234, not 3199.2339999999999). */
static void append_shortest(evtx_binxml *p, evtx_node *node, double value)
{
    char text[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, value);
        if (strtod(text, NULL) == value)
            break;
    }
    evtx_node_append(p, node, text, strlen(text));
}

/* Size in bytes of one element of a fixed-size type; 0 for variable-size types. */
static size_t fixed_size(uint8_t type, size_t value_size)
{
    switch (type) {
    case 0x03: case 0x04: return 1;
    case 0x05: case 0x06: return 2;
    case 0x07: case 0x08: case 0x0b: case 0x0d: case 0x14: return 4;
    case 0x09: case 0x0a: case 0x0c: case 0x11: case 0x15: return 8;
    case 0x0f: case 0x12: return 16;
    case 0x10: return value_size == 4 ? 4 : 8;
    default: return 0;
    }
}

/* Renders one element of a fixed-size type (data contains fixed_size(type) bytes). */
static void render_fixed(evtx_binxml *p, evtx_node *node, uint8_t type, const uint8_t *d, size_t size)
{
    switch (type) {
    case 0x03: append_integer(p, node, (int8_t)d[0]); break;
    case 0x04: append_integer(p, node, d[0]); break;
    case 0x05: append_integer(p, node, (int16_t)evtx_le16(d)); break;
    case 0x06: append_integer(p, node, evtx_le16(d)); break;
    case 0x07: append_integer(p, node, (int32_t)evtx_le32(d)); break;
    case 0x08: append_integer(p, node, evtx_le32(d)); break;
    case 0x09: append_integer(p, node, (int64_t)evtx_le64(d)); break;
    case 0x0a: append_unsigned(p, node, evtx_le64(d)); break;
    case 0x0b: {
        uint32_t bits = evtx_le32(d);
        float f;
        memcpy(&f, &bits, 4);
        append_format(p, node, "%.9g", (double)f);
        break;
    }
    case 0x0c: {
        uint64_t bits = evtx_le64(d);
        double f;
        memcpy(&f, &bits, 8);
        append_shortest(p, node, f);
        break;
    }
    case 0x0d: evtx_node_append(p, node, evtx_le32(d) ? "true" : "false", evtx_le32(d) ? 4 : 5); break;
    case 0x0f: append_guid(p, node, d); break;
    case 0x10:
        if (size == 4)
            append_format(p, node, "0x%08" PRIx32, evtx_le32(d));
        else
            append_format(p, node, "0x%016" PRIx64, evtx_le64(d));
        break;
    case 0x11: append_filetime(p, node, evtx_le64(d)); break;
    case 0x12: append_systemtime(p, node, d); break;
    case 0x14: append_format(p, node, "0x%" PRIx32, evtx_le32(d)); break;
    case 0x15: append_format(p, node, "0x%" PRIx64, evtx_le64(d)); break;
    default: break;
    }
}

/* Renders an array value: elements joined with ", " (string arrays are NUL-separated). */
static bool render_array(evtx_binxml *p, evtx_node *node, uint8_t type, const uint8_t *d, size_t size)
{
    if (type == 0x01) {
        size_t start = 0, count = 0;
        for (size_t i = 0; i + 1 < size + 1; i += 2) {
            bool at_end = i + 2 > size;
            if (at_end || evtx_le16(d + i) == 0) {
                if (count++)
                    evtx_node_append(p, node, ", ", 2);
                evtx_node_append_utf16(p, node, d + start, (i - start) / 2);
                start = i + 2;
                if (at_end)
                    break;
            }
        }
        return true;
    }
    size_t element = fixed_size(type, 8);
    /* A size that is not a whole number of elements would make the last read run past the value. */
    if (element == 0 || size % element != 0)
        return evtx_fail(p, "array value of type 0x%02x has %zu bytes, not a multiple of its element size", type, size);
    for (size_t i = 0; i < size; i += element) {
        if (i)
            evtx_node_append(p, node, ", ", 2);
        render_fixed(p, node, type, d + i, element);
    }
    node->is_integer = false;
    return true;
}

bool evtx_value_render(evtx_binxml *p, evtx_node *node, const evtx_value *value)
{
    /* The template instance code checked that offset + size lies inside the chunk. */
    const uint8_t *d = p->chunk + value->offset;
    size_t size = value->size;
    uint8_t type = value->type;
    if (type & 0x80)
        return render_array(p, node, type & 0x7F, d, size);
    switch (type) {
    case 0x00:
        return true;
    case 0x01:
        evtx_node_append_utf16(p, node, d, size / 2);
        return true;
    case 0x02: {
        size_t len = 0;
        while (len < size && d[len])
            len++;
        evtx_node_append(p, node, (const char *)d, len);
        return true;
    }
    case 0x0e: case 0x20: case 0x23:
        append_hex_bytes(p, node, d, size);
        return true;
    case 0x13:
        return append_sid(p, node, d, size);
    case 0x21: {
        uint32_t pos = value->offset;
        return evtx_binxml_parse(p, &pos, value->offset + value->size, NULL, 0, node, false);
    }
    default:
        break;
    }
    size_t need = fixed_size(type, size);
    if (need == 0)
        return evtx_fail(p, "unknown value type 0x%02x", type);
    /* A value shorter than its type would read the next value's bytes. */
    if (size < need)
        return evtx_fail(p, "value of type 0x%02x has %zu bytes, expected %zu", type, size, need);
    render_fixed(p, node, type, d, need);
    return true;
}
