/*
 * EVTX (Windows XML Event Log) parser: interfaces shared by the files in
 * src/sources/evtx. Not part of the public API.
 *
 * One on-disk object per file: evtx_file.c (file header and the chunk loop),
 * evtx_chunk.c (chunk header, checksums, records), evtx_binxml.c (binary XML
 * tokens), evtx_template.c (template definitions and instances),
 * evtx_values.c (substitution values), evtx_event.c (the element tree turned
 * into an event) and evtx_rows.c (events as table rows).
 *
 * Every offset read from the file is a chunk-relative offset. Each one is
 * checked against the chunk's size before it is used, so a crafted chunk can
 * never make the parser read outside the 64 KiB chunk it is decoding.
 */
#ifndef KQ_SOURCES_EVTX_H
#define KQ_SOURCES_EVTX_H

#include "sources/source_internal.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits ---- */

#define EVTX_FILE_HEADER_SIZE 4096
#define EVTX_CHUNK_SIZE 65536
#define EVTX_CHUNK_HEADER_SIZE 512
#define EVTX_RECORD_HEADER_SIZE 24
/* Nesting of elements and of templates inside BinXml values. Deeper input is
 * reported as damaged: it defends against stack exhaustion from a template
 * instance that refers back to itself. */
#define EVTX_MAX_DEPTH 64
/* Text and nodes one record may produce. A template body can substitute the same
 * large value thousands of times, and nested templates multiply that, so a 64 KiB
 * chunk could otherwise expand to gigabytes; such a record is reported as damaged. */
#define EVTX_MAX_RECORD_OUTPUT (16u * 1024 * 1024)
/* Worker threads that decode chunks; more gain nothing on a 64 KiB work unit. */
#define EVTX_MAX_THREADS 64

/* ---- little-endian readers (never cast pointers: the data is unaligned) ---- */

static inline uint16_t evtx_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t evtx_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t evtx_le64(const uint8_t *p)
{
    return (uint64_t)evtx_le32(p) | (uint64_t)evtx_le32(p + 4) << 32;
}

/* CRC-32 (ISO 3309, the zlib polynomial) that the chunk and file checksums use. */
uint32_t evtx_crc32(uint32_t crc, const uint8_t *data, size_t len);

/* ---- arena: every string and node of one chunk, freed at once ---- */

typedef struct evtx_arena_block evtx_arena_block;

typedef struct evtx_arena {
    evtx_arena_block *head;
} evtx_arena;

void *evtx_arena_alloc(evtx_arena *arena, size_t size);
void evtx_arena_free(evtx_arena *arena);

/* ---- element tree built from binary XML ---- */

typedef struct evtx_node evtx_node;

/* An element or an attribute. Attributes have no children. */
struct evtx_node {
    const char *name;
    evtx_node *first_child, *last_child; /* child elements */
    evtx_node *first_attribute, *last_attribute;
    evtx_node *next; /* next sibling element, or next attribute */
    char *text;      /* character data, UTF-8, NUL-terminated; NULL when empty */
    size_t text_len, text_cap;
    /* The content is one integer-typed substitution value and nothing else:
     * the event data keeps it as a number, as evtx_dump's JSON does. */
    bool is_integer;
    int64_t integer;
    int value_count; /* values and text pieces appended to text */
};

/* A substitution value of a template instance: chunk offset, size and type. */
typedef struct evtx_value {
    uint32_t offset;
    uint16_t size;
    uint8_t type;
} evtx_value;

/*
 * UTF-8 names decoded so far in one chunk, indexed by chunk offset / 2. An entry
 * counts only when its stamp equals generation, so moving to the next chunk is
 * one increment instead of clearing 256 KiB. A name at an odd offset is decoded
 * again each time it is used. One cache per thread; allocate it zeroed.
 */
typedef struct evtx_name_cache {
    uint32_t generation;
    uint32_t stamps[EVTX_CHUNK_SIZE / 2];
    const char *names[EVTX_CHUNK_SIZE / 2];
} evtx_name_cache;

/* Decoding state for one chunk; not shared between threads. */
typedef struct evtx_binxml {
    const uint8_t *chunk; /* the chunk's EVTX_CHUNK_SIZE bytes */
    evtx_arena *arena;
    evtx_name_cache *names;
    int depth;
    size_t output_bytes; /* text and node bytes the current record produced so far */
    char error[128];     /* first damage found in the current record */
} evtx_binxml;

/* Appends bytes to a node's text. */
void evtx_node_append(evtx_binxml *p, evtx_node *node, const char *text, size_t len);
/* Appends UTF-16LE code units as UTF-8; unpaired surrogates become U+FFFD. */
void evtx_node_append_utf16(evtx_binxml *p, evtx_node *node, const uint8_t *data, size_t units);
/* Adds a child element or an attribute to parent. */
evtx_node *evtx_node_add(evtx_binxml *p, evtx_node *parent, const char *name, bool attribute);

/* Records the first damage of a record (printf format); always returns false. */
bool evtx_fail(evtx_binxml *p, const char *format, ...) __attribute__((format(printf, 2, 3)));

/*
 * Decodes binary XML tokens from chunk offset *pos up to end, appending
 * elements and text to parent, until an end-of-fragment token or, when
 * in_element, an end-element token. values are the substitution values in
 * force (NULL outside a template). Returns false on damage.
 */
