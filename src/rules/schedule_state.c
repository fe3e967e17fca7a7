/* Scheduled-run state in a folder (see schedule_state.h), stored as JSON with jansson. */
#include "rules/schedule_state.h"

#include "base/buf.h"
#include "base/util.h"
#include "types/types.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_VERSION 1

static char *format_error(const char *format, const char *a, const char *b)
{
    kq_buf out;
    kq_buf_init(&out);
    kq_buf_printf(&out, format, a, b);
    return kq_buf_detach(&out);
}

static char *state_path(const kq_schedule_state *state, const char *name)
{
    kq_buf path;
    kq_buf_init(&path);
    kq_buf_printf(&path, "%s/%s", state->dir, name);
    return kq_buf_detach(&path);
}

kq_rule_state *kq_schedule_state_rule(kq_schedule_state *state, const char *key)
{
    for (size_t i = 0; i < state->count; i++)
        if (strcmp(state->rules[i].key, key) == 0)
            return &state->rules[i];
    kq_grow((void **)&state->rules, &state->cap, state->count + 1, sizeof *state->rules);
    kq_rule_state *rule = &state->rules[state->count++];
    memset(rule, 0, sizeof *rule);
    rule->key = kq_xstrdup(key);
    return rule;
}

/* Reads an ISO datetime member; returns false when present but invalid. */
static bool read_instant(json_t *object, const char *key, bool *has, int64_t *ticks)
{
    json_t *value = json_object_get(object, key);
    if (!value || json_is_null(value))
        return true;
    const char *text = json_string_value(value);
    if (!text || !kq_datetime_parse(text, strlen(text), ticks))
        return false;
    *has = true;
    return true;
}

static bool read_state(kq_schedule_state *state, json_t *root, const char *path, char **error)
{
    json_t *version = json_object_get(root, "version");
    if (!json_is_integer(version) || json_integer_value(version) != STATE_VERSION) {
        *error = format_error("%s: unknown state version; this kqlite writes version 1%s", path, "");
        return false;
    }
    json_t *rules = json_object_get(root, "rules");
    const char *key;
    json_t *entry;
    json_object_foreach(rules, key, entry) {
        kq_rule_state *rule = kq_schedule_state_rule(state, key);
        if (!json_is_object(entry) || !read_instant(entry, "last_run", &rule->has_run, &rule->last_run) ||
            !read_instant(entry, "last_alert", &rule->has_alert, &rule->last_alert)) {
            *error = format_error("%s: the entry of rule '%s' is invalid", path, key);
            return false;
        }
    }
    json_t *output = json_object_get(root, "output");
    if (json_is_object(output)) {
        const char *output_path = json_string_value(json_object_get(output, "path"));
        state->output_path = output_path ? kq_xstrdup(output_path) : NULL;
        state->output_bytes = (uint64_t)json_integer_value(json_object_get(output, "bytes"));
    }
    return true;
}

static bool lock_folder(kq_schedule_state *state, char **error)
{
    char *path = state_path(state, "lock");
    state->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (state->lock_fd < 0) {
        *error = format_error("cannot open %s: %s", path, strerror(errno));
        free(path);
        return false;
    }
    if (flock(state->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        *error = format_error("state folder %s is in use by another kqlite process (lock %s held)", state->dir,
                              path);
        free(path);
        return false;
    }
    free(path);
    return true;
}

bool kq_schedule_state_open(const char *dir, kq_schedule_state *state, char **error)
{
    memset(state, 0, sizeof *state);
    state->lock_fd = -1;
    state->dir = kq_xstrdup(dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        *error = format_error("cannot create state folder %s: %s", dir, strerror(errno));
        return false;
    }
    if (!lock_folder(state, error))
        return false;
    char *path = state_path(state, "state.json");
    struct stat info;
    bool ok = true;
    if (stat(path, &info) == 0) {
        json_error_t json_error;
        json_t *root = json_load_file(path, 0, &json_error);
        if (!root || !json_is_object(root)) {
            kq_buf message;
            kq_buf_init(&message);
            kq_buf_printf(&message, "%s:%d: invalid state file: %s; move it away to start over (alerts of runs "
                          "already made would then be emitted again)", path, json_error.line,
                          root ? "not a JSON object" : json_error.text);
            *error = kq_buf_detach(&message);
            ok = false;
        } else {
            ok = read_state(state, root, path, error);
        }
        json_decref(root);
    }
    free(path);
    return ok;
}

static json_t *instant_json(bool has, int64_t ticks)
{
    if (!has)
        return json_null();
    char text[32];
    kq_datetime_format(ticks, text);
    return json_string(text);
}

static bool write_file_synced(const char *path, const char *text, char **error)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        *error = format_error("cannot write %s: %s", path, strerror(errno));
        return false;
    }
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *error = format_error("cannot write %s: %s", path, strerror(errno));
            close(fd);
            return false;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        *error = format_error("cannot write %s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

bool kq_schedule_state_save(const kq_schedule_state *state, char **error)
{
    json_t *root = json_object();
    json_object_set_new(root, "version", json_integer(STATE_VERSION));
    json_t *rules = json_object();
    for (size_t i = 0; i < state->count; i++) {
        const kq_rule_state *rule = &state->rules[i];
        json_t *entry = json_object();
        json_object_set_new(entry, "last_run", instant_json(rule->has_run, rule->last_run));
        json_object_set_new(entry, "last_alert", instant_json(rule->has_alert, rule->last_alert));
        json_object_set_new(rules, rule->key, entry);
    }
    json_object_set_new(root, "rules", rules);
    json_t *output = json_object();
    json_object_set_new(output, "path", state->output_path ? json_string(state->output_path) : json_null());
    json_object_set_new(output, "bytes", json_integer((json_int_t)state->output_bytes));
    json_object_set_new(root, "output", output);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(root);
    char *temporary = state_path(state, "state.json.tmp");
    char *final = state_path(state, "state.json");
    bool ok = write_file_synced(temporary, text, error);
    if (ok && rename(temporary, final) != 0) {
        *error = format_error("cannot replace %s: %s", final, strerror(errno));
        ok = false;
    }
    free(text);
    free(temporary);
    free(final);
    return ok;
}

void kq_schedule_state_close(kq_schedule_state *state)
{
    if (state->lock_fd >= 0)
        close(state->lock_fd);
    for (size_t i = 0; i < state->count; i++)
        free(state->rules[i].key);
    free(state->rules);
    free(state->output_path);
    free(state->dir);
    memset(state, 0, sizeof *state);
    state->lock_fd = -1;
}
