/*
 * Template instances (binary XML token 0x0c). A record's XML is usually a
 * template definition filled with the record's values.
 *
 * Template instance, after the token byte:
 *   unknown (1), template id (4), definition offset (4, chunk-relative)
 * Template definition, at the definition offset; when that offset equals
 * the reader's position the definition is stored inline and the values
 * follow it:
 *   next definition offset (4), GUID (16), data size (4), data (binary XML)
 * Instance values, after the definition (inline) or the instance header:
 *   value count (4), count descriptors of value size (2), value type (1),
 *   unknown (1), then the values' data back to back.
 */
#include "sources/evtx/evtx.h"

#include <stdlib.h>

#define TEMPLATE_DEFINITION_HEADER_SIZE 24

/* Reads the definition at offset: its body's chunk range. */
static bool read_definition(evtx_binxml *p, uint32_t offset, uint32_t *body, uint32_t *body_end)
{
    /* A definition offset near the chunk's end, or a data size past it, is a crafted or torn chunk. */
    if (offset > EVTX_CHUNK_SIZE - TEMPLATE_DEFINITION_HEADER_SIZE)
        return evtx_fail(p, "template definition offset %u is outside the chunk", offset);
    uint32_t size = evtx_le32(p->chunk + offset + 20);
    *body = offset + TEMPLATE_DEFINITION_HEADER_SIZE;
    if (size > EVTX_CHUNK_SIZE - *body)
        return evtx_fail(p, "template definition at %u has a data size of %u bytes, past the chunk", offset, size);
    *body_end = *body + size;
    return true;
}

/* Reads the value descriptors at *pos into values and checks that their data fits before end. */
static bool read_values(evtx_binxml *p, uint32_t *pos, uint32_t end, evtx_value **values, uint32_t *count)
{
    if (*pos > end || end - *pos < 4)
        return evtx_fail(p, "template instance values truncated at chunk offset %u", *pos);
    uint32_t n = evtx_le32(p->chunk + *pos);
    *pos += 4;
    /* Four bytes per descriptor must fit before end: a huge count cannot force a huge allocation. */
    if (n > (end - *pos) / 4)
        return evtx_fail(p, "template instance declares %u values, more than fit in the record", n);
    evtx_value *out = n ? evtx_arena_alloc(p->arena, n * sizeof *out) : NULL;
    uint32_t data = *pos + 4 * n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *descriptor = p->chunk + *pos + 4 * i;
        out[i].size = evtx_le16(descriptor);
        out[i].type = descriptor[2];
        out[i].offset = data;
        /* The sizes must add up inside the record, or a value would read the next record. */
        if (out[i].size > end - data)
            return evtx_fail(p, "template value %u of %u bytes runs past the record", i, out[i].size);
        data += out[i].size;
    }
    *pos = data;
    *values = out;
    *count = n;
    return true;
}

bool evtx_template_instance(evtx_binxml *p, uint32_t *pos, uint32_t end, evtx_node *parent)
{
    if (*pos > end || end - *pos < 9)
        return evtx_fail(p, "template instance truncated at chunk offset %u", *pos);
    uint32_t definition = evtx_le32(p->chunk + *pos + 5);
    *pos += 9;
    uint32_t body = 0, body_end = 0;
    if (!read_definition(p, definition, &body, &body_end))
        return false;
    if (definition == *pos) {
        /* An inline definition must lie inside the record it appears in. */
        if (body_end > end)
            return evtx_fail(p, "inline template definition at %u runs past the record", definition);
        *pos = body_end;
    }
    evtx_value *values = NULL;
    uint32_t count = 0;
    if (!read_values(p, pos, end, &values, &count))
        return false;
    uint32_t cursor = body;
    return evtx_binxml_parse(p, &cursor, body_end, values, count, parent, false);
}
