/*
 * Binary XML, the token stream that EVTX records and template definitions
 * are written in. Each token is one byte; 0x40 set on a token means "more
 * of the same follows" (more attributes, more data). Tokens and their
 * payloads after the token byte:
 *
 *   0x00 end of fragment
 *   0x01 open start element: dependency id (2, unused), element size (4,
 *        bytes to the end of the element), name offset (4); with 0x40 an
 *        attribute list size (4) follows
 *   0x02 close start element     0x03 close empty element     0x04 end element
 *   0x05 value: value type (1), then for UTF-16 strings a character count (2)
 *        and the characters
 *   0x06 attribute: name offset (4); its value tokens follow
 *   0x07 CDATA section: character count (2) and UTF-16 characters
 *   0x08 character reference: code point (2)
 *   0x09 entity reference: name offset (4)
 *   0x0a processing instruction target: name offset (4)
 *   0x0b processing instruction data: character count (2) and characters
 *   0x0c template instance (evtx_template.c)
 *   0x0d normal substitution, 0x0e optional substitution: value index (2),
 *        value type (1)
 *   0x0f fragment header: major version (1), minor version (1), flags (1)
 *
 * A name is stored at a chunk offset: next-name offset in the hash chain (4),
 * hash (2), character count (2), UTF-16 characters, NUL (2). When the
 * offset equals the reader's position the name is stored inline and the
 * reader skips over it.
 */
#include "sources/evtx/evtx.h"

#include <string.h>

/* Checks that n more bytes are readable at pos; guards every read of a token's payload. */
static bool need(evtx_binxml *p, uint32_t pos, uint32_t end, uint32_t n)
{
    if (pos > end || end - pos < n)
        return evtx_fail(p, "binary XML truncated at chunk offset %u (needs %u bytes)", pos, n);
    return true;
}

const char *evtx_name_at(evtx_binxml *p, uint32_t offset)
{
    bool cacheable = (offset & 1) == 0 && offset < EVTX_CHUNK_SIZE;
    if (cacheable && p->names->stamps[offset / 2] == p->names->generation)
        return p->names->names[offset / 2];
    /* A name offset pointing at or past the chunk's end, or a character count that
     * runs past it, is a crafted or torn chunk. */
    if (!need(p, offset, EVTX_CHUNK_SIZE, 8)) {
        evtx_fail(p, "name offset %u is outside the chunk", offset);
        return NULL;
    }
    uint32_t units = evtx_le16(p->chunk + offset + 6);
    if (!need(p, offset + 8, EVTX_CHUNK_SIZE, units * 2))
        return NULL;
    evtx_node scratch;
    memset(&scratch, 0, sizeof scratch);
    evtx_node_append_utf16(p, &scratch, p->chunk + offset + 8, units);
    const char *name = scratch.text ? scratch.text : "";
    if (cacheable) {
        p->names->stamps[offset / 2] = p->names->generation;
        p->names->names[offset / 2] = name;
    }
    return name;
}

bool evtx_skip_inline_name(evtx_binxml *p, uint32_t *pos, uint32_t end, uint32_t name_offset)
{
    if (name_offset != *pos)
        return true;
    if (!need(p, *pos, end, 8))
        return false;
    uint32_t size = 8 + 2 * (uint32_t)evtx_le16(p->chunk + *pos + 6) + 2;
    if (!need(p, *pos, end, size))
        return false;
    *pos += size;
    return true;
}

/* Reads a name offset at *pos, skips an inline name, and returns the name. */
static const char *read_name(evtx_binxml *p, uint32_t *pos, uint32_t end)
{
    if (!need(p, *pos, end, 4))
        return NULL;
    uint32_t offset = evtx_le32(p->chunk + *pos);
    *pos += 4;
    const char *name = evtx_name_at(p, offset);
    if (!name || !evtx_skip_inline_name(p, pos, end, offset))
        return NULL;
    return name;
}

/* Reads a character count (2) and that many UTF-16 characters into node (NULL node: skip them). */
static bool read_counted_text(evtx_binxml *p, uint32_t *pos, uint32_t end, evtx_node *node)
{
    if (!need(p, *pos, end, 2))
        return false;
    uint32_t units = evtx_le16(p->chunk + *pos);
    *pos += 2;
    if (!need(p, *pos, end, units * 2))
        return false;
    if (node)
        evtx_node_append_utf16(p, node, p->chunk + *pos, units);
    *pos += units * 2;
    return true;
}

