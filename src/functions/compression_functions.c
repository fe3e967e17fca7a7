/*
 * Compression functions: gzip_compress_to_base64_string, zlib_compress_to_base64_string
 * and their decompress_from_base64_string inverses, on zlib.
 *
 * Compression uses deflate level 1. When that does not make the data smaller, the
 * data is written as one stored (uncompressed) block instead, which is the output the
 * Kusto docs show for a 20-character string. The gzip header has no file name and
 * modification time 0, and marks the operating system as unknown (255), as in the
 * docs' example. Decompression of invalid input gives an empty string.
 */
#include "functions/registry.h"
#include "functions/text_internal.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Largest decompressed result; Kusto's own limit is not documented. A larger result
 * (such as a decompression bomb) gives an empty string. */
#define MAX_DECOMPRESSED_BYTES (64u * 1024u * 1024u)

typedef enum container { CONTAINER_GZIP, CONTAINER_ZLIB } container;

/* Raw deflate of data at level 1 into a malloc'ed buffer; NULL on failure. */
static unsigned char *deflate_raw(const unsigned char *data, size_t len, size_t *out_len)
{
    z_stream stream = {0};
    if (deflateInit2(&stream, 1, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong bound = deflateBound(&stream, (uLong)len);
    unsigned char *out = kq_xmalloc(bound + 1);
    stream.next_in = (Bytef *)data;
    stream.avail_in = (uInt)len;
    stream.next_out = out;
    stream.avail_out = (uInt)bound;
    int rc = deflate(&stream, Z_FINISH);
    *out_len = stream.total_out;
    deflateEnd(&stream);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* Appends data as stored deflate blocks (at most 65535 bytes each). */
static void append_stored(kq_buf *out, const unsigned char *data, size_t len)
{
    size_t offset = 0;
    do {
        size_t chunk = len - offset > 65535 ? 65535 : len - offset;
        bool last = offset + chunk == len;
        unsigned char header[5] = {last ? 1 : 0, (unsigned char)chunk, (unsigned char)(chunk >> 8),
                                   (unsigned char)~chunk, (unsigned char)(~chunk >> 8)};
        kq_buf_append(out, (const char *)header, sizeof header);
        kq_buf_append(out, (const char *)data + offset, chunk);
        offset += chunk;
    } while (offset < len);
}

static void append_u32(kq_buf *out, uint32_t value, bool big_endian)
{
    unsigned char bytes[4];
    for (int i = 0; i < 4; i++)
        bytes[i] = (unsigned char)(value >> (big_endian ? 24 - 8 * i : 8 * i));
    kq_buf_append(out, (const char *)bytes, 4);
}

static kq_value compress_to_base64(kq_eval_ctx *ctx, const kq_value *arg, container kind)
{
    kq_str text = kq_value_to_str(ctx->arena, arg);
    const unsigned char *data = (const unsigned char *)text.ptr;
    if (text.len > UINT32_MAX / 2)
        return kq_string("", 0);
    size_t deflated_len = 0;
    unsigned char *deflated = deflate_raw(data, text.len, &deflated_len);
    if (!deflated)
        return kq_string("", 0);
    kq_buf out;
    kq_buf_init(&out);
    if (kind == CONTAINER_GZIP) {
        static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
        kq_buf_append(&out, (const char *)header, sizeof header);
    } else {
        static const unsigned char header[2] = {0x78, 0x01};
        kq_buf_append(&out, (const char *)header, sizeof header);
    }
    if (deflated_len < text.len)
        kq_buf_append(&out, (const char *)deflated, deflated_len);
    else
        append_stored(&out, data, text.len);
    free(deflated);
    if (kind == CONTAINER_GZIP) {
        append_u32(&out, (uint32_t)crc32(0L, data, (uInt)text.len), false);
        append_u32(&out, (uint32_t)text.len, false);
    } else {
        append_u32(&out, (uint32_t)adler32(1L, data, (uInt)text.len), true);
    }
    kq_value v = kq_text_base64_encode(ctx, (const unsigned char *)out.data, out.len);
    kq_buf_free(&out);
    return v;
}

static kq_value decompress_from_base64(kq_eval_ctx *ctx, const kq_value *arg, container kind)
{
    size_t len = 0;
    unsigned char *bytes = kq_text_base64_decode(kq_value_to_str(ctx->arena, arg), &len);
    if (!bytes)
        return kq_string("", 0);
    z_stream stream = {0};
    if (inflateInit2(&stream, kind == CONTAINER_GZIP ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK) {
        free(bytes);
        return kq_string("", 0);
    }
    stream.next_in = bytes;
    stream.avail_in = (uInt)len;
    kq_buf out;
    kq_buf_init(&out);
    unsigned char chunk[16384];
    int rc = Z_OK;
    while (rc == Z_OK && out.len <= MAX_DECOMPRESSED_BYTES) {
        stream.next_out = chunk;
        stream.avail_out = sizeof chunk;
        rc = inflate(&stream, Z_NO_FLUSH);
        kq_buf_append(&out, (const char *)chunk, sizeof chunk - stream.avail_out);
        if (rc == Z_OK && stream.avail_in == 0 && stream.avail_out != 0)
            rc = Z_BUF_ERROR; /* the input ended inside the stream */
    }
    inflateEnd(&stream);
    free(bytes);
    kq_value v = kq_string("", 0);
    if (rc == Z_STREAM_END && out.len <= MAX_DECOMPRESSED_BYTES)
        v = kq_string(kq_arena_strndup(ctx->arena, out.data ? out.data : "", out.len), out.len);
    kq_buf_free(&out);
    return v;
}

static kq_value eval_gzip_compress(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return compress_to_base64(ctx, &args[0], CONTAINER_GZIP);
}

static kq_value eval_zlib_compress(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return compress_to_base64(ctx, &args[0], CONTAINER_ZLIB);
}

static kq_value eval_gzip_decompress(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return decompress_from_base64(ctx, &args[0], CONTAINER_GZIP);
}

static kq_value eval_zlib_decompress(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    return decompress_from_base64(ctx, &args[0], CONTAINER_ZLIB);
}

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_compression_functions[] = {
    FN("gzip_compress_to_base64_string", 1, 1, kq_bind_string_to_string, eval_gzip_compress,
       "gzip_compress_to_base64_string(string) -> string", "The UTF-8 bytes of the string, gzip-compressed, as base64."),
    FN("gzip_decompress_from_base64_string", 1, 1, kq_bind_string_to_string, eval_gzip_decompress,
       "gzip_decompress_from_base64_string(string) -> string",
       "Inverse of gzip_compress_to_base64_string(); an empty string for invalid input."),
    FN("zlib_compress_to_base64_string", 1, 1, kq_bind_string_to_string, eval_zlib_compress,
       "zlib_compress_to_base64_string(string) -> string", "The UTF-8 bytes of the string, zlib-compressed, as base64."),
    FN("zlib_decompress_from_base64_string", 1, 1, kq_bind_string_to_string, eval_zlib_decompress,
       "zlib_decompress_from_base64_string(string) -> string",
       "Inverse of zlib_compress_to_base64_string(); an empty string for invalid input."),
};
const size_t kq_compression_function_count = KQ_ARRAY_LEN(kq_compression_functions);
