/*
 * Pattern statements: `declare pattern` registers a mapping from string tuples to tabular
 * expressions, and an invocation such as country("Canada").Alberta binds the expression
 * of the case whose values equal the invocation's (compared exactly, with no wildcards).
 */
#include "kql/binder_internal.h"
#include "base/limits.h"
#include "base/util.h"

#include <string.h>

void kq_bind_pattern_declaration(binder *b, const kq_ast *decl)
{
    pattern_binding *binding = kq_arena_alloc(b->arena, sizeof *binding);
    binding->decl = decl;
    binding->next = b->patterns; /* a later declaration of the same name shadows an earlier one */
    b->patterns = binding;
}

static const kq_ast *find_pattern(binder *b, kq_str name)
{
    for (const pattern_binding *p = b->patterns; p; p = p->next)
        if (p->decl->text.len == name.len && memcmp(p->decl->text.ptr, name.ptr, name.len) == 0)
            return p->decl;
    return NULL;
}

const kq_ast *kq_pattern_of_invocation(binder *b, const kq_ast *ast)
{
    const kq_ast *call = ast->kind == KQ_AST_MEMBER ? ast->kids[0] : ast;
    if (call->kind != KQ_AST_CALL)
        return NULL;
    let_binding *let = kq_find_let(b, call->text.ptr, call->text.len);
    if (let && let->function)
        return NULL;
    return find_pattern(b, call->text);
}

/* Appends name('a', 'b').['path'], the form Kusto's error messages give a pattern reference. */
static void describe_reference(kq_buf *out, const kq_ast *call, const kq_str *values, uint32_t nvalues,
                               const kq_str *path)
{
    kq_buf_printf(out, "%.*s(", (int)call->text.len, call->text.ptr);
    for (uint32_t i = 0; i < nvalues; i++)
        kq_buf_printf(out, "%s'%.*s'", i ? ", " : "", (int)values[i].len, values[i].ptr);
    kq_buf_putc(out, ')');
    if (path)
        kq_buf_printf(out, ".['%.*s']", (int)path->len, path->ptr);
}

static bool bind_argument_values(binder *b, const kq_ast *call, kq_str *values)
{
    for (uint32_t i = 0; i < call->nkids; i++) {
        const kq_ast *arg = call->kids[i];
        kq_expr *value = kq_bind_scalar(b, arg, NULL);
        if (!value)
            return false;
        if (value->kind != KQ_EXPR_CONST || value->type != KQ_STRING) {
            kq_bind_error(b, arg->start, arg->end, "a pattern argument must be a constant string");
            return false;
        }
        values[i] = value->constant.u.s;
    }
    return true;
}

static bool same_text(kq_str a, kq_str b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static const kq_ast *find_case(const kq_ast *decl, const kq_str *values, uint32_t nvalues, const kq_str *path)
{
    for (uint32_t c = 0; c < decl->nkids; c++) {
        const kq_ast *option = decl->kids[c];
        bool match = true;
        for (uint32_t i = 0; i < nvalues && match; i++)
            match = same_text(option->kids[i]->value.u.s, values[i]);
        if (match && path)
            match = same_text(option->kids[nvalues]->value.u.s, *path);
        if (match)
            return option;
    }
    return NULL;
}

kq_plan *kq_bind_pattern_invocation(binder *b, const kq_ast *decl, const kq_ast *ast)
{
    const kq_ast *call = ast->kind == KQ_AST_MEMBER ? ast->kids[0] : ast;
    bool has_path = decl->value.u.l == 1;
    if (decl->nkids > 0 && call->nkids != decl->flags) {
        kq_bind_error(b, call->start, call->end, "pattern '%.*s' takes %u argument%s, not %u",
                      (int)call->text.len, call->text.ptr, decl->flags, decl->flags == 1 ? "" : "s", call->nkids);
        return NULL;
    }
    if (decl->nkids > 0 && has_path != (ast->kind == KQ_AST_MEMBER)) {
        kq_bind_error(b, ast->start, ast->end, has_path ? "pattern '%.*s' needs a path: write %.*s(...).Name"
                                                        : "pattern '%.*s' has no path argument",
                      (int)call->text.len, call->text.ptr, (int)call->text.len, call->text.ptr);
        return NULL;
    }
    if (call->nkids > KQ_MAX_CALL_ARGS) {
        kq_bind_error(b, call->start, call->end, "a call takes at most %d arguments", KQ_MAX_CALL_ARGS);
        return NULL;
    }
    kq_str values[KQ_MAX_CALL_ARGS];
    if (!bind_argument_values(b, call, values))
        return NULL;
    kq_str path_text = ast->text;
    const kq_str *path = ast->kind == KQ_AST_MEMBER ? &path_text : NULL;
    const kq_ast *option = decl->nkids > 0 ? find_case(decl, values, call->nkids, path) : NULL;
    if (!option) {
        kq_buf reference;
        kq_buf_init(&reference);
        describe_reference(&reference, call, values, call->nkids, path);
        /* The language service points at the path value when there is one. */
        uint32_t start = path ? ast->text_start : ast->start, end = path ? ast->text_end : ast->end;
        kq_diag *diag = kq_bind_error(b, start, end, "pattern reference %s is not declared", reference.data);
        kq_diag_set_hint(diag, "add a case for these values to declare pattern %.*s: cases match only equal "
                               "values, and '*' is no wildcard", (int)call->text.len, call->text.ptr);
        kq_buf_free(&reference);
        return NULL;
    }
    const kq_ast *body = option->kids[option->nkids - 1];
    if (!kq_ast_is_tabular(b, body)) {
        kq_bind_error(b, body->start, body->end, "a pattern case must be a tabular expression");
        return NULL;
    }
    return kq_bind_tabular(b, body);
}
