/*
 * EVTX chunks: 64 KiB blocks that hold a header, a string and template
 * table, and event records. Chunks are independent, so each one is decoded
 * on its own (evtx_file.c runs them on worker threads).
 *
 * Chunk header (512 bytes):
 *   0   signature "ElfChnk\0" (8)
 *   8   first event record number (8)    16  last event record number (8)
 *   24  first event record id (8)        32  last event record id (8)
 *   40  header size (4, 128)             44  last event record offset (4)
 *   48  free space offset (4): end of the record data
 *   52  event records checksum (4): CRC-32 of bytes 512 to the free space offset
 *   56  unknown (64)                     120 flags (4)
 *   124 header checksum (4): CRC-32 of bytes 0-119 and 128-511
 *   128 common string offsets (64 x 4)   384 template definition offsets (32 x 4)
 *
 * Event record, from offset 512 on:
 *   0   signature "**\0\0" (4)           4   size (4), this header and the trailer included
 *   8   event record id (8)              16  written time (8, FILETIME)
 *   24  binary XML (size - 28 bytes)     size - 4: copy of the size (4)
 */
#include "sources/evtx/evtx.h"
#include "base/util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_TRAILER_SIZE 4
/* 1601-01-01, the FILETIME epoch, in kqlite ticks (100 ns units since 0001-01-01). */
#define TICKS_AT_1601 INT64_C(504911232000000000)

static const uint8_t chunk_signature[8] = {'E', 'l', 'f', 'C', 'h', 'n', 'k', 0};
static const uint8_t record_signature[4] = {0x2a, 0x2a, 0, 0};

void evtx_chunk_add_damage(evtx_chunk_result *result, const char *location, const char *format, ...)
{
    kq_grow((void **)&result->damage, &result->damage_cap, result->ndamage + 1, sizeof *result->damage);
    evtx_damage *damage = &result->damage[result->ndamage++];
    va_list args;
    va_start(args, format);
    vsnprintf(damage->reason, sizeof damage->reason, format, args);
    va_end(args);
    snprintf(damage->location, sizeof damage->location, "%s", location);
}

void evtx_chunk_result_free(evtx_chunk_result *result)
{
    free(result->events);
    free(result->damage);
    evtx_arena_free(&result->arena);
    memset(result, 0, sizeof *result);
}

static bool all_zero(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (data[i])
            return false;
    return true;
}

/* Checks a record header at offset; returns its size, or 0 when it is not a whole record before end. */
static uint32_t record_size_at(const uint8_t *chunk, uint32_t offset, uint32_t end)
{
    if (end - offset < EVTX_RECORD_HEADER_SIZE + RECORD_TRAILER_SIZE)
        return 0;
    if (memcmp(chunk + offset, record_signature, 4) != 0)
        return 0;
    uint32_t size = evtx_le32(chunk + offset + 4);
    /* A size below the header, or past the record data, would read outside the record or the chunk. */
    if (size < EVTX_RECORD_HEADER_SIZE + RECORD_TRAILER_SIZE || size > end - offset)
        return 0;
    /* The trailing copy of the size catches records torn by an interrupted write. */
    if (evtx_le32(chunk + offset + size - 4) != size)
        return 0;
    return size;
}

/* Finds the next offset after from that starts a whole record; end when there is none. */
static uint32_t next_record(const uint8_t *chunk, uint32_t from, uint32_t end)
{
    for (uint32_t offset = from; offset + EVTX_RECORD_HEADER_SIZE <= end; offset++)
        if (chunk[offset] == 0x2a && record_size_at(chunk, offset, end))
            return offset;
    return end;
}

/* Decodes one record's binary XML into an event; false (with p->error set) when it is damaged. */
static bool decode_record(evtx_binxml *p, uint32_t offset, uint32_t size, evtx_event *event)
{
    p->error[0] = '\0';
    p->depth = 0;
    p->output_bytes = 0;
    uint64_t record_id = evtx_le64(p->chunk + offset + 8);
    uint64_t written = evtx_le64(p->chunk + offset + 16);
    int64_t written_ticks = written <= (uint64_t)INT64_MAX - TICKS_AT_1601 ? (int64_t)written + TICKS_AT_1601 : 0;
    evtx_node *root = evtx_node_add(p, NULL, "", false);
    uint32_t pos = offset + EVTX_RECORD_HEADER_SIZE;
    if (!evtx_binxml_parse(p, &pos, offset + size - RECORD_TRAILER_SIZE, NULL, 0, root, false))
        return false;
    if (!evtx_event_from_tree(p, root, record_id, written_ticks, event))
        return evtx_fail(p, "record has no Event element");
    return true;
}

