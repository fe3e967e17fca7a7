/*
 * Text function family, shared between text_functions.c (regular
 * expressions, string utilities and the registry table) and
 * text_functions2.c (encodings, URLs, paths, CSV, versions, JSON paths and
 * hashes).
 */
#ifndef KQ_FUNCTIONS_TEXT_INTERNAL_H
#define KQ_FUNCTIONS_TEXT_INTERNAL_H

#include "functions/registry.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Checks a pattern for constructs that PCRE2 accepts but RE2, the regular
 * expression dialect of Kusto, rejects: backreferences (\1, \k<name>, \g1),
 * lookahead, lookbehind, atomic groups, recursion, conditionals, possessive
 * quantifiers and \C. Returns true when the pattern contains none of them.
 * Otherwise it writes "RE2 syntax does not support ..." with the construct
 * and its byte offset to error (size bytes) and returns false.
 */
bool kq_regex_check_re2(const char *pattern, size_t len, char *error, size_t size);

/*
 * Converts text to a value of the given type, as extract() and
 * extract_json() do for their typeof() argument. Returns a null of that type
 * when the text is not a valid value of it.
 */
kq_value kq_text_convert(kq_arena *arena, kq_str text, kq_type type);

/* Encodes bytes as base64 text in the arena. */
kq_value kq_text_base64_encode(kq_eval_ctx *ctx, const unsigned char *data, size_t len);
/*
 * Decodes base64 as .NET's Convert.FromBase64String does: whitespace is ignored, the rest
 * must be a multiple of four characters with at most two '=' at the end. Returns a
 * malloc'ed buffer and its length, or NULL.
 */
unsigned char *kq_text_base64_decode(kq_str text, size_t *out_len);

/* Bind and eval functions defined in text_functions2.c, listed in kq_text_functions. */
void kq_text_bind_guid_arg(const kq_type *args, int argc, kq_bind_result *result);
void kq_text_bind_hash(const kq_type *args, int argc, kq_bind_result *result);

kq_value kq_text_eval_extract_json(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_base64_encode_tostring(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_base64_decode_tostring(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_base64_encode_fromarray(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_base64_decode_toarray(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_base64_encode_fromguid(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_base64_decode_toguid(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_url_encode(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_url_encode_component(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_url_decode(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_parse_url(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_parse_urlquery(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_parse_path(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_parse_csv(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_parse_version(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_hash_sha256(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_hash_sha1(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_hash_md5(kq_eval_ctx *ctx, const kq_value *args, int argc);
kq_value kq_text_eval_hash(kq_eval_ctx *ctx, const kq_value *args, int argc);

#endif
