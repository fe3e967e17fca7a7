/*
 * parse_command_line(command_line, "windows"): splits a Windows command line into its
 * arguments the way CommandLineToArgvW does, which is how Windows programs see their
 * argv. Process-creation events carry the whole command line as one string, so this is
 * the way to look at one argument.
 *
 * The rules: arguments are separated by spaces and tabs outside double quotes. The first
 * argument, the program, ends at the closing quote or the first space, and backslashes
 * in it are literal. In later arguments, 2n backslashes before a quote give n
 * backslashes and the quote opens or closes a quoted part, 2n+1 backslashes give n
 * backslashes and a literal quote, and other backslashes are literal.
 */
#include "functions/registry.h"
#include "functions/dynamic_internal.h"
#include "base/buf.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Reads the program name at text[*i]; quotes delimit it and backslashes are literal. */
static void read_program(kq_str text, size_t *i, kq_buf *out)
{
    bool quoted = false;
    for (; *i < text.len; (*i)++) {
        char c = text.ptr[*i];
        if (c == '"') {
            quoted = !quoted;
            continue;
        }
        if (!quoted && is_blank(c))
            break;
        kq_buf_putc(out, c);
    }
}

/* Reads one later argument at text[*i] with the backslash and quote rules. */
static void read_argument(kq_str text, size_t *i, kq_buf *out)
{
    bool quoted = false;
    while (*i < text.len) {
        char c = text.ptr[*i];
        if (!quoted && is_blank(c))
            break;
        if (c == '\\') {
            size_t backslashes = 0;
            while (*i < text.len && text.ptr[*i] == '\\') {
                backslashes++;
                (*i)++;
            }
            bool before_quote = *i < text.len && text.ptr[*i] == '"';
            for (size_t k = 0; k < (before_quote ? backslashes / 2 : backslashes); k++)
                kq_buf_putc(out, '\\');
            if (before_quote && backslashes % 2 == 1) {
                kq_buf_putc(out, '"');
                (*i)++;
            }
            continue;
        }
        if (c == '"') {
            /* NOTE: "" inside quotes gives one literal quote and ends the quoted part, as
             * CommandLineToArgvW does; the C runtime's own parser stays quoted instead. */
            if (quoted && *i + 1 < text.len && text.ptr[*i + 1] == '"') {
                kq_buf_putc(out, '"');
                *i += 2;
                quoted = false;
                continue;
            }
            quoted = !quoted;
            (*i)++;
            continue;
        }
        kq_buf_putc(out, c);
        (*i)++;
    }
}

static kq_value eval_parse_command_line(kq_eval_ctx *ctx, const kq_value *args, int argc)
{
    kq_str text = args[0].u.s;
    if (args[1].null || !kq_str_eq(args[1].u.s, "windows"))
        return kq_null(KQ_DYNAMIC);
    kq_dyn *array = kq_dynfn_new_array(ctx->arena, text.len / 2 + 1);
    uint32_t count = 0;
    kq_buf argument;
    kq_buf_init(&argument);
    size_t i = 0;
    while (i < text.len && is_blank(text.ptr[i]))
        i++;
    for (bool first = true; i < text.len; first = false) {
        kq_buf_clear(&argument);
        if (first)
            read_program(text, &i, &argument);
        else
            read_argument(text, &i, &argument);
        kq_value value = kq_string(kq_arena_strndup(ctx->arena, argument.data ? argument.data : "", argument.len),
                                   argument.len);
        array->u.items[count++] = kq_dyn_from_value(ctx->arena, &value);
        while (i < text.len && is_blank(text.ptr[i]))
            i++;
    }
    kq_buf_free(&argument);
    array->count = count;
    return kq_dynamic(array);
}

static void bind_parse_command_line(const kq_type *args, int argc, kq_bind_result *result)
{
    for (int i = 0; i < 2; i++) {
        if (args[i] != KQ_STRING) {
            snprintf(result->error, sizeof result->error,
                     "parse_command_line takes a command line and a parser name such as \"windows\", both strings");
            result->error_arg = i;
            return;
        }
    }
    result->type = KQ_DYNAMIC;
}

#define FN(name, min, max, bind, eval, sig, doc) {name, min, max, bind, eval, sig, doc}

const kq_function kq_command_line_functions[] = {
    FN("parse_command_line", 2, 2, bind_parse_command_line, eval_parse_command_line,
       "parse_command_line(command_line, \"windows\") -> dynamic",
       "The arguments of a Windows command line as CommandLineToArgvW splits them; null for another parser."),
};
const size_t kq_command_line_function_count = KQ_ARRAY_LEN(kq_command_line_functions);