static void add_event(evtx_chunk_result *result, const evtx_event *event)
{
    kq_grow((void **)&result->events, &result->cap, result->nevents + 1, sizeof *result->events);
    result->events[result->nevents++] = *event;
}

/* Checks the header checksum and returns the end of the record data. */
static uint32_t check_header(const uint8_t *chunk, uint64_t number, evtx_chunk_result *result, const char *where)
{
    uint32_t crc = evtx_crc32(0, chunk, 120);
    crc = evtx_crc32(crc, chunk + 128, EVTX_CHUNK_HEADER_SIZE - 128);
    if (crc != evtx_le32(chunk + 124))
        evtx_chunk_add_damage(result, where, "damaged chunk %" PRIu64 " (header checksum mismatch)", number);
    uint32_t free_space = evtx_le32(chunk + 48);
    /* A free space offset inside the header or past the chunk cannot bound the records: scan the whole chunk. */
    if (free_space < EVTX_CHUNK_HEADER_SIZE || free_space > EVTX_CHUNK_SIZE) {
        evtx_chunk_add_damage(result, where, "damaged chunk %" PRIu64 " (free space offset %" PRIu32 " out of range)",
                              number, free_space);
        return EVTX_CHUNK_SIZE;
    }
    if (evtx_crc32(0, chunk + EVTX_CHUNK_HEADER_SIZE, free_space - EVTX_CHUNK_HEADER_SIZE) != evtx_le32(chunk + 52))
        evtx_chunk_add_damage(result, where, "damaged chunk %" PRIu64 " (event records checksum mismatch)", number);
    return free_space;
}

void evtx_chunk_decode(const uint8_t *chunk, uint64_t number, uint64_t file_offset, evtx_name_cache *names,
                       evtx_chunk_result *result)
{
    memset(result, 0, sizeof *result);
    char where[96];
    snprintf(where, sizeof where, "chunk %" PRIu64 " (file offset %" PRIu64 ")", number, file_offset);
    if (memcmp(chunk, chunk_signature, 8) != 0) {
        if (all_zero(chunk, EVTX_CHUNK_SIZE))
            result->empty = true;
        else
            evtx_chunk_add_damage(result, where, "damaged chunk %" PRIu64 " (no chunk signature)", number);
        return;
    }
    uint32_t end = check_header(chunk, number, result, where);
    /* A new generation invalidates the previous chunk's names. Stamps start at 0 in a
     * zeroed cache, so generation 0 is skipped when the counter wraps. */
    if (++names->generation == 0) {
        memset(names->stamps, 0, sizeof names->stamps);
        names->generation = 1;
    }
    evtx_binxml p = {.chunk = chunk, .arena = &result->arena, .names = names};
    uint32_t offset = EVTX_CHUNK_HEADER_SIZE;
    while (offset < end) {
        uint32_t size = record_size_at(chunk, offset, end);
        if (size == 0) {
            /* Space after the last record is zero-filled; anything else is a damaged record. */
            if (all_zero(chunk + offset, end - offset))
                break;
            uint32_t next = next_record(chunk, offset + 1, end);
            result->records_read++;
            result->records_skipped++;
            snprintf(where, sizeof where, "chunk %" PRIu64 " offset %" PRIu32 " (%" PRIu32 " bytes skipped)", number,
                     offset, next - offset);
            evtx_chunk_add_damage(result, where, "damaged record header");
            offset = next;
            continue;
        }
        result->records_read++;
        evtx_event event;
        if (decode_record(&p, offset, size, &event)) {
            add_event(result, &event);
        } else {
            result->records_skipped++;
            /* One reason for every damaged record keeps the report's reasons countable; the
             * location names the first one and what was wrong with it. */
            char detail[sizeof where + sizeof p.error];
            snprintf(detail, sizeof detail, "record %" PRIu64 " (chunk %" PRIu64 " offset %" PRIu32 "): %s",
                     evtx_le64(chunk + offset + 8), number, offset, p.error);
            evtx_chunk_add_damage(result, detail, "damaged record");
        }
        offset += size;
    }
}
