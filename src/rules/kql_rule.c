/*
 * Rules written as plain .kql files: the whole file is the query. Leading
 * comment lines of the form `//# key: value` (or `// key: value`) give the id,
 * name, severity, tactics and techniques; without them the id and name are the
 * file name. This is how hunting-query repositories store their queries.
 */
#include "rules/rule.h"
#include "base/util.h"

#include <string.h>

static char *header_value(kq_arena *arena, const char *line, size_t len, const char *key)
{
    size_t i = 2;
    if (i < len && line[i] == '#')
        i++;
    while (i < len && line[i] == ' ')
        i++;
    size_t key_len = strlen(key);
    if (len - i <= key_len || !kq_ascii_ieq(line + i, key_len, key, key_len) || line[i + key_len] != ':')
        return NULL;
    i += key_len + 1;
    while (i < len && line[i] == ' ')
        i++;
    size_t end = len;
    while (end > i && (line[end - 1] == ' ' || line[end - 1] == '\r'))
        end--;
    return end > i ? kq_arena_strndup(arena, line + i, end - i) : NULL;
}

static void split_list(kq_rule *rule, const char *value, char ***items, size_t *count)
{
    size_t n = 1;
    for (const char *p = value; *p; p++)
        n += *p == ',';
    *items = kq_arena_alloc(rule->arena, n * sizeof(char *));
    const char *start = value;
    for (const char *p = value;; p++) {
        if (*p == ',' || *p == '\0') {
            const char *a = start, *b = p;
            while (a < b && *a == ' ')
                a++;
            while (b > a && b[-1] == ' ')
                b--;
            if (b > a)
                (*items)[(*count)++] = kq_arena_strndup(rule->arena, a, (size_t)(b - a));
            if (*p == '\0')
                break;
            start = p + 1;
        }
    }
}

/* Reads the //# header lines at the top of the file. */
static void read_header(kq_rule *rule)
{
    const char *p = rule->query, *end = rule->query + rule->query_len;
    while (p < end) {
        const char *line_end = memchr(p, '\n', (size_t)(end - p));
        size_t len = line_end ? (size_t)(line_end - p) : (size_t)(end - p);
        if (len < 2 || p[0] != '/' || p[1] != '/')
            break;
        char *value;
        if ((value = header_value(rule->arena, p, len, "id")))
            rule->id = value;
        else if ((value = header_value(rule->arena, p, len, "name")))
            rule->name = value;
        else if ((value = header_value(rule->arena, p, len, "severity")))
            rule->severity = value;
        else if ((value = header_value(rule->arena, p, len, "tactics")))
            split_list(rule, value, &rule->tactics, &rule->ntactics);
        else if ((value = header_value(rule->arena, p, len, "techniques")))
            split_list(rule, value, &rule->techniques, &rule->ntechniques);
        if (!line_end)
            break;
        p = line_end + 1;
    }
}

size_t kq_rules_load_kql_buffer(const char *name, const char *data, size_t len, kq_rule_set *set,
                                kq_diags *diags)
{
    if (!name)
        name = "<input>";
    if (memchr(data, '\0', len)) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, name, 0, 0, NULL,
                        "file contains a NUL byte; a .kql rule must be UTF-8 text");
        return 0;
    }
    kq_rule *rule = kq_xcalloc(1, sizeof *rule);
    rule->arena = kq_arena_new(16 * 1024);
    rule->file = kq_arena_strdup(rule->arena, name);
    rule->query = kq_arena_strndup(rule->arena, data, len);
    rule->query_len = len;
    rule->query_source.file = rule->file;
    rule->query_source.text = rule->query;
    rule->query_source.len = len;
    rule->query_source.first_line = 1;
    read_header(rule);
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t base_len = strlen(base);
    if (base_len > 4 && kq_ascii_ieq(base + base_len - 4, 4, ".kql", 4))
        base_len -= 4;
    if (!rule->id)
        rule->id = kq_arena_strndup(rule->arena, base, base_len);
    if (!rule->name)
        rule->name = kq_arena_strndup(rule->arena, base, base_len);
    kq_grow((void **)&set->rules, &set->cap, set->count + 1, sizeof(kq_rule *));
    set->rules[set->count++] = rule;
    return 1;
}