static void append_entity(evtx_binxml *p, evtx_node *node, const char *name)
{
    static const struct {
        const char *name, *text;
    } entities[] = {{"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
    for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++)
        if (strcmp(name, entities[i].name) == 0) {
            evtx_node_append(p, node, entities[i].text, 1);
            return;
        }
    evtx_node_append(p, node, "&", 1);
    evtx_node_append(p, node, name, strlen(name));
    evtx_node_append(p, node, ";", 1);
}

/* Applies substitution token data at *pos (index and type) to node. */
static bool substitute(evtx_binxml *p, uint32_t *pos, uint32_t end, const evtx_value *values, uint32_t nvalues,
                       evtx_node *node, bool optional)
{
    if (!need(p, *pos, end, 3))
        return false;
    uint32_t index = evtx_le16(p->chunk + *pos);
    *pos += 3;
    if (!values)
        return evtx_fail(p, "substitution outside a template at chunk offset %u", *pos - 3);
    /* An index past the instance's value count would read an unrelated part of the chunk. */
    if (index >= nvalues)
        return evtx_fail(p, "substitution %u of a template instance with %u values", index, nvalues);
    const evtx_value *value = &values[index];
    if (p->output_bytes > EVTX_MAX_RECORD_OUTPUT)
        return evtx_fail(p, "record expands to more than %u bytes", EVTX_MAX_RECORD_OUTPUT);
    if (optional && (value->type == 0x00 || value->size == 0))
        return true;
    return evtx_value_render(p, node, value);
}

/* Decodes one content token that may appear in an attribute value or element content. */
static bool parse_value_token(evtx_binxml *p, uint8_t token, uint32_t *pos, uint32_t end, const evtx_value *values,
                              uint32_t nvalues, evtx_node *node)
{
    switch (token & 0xBF) {
    case 0x05:
        if (!need(p, *pos, end, 1))
            return false;
        uint8_t type = p->chunk[(*pos)++];
        if (type != 0x01 && type != 0x02)
            return evtx_fail(p, "value token of type 0x%02x at chunk offset %u", type, *pos - 1);
        return read_counted_text(p, pos, end, node);
    case 0x08: {
        if (!need(p, *pos, end, 2))
            return false;
        uint16_t code = evtx_le16(p->chunk + *pos);
        *pos += 2;
        evtx_node_append_utf16(p, node, (const uint8_t[]){(uint8_t)code, (uint8_t)(code >> 8)}, 1);
        return true;
    }
    case 0x09: {
        const char *name = read_name(p, pos, end);
        if (!name)
            return false;
        append_entity(p, node, name);
        return true;
    }
    case 0x0d:
    case 0x0e:
        return substitute(p, pos, end, values, nvalues, node, (token & 0xBF) == 0x0e);
    default:
        return evtx_fail(p, "unexpected token 0x%02x at chunk offset %u", token, *pos - 1);
    }
}

static bool is_value_token(uint8_t token)
{
    uint8_t base = token & 0xBF;
    return base == 0x05 || base == 0x08 || base == 0x09 || base == 0x0d || base == 0x0e;
}

/* Reads the attribute list of an element whose open token had 0x40 set. */
static bool parse_attributes(evtx_binxml *p, uint32_t *pos, uint32_t end, const evtx_value *values,
                             uint32_t nvalues, evtx_node *element)
{
    if (!need(p, *pos, end, 4))
        return false;
    uint32_t size = evtx_le32(p->chunk + *pos);
    *pos += 4;
    /* A list size past the element would let the attributes overrun it. */
    if (!need(p, *pos, end, size))
        return false;
    uint32_t list_end = *pos + size;
    while (*pos < list_end) {
        uint8_t token = p->chunk[(*pos)++];
        if ((token & 0xBF) != 0x06)
            return evtx_fail(p, "expected an attribute at chunk offset %u, found token 0x%02x", *pos - 1, token);
        const char *name = read_name(p, pos, list_end);
        if (!name)
            return false;
        evtx_node *attribute = evtx_node_add(p, element, name, true);
        while (*pos < list_end && is_value_token(p->chunk[*pos])) {
            uint8_t value_token = p->chunk[(*pos)++];
            if (!parse_value_token(p, value_token, pos, list_end, values, nvalues, attribute))
                return false;
        }
        if (!(token & 0x40))
            break;
    }
    *pos = list_end;
    return true;
}

/* Decodes an element from just after its open token; a template body's elements carry substitutions. */
static bool parse_element(evtx_binxml *p, uint8_t token, uint32_t *pos, uint32_t end, const evtx_value *values,
                          uint32_t nvalues, evtx_node *parent)
{
    if (!need(p, *pos, end, 8))
        return false;
    /* Windows writes a 2-byte dependency id before the size, but some logs (Defender,
     * CAPI2) omit it. With the id, the size must fit and the name offset must point
     * backwards or at the inline name; otherwise the layout without it is tried. */
    uint32_t size = end - *pos >= 10 ? evtx_le32(p->chunk + *pos + 2) : UINT32_MAX;
    uint32_t name_offset = end - *pos >= 10 ? evtx_le32(p->chunk + *pos + 6) : UINT32_MAX;
    if (size <= end - *pos - 6 && name_offset <= *pos + 10) {
        *pos += 6;
    } else {
        size = evtx_le32(p->chunk + *pos);
        *pos += 4;
    }
    /* An element size beyond the enclosing data would let its content overrun it. */
    if (!need(p, *pos, end, size))
        return false;
    uint32_t element_end = *pos + size;
    const char *name = read_name(p, pos, element_end);
    if (!name)
        return false;
    evtx_node *element = evtx_node_add(p, parent, name, false);
    if ((token & 0x40) && !parse_attributes(p, pos, element_end, values, nvalues, element))
        return false;
    if (!need(p, *pos, element_end, 1))
        return false;
    uint8_t close = p->chunk[(*pos)++];
    if (close == 0x03)
        return true;
    if (close != 0x02)
        return evtx_fail(p, "expected the end of element <%s>'s start tag, found token 0x%02x", name, close);
    if (++p->depth > EVTX_MAX_DEPTH)
        return evtx_fail(p, "elements nested deeper than %d", EVTX_MAX_DEPTH);
    bool ok = evtx_binxml_parse(p, pos, element_end, values, nvalues, element, true);
    p->depth--;
    return ok;
}

bool evtx_binxml_parse(evtx_binxml *p, uint32_t *pos, uint32_t end, const evtx_value *values, uint32_t nvalues,
                       evtx_node *parent, bool in_element)
{
    if (end > EVTX_CHUNK_SIZE)
        return evtx_fail(p, "binary XML ends past the chunk (offset %u)", end);
    while (*pos < end) {
        if (p->output_bytes > EVTX_MAX_RECORD_OUTPUT)
            return evtx_fail(p, "record expands to more than %u bytes", EVTX_MAX_RECORD_OUTPUT);
        uint8_t token = p->chunk[(*pos)++];
        switch (token & 0xBF) {
        case 0x00:
            if (in_element)
                return evtx_fail(p, "fragment ends inside element <%s>", parent->name);
            return true;
        case 0x01:
            if (!parse_element(p, token, pos, end, values, nvalues, parent))
                return false;
            break;
        case 0x04:
            if (in_element)
                return true;
            return evtx_fail(p, "end of element outside an element at chunk offset %u", *pos - 1);
        case 0x07:
            if (!read_counted_text(p, pos, end, parent))
                return false;
            break;
        case 0x0a:
            if (!read_name(p, pos, end))
                return false;
            break;
        case 0x0b:
            if (!read_counted_text(p, pos, end, NULL))
                return false;
            break;
        case 0x0c:
            if (++p->depth > EVTX_MAX_DEPTH)
                return evtx_fail(p, "templates nested deeper than %d", EVTX_MAX_DEPTH);
            bool ok = evtx_template_instance(p, pos, end, parent);
            p->depth--;
            if (!ok)
                return false;
            break;
        case 0x0f:
            if (!need(p, *pos, end, 3))
                return false;
            *pos += 3;
            break;
        default:
            if (!parse_value_token(p, token, pos, end, values, nvalues, parent))
                return false;
            break;
        }
    }
    /* Data that ends without an end-of-fragment token (a BinXml value) is complete when not inside an element. */
    if (in_element)
        return evtx_fail(p, "element <%s> runs past its data", parent->name);
    return true;
}
