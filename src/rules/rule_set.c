/* Rule sets: loading a rule file or a folder tree of rule files. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* lstat */
#endif
#include "rules/rule.h"

#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void kq_rule_set_init(kq_rule_set *set)
{
    memset(set, 0, sizeof *set);
}

void kq_rule_set_free(kq_rule_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        kq_rule_free(set->rules[i]);
    free(set->rules);
    kq_rule_set_init(set);
}

typedef struct path_list {
    char **paths;
    size_t count, cap;
} path_list;

static bool has_rule_extension(const char *name)
{
    size_t len = strlen(name);
    return (len > 5 && kq_ascii_ieq(name + len - 5, 5, ".yaml", 5)) ||
           (len > 4 && kq_ascii_ieq(name + len - 4, 4, ".yml", 4)) ||
           (len > 4 && kq_ascii_ieq(name + len - 4, 4, ".kql", 4));
}

static char *join_path(const char *folder, const char *name)
{
    size_t folder_len = strlen(folder);
    bool slash = folder_len > 0 && folder[folder_len - 1] == '/';
    size_t len = folder_len + (slash ? 0 : 1) + strlen(name);
    char *path = kq_xmalloc(len + 1);
    strcpy(path, folder);
    if (!slash)
        strcat(path, "/");
    strcat(path, name);
    return path;
}

/*
 * Collects rule files under folder. Symbolic links to folders are not
 * followed, so a link cycle cannot make the walk loop; depth is bounded too.
 */
static void collect_rule_files(const char *folder, int depth, path_list *list, kq_diags *diags)
{
    if (depth > KQ_RULE_DIR_MAX_DEPTH) {
        kq_diags_add_at(diags, KQ_SEVERITY_WARNING, folder, 0, 0, NULL,
                        "folder is nested more than %d levels deep; not searched for rules",
                        KQ_RULE_DIR_MAX_DEPTH);
        return;
    }
    DIR *dir = opendir(folder);
    if (!dir) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, folder, 0, 0, NULL, "cannot open folder: %s",
                        strerror(errno));
        return;
    }
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        char *path = join_path(folder, entry->d_name);
        struct stat info;
        if (lstat(path, &info) != 0) {
            free(path);
            continue;
        }
        if (S_ISDIR(info.st_mode)) {
            collect_rule_files(path, depth + 1, list, diags);
            free(path);
            continue;
        }
        /* A link to a file is read; a link to a folder is not followed. */
        if (S_ISLNK(info.st_mode) && (stat(path, &info) != 0 || !S_ISREG(info.st_mode))) {
            free(path);
            continue;
        }
        if (!S_ISREG(info.st_mode) || !has_rule_extension(entry->d_name)) {
            free(path);
            continue;
        }
        kq_grow((void **)&list->paths, &list->cap, list->count + 1, sizeof *list->paths);
        list->paths[list->count++] = path;
    }
    closedir(dir);
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t load_file(const char *path, kq_rule_set *set, kq_diags *diags)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, path, 0, 0, NULL, "cannot open rule file: %s",
                        strerror(errno));
        return 0;
    }
    if ((unsigned long long)info.st_size > KQ_RULE_FILE_MAX_BYTES) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, path, 0, 0, NULL,
                        "file is %lld bytes, over the %u-byte limit for a rule file",
                        (long long)info.st_size, KQ_RULE_FILE_MAX_BYTES);
        return 0;
    }
    size_t len;
    char *data = kq_read_file(path, &len);
    if (!data) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, path, 0, 0, NULL, "cannot read rule file: %s",
                        strerror(errno));
        return 0;
    }
    size_t path_len = strlen(path);
    bool kql = path_len > 4 && kq_ascii_ieq(path + path_len - 4, 4, ".kql", 4);
    size_t loaded = kql ? kq_rules_load_kql_buffer(path, data, len, set, diags)
                        : kq_rules_load_buffer(path, data, len, set, diags);
    free(data);
    return loaded;
}

size_t kq_rules_load_path(const char *path, kq_rule_set *set, kq_diags *diags)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        kq_diags_add_at(diags, KQ_SEVERITY_ERROR, path, 0, 0, NULL, "cannot open rule path: %s",
                        strerror(errno));
        return 0;
    }
    if (!S_ISDIR(info.st_mode))
        return load_file(path, set, diags);

    path_list list = {0};
    collect_rule_files(path, 0, &list, diags);
    if (list.count > 1)
        qsort(list.paths, list.count, sizeof *list.paths, compare_paths);
    size_t loaded = 0;
    for (size_t i = 0; i < list.count; i++) {
        loaded += load_file(list.paths[i], set, diags);
        free(list.paths[i]);
    }
    free(list.paths);
    return loaded;
}