bool evtx_binxml_parse(evtx_binxml *p, uint32_t *pos, uint32_t end, const evtx_value *values, uint32_t nvalues,
                       evtx_node *parent, bool in_element);
/* Reads the name structure at a chunk offset; NULL (with the error set) when it does not fit. */
const char *evtx_name_at(evtx_binxml *p, uint32_t offset);
/* Skips a name structure stored inline at *pos (its offset equals *pos). */
bool evtx_skip_inline_name(evtx_binxml *p, uint32_t *pos, uint32_t end, uint32_t name_offset);

/* Decodes a template instance token's body at *pos (after the 0x0c byte). */
bool evtx_template_instance(evtx_binxml *p, uint32_t *pos, uint32_t end, evtx_node *parent);

/* Appends a substitution value's text to node (BinXml values add child elements). */
bool evtx_value_render(evtx_binxml *p, evtx_node *node, const evtx_value *value);

/* ---- events ---- */

/* One record, decoded: the System fields and the event data. Strings live in the chunk's arena. */
typedef struct evtx_event {
    uint64_t record_id;
    const char *provider, *channel, *computer, *keywords, *opcode_text, *correlation, *user_id;
    int64_t event_id, version, level, task, opcode, process_id, thread_id;
    bool has_version, has_level, has_task, has_opcode, has_process_id, has_thread_id;
    int64_t time_created; /* UTC ticks */
    bool has_time_created;
    const evtx_node *event_node; /* the <Event> element, for evtx_event_data */
} evtx_event;

/* Turns a record's element tree into an event; false when it has no Event element. */
bool evtx_event_from_tree(evtx_binxml *p, const evtx_node *root, uint64_t record_id, int64_t written, evtx_event *event);
/*
 * Builds the event's EventData or UserData fields as a new JSON object (the
 * caller owns the reference). Workers leave this to the thread that consumes
 * the chunk: building JSON on the workers and freeing it on the consumer made
 * the threads contend on malloc's locks.
 */
json_t *evtx_event_data(const evtx_event *event);

/* ---- chunks ---- */

/* A damaged part of a chunk: a reason and where it is. */
typedef struct evtx_damage {
    char reason[160];
    char location[320];
} evtx_damage;

/* What decoding one chunk produced; filled by a worker thread, read in chunk order. */
typedef struct evtx_chunk_result {
    evtx_arena arena;
    evtx_event *events;
    size_t nevents, cap;
    evtx_damage *damage;
    size_t ndamage, damage_cap;
    uint64_t records_read;    /* records found, decoded or not */
    uint64_t records_skipped; /* records found but not decoded */
    bool empty;               /* a never-used chunk (no signature, all zero): not counted */
    size_t input;             /* index of the file in evtx_decode_files' list */
} evtx_chunk_result;

/* Decodes the chunk at data[0..EVTX_CHUNK_SIZE) (number is its index in the file, for messages). */
void evtx_chunk_decode(const uint8_t *data, uint64_t number, uint64_t file_offset, evtx_name_cache *names,
                       evtx_chunk_result *result);
void evtx_chunk_result_free(evtx_chunk_result *result);
void evtx_chunk_add_damage(evtx_chunk_result *result, const char *location, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- file ---- */

/* Options for evtx_decode_file. */
typedef struct evtx_decode_options {
    int threads; /* 0: one per core */
} evtx_decode_options;

/* Called for each chunk's result in file order, from the calling thread. */
typedef void (*evtx_chunk_callback)(void *user, evtx_chunk_result *result);

/* Returns true when data starts with the EVTX file signature. */
bool evtx_is_evtx(const uint8_t *data, size_t len);
/* Checks the file header; writes a message to damage ("" when the header is sound). */
void evtx_check_file_header(const uint8_t *data, size_t len, char *damage, size_t size);

/*
 * Decodes a whole file's chunks on worker threads and hands each result to
 * callback in chunk order, keeping at most a bounded window of results in
 * memory. header_damage gets a message when the file header is damaged
 * (chunks are still read). Returns false when the data is not an EVTX file.
 */
bool evtx_decode_file(const uint8_t *data, size_t len, const evtx_decode_options *options,
                      evtx_chunk_callback callback, void *user, char *header_damage, size_t header_damage_size);

/* One file for evtx_decode_files: bytes that evtx_is_evtx accepted. */
typedef struct evtx_input {
    const uint8_t *data;
    size_t len;
} evtx_input;

/*
 * Decodes the chunks of several files as one job, so that small files keep
 * every core busy, and hands the results to callback in file order, then
 * chunk order (result->input names the file). Headers are not checked here:
 * call evtx_check_file_header for each file.
 */
void evtx_decode_files(const evtx_input *inputs, size_t count, const evtx_decode_options *options,
                       evtx_chunk_callback callback, void *user);

/* Writes the rows of one decoded event: WindowsEvent, SecurityEvent and the Defender tables. */
void evtx_rows_write(kq_load_context *ctx, const evtx_event *event);

/* The loader for load.c: one file whose data starts with the EVTX signature. */
void kq_evtx_load(kq_load_context *ctx, const char *data, size_t len);
/* Loads several EVTX files as one decoding job; contexts[i] receives the rows of data[i]. */
void kq_evtx_load_files(kq_load_context **contexts, const char **data, const size_t *lens, size_t count);

#endif
