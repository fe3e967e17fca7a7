/*
 * A record's element tree turned into an event: the System element's fields
 * and the event data as a JSON object.
 *
 * EventData's <Data Name="X">v</Data> children become X: v. Unnamed Data
 * elements become "Data" (a string, or an array when there are several), and
 * other children (such as <Binary>) keep their element name. UserData holds
 * one provider-defined element; its children become the fields, and a child
 * with children of its own becomes a nested object.
 */
#include "sources/evtx/evtx.h"
#include "types/types.h"

#include <stdlib.h>
#include <string.h>

static const evtx_node *child(const evtx_node *node, const char *name)
{
    for (const evtx_node *c = node ? node->first_child : NULL; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static const evtx_node *attribute(const evtx_node *node, const char *name)
{
    for (const evtx_node *a = node ? node->first_attribute : NULL; a; a = a->next)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

static const char *text_of(const evtx_node *node)
{
    return node && node->text ? node->text : "";
}

/* Reads a node's text as an integer (decimal, or hexadecimal with 0x). */
static bool integer_of(const evtx_node *node, int64_t *out)
{
    if (!node)
        return false;
    if (node->is_integer) {
        *out = node->integer;
        return true;
    }
    const char *text = text_of(node);
    if (!*text)
        return false;
    char *end;
    long long value = strtoll(text, &end, 0);
    if (*end)
        return false;
    *out = value;
    return true;
}

static json_t *value_json(const evtx_node *node)
{
    if (node->is_integer)
        return json_integer(node->integer);
    return json_stringn(text_of(node), node->text_len);
}

/* Adds value under key; a repeated key turns the member into an array. */
static void add_member(json_t *object, const char *key, json_t *value)
{
    json_t *old = json_object_get(object, key);
    if (!old) {
        json_object_set_new(object, key, value);
    } else if (json_is_array(old)) {
        json_array_append_new(old, value);
    } else {
        json_t *array = json_array();
        json_array_append(array, old);
        json_array_append_new(array, value);
        json_object_set_new(object, key, array);
    }
}

static json_t *element_json(const evtx_node *node, int depth)
{
    if (!node->first_child || depth > EVTX_MAX_DEPTH)
        return value_json(node);
    json_t *object = json_object();
    for (const evtx_node *c = node->first_child; c; c = c->next)
        add_member(object, c->name, element_json(c, depth + 1));
    return object;
}

static json_t *event_data_json(const evtx_node *event)
{
    json_t *data = json_object();
    const evtx_node *event_data = child(event, "EventData");
    if (event_data) {
        for (const evtx_node *c = event_data->first_child; c; c = c->next) {
            const evtx_node *name = attribute(c, "Name");
            if (strcmp(c->name, "Data") == 0 && name)
                json_object_set_new(data, text_of(name), value_json(c));
            else
                add_member(data, c->name, element_json(c, 0));
        }
        return data;
    }
    const evtx_node *user_data = child(event, "UserData");
    if (user_data && user_data->first_child)
        for (const evtx_node *c = user_data->first_child->first_child; c; c = c->next)
            add_member(data, c->name, element_json(c, 0));
    return data;
}

static void read_optional(const evtx_node *node, int64_t *value, bool *has)
{
    *has = integer_of(node, value);
}

bool evtx_event_from_tree(evtx_binxml *p, const evtx_node *root, uint64_t record_id, int64_t written, evtx_event *ev)
{
    (void)p;
    memset(ev, 0, sizeof *ev);
    ev->record_id = record_id;
    const evtx_node *event = child(root, "Event");
    if (!event)
        return false;
    const evtx_node *system = child(event, "System");
    ev->provider = text_of(attribute(child(system, "Provider"), "Name"));
    if (!integer_of(child(system, "EventID"), &ev->event_id))
        ev->event_id = -1;
    read_optional(child(system, "Version"), &ev->version, &ev->has_version);
    read_optional(child(system, "Level"), &ev->level, &ev->has_level);
    read_optional(child(system, "Task"), &ev->task, &ev->has_task);
    read_optional(child(system, "Opcode"), &ev->opcode, &ev->has_opcode);
    ev->keywords = text_of(child(system, "Keywords"));
    ev->opcode_text = text_of(child(system, "Opcode"));
    const evtx_node *created = attribute(child(system, "TimeCreated"), "SystemTime");
    ev->has_time_created = created && kq_datetime_parse(text_of(created), created->text_len, &ev->time_created);
    if (!ev->has_time_created && written > 0) {
        ev->time_created = written;
        ev->has_time_created = true;
    }
    ev->correlation = text_of(attribute(child(system, "Correlation"), "ActivityID"));
    const evtx_node *execution = child(system, "Execution");
    read_optional(attribute(execution, "ProcessID"), &ev->process_id, &ev->has_process_id);
    read_optional(attribute(execution, "ThreadID"), &ev->thread_id, &ev->has_thread_id);
    /* The XML's EventRecordID is what Windows shows; logs cut out of a bigger one (a filtered
     * save) renumber the record headers from 1 but keep it. */
    int64_t xml_record_id;
    if (integer_of(child(system, "EventRecordID"), &xml_record_id) && xml_record_id >= 0)
        ev->record_id = (uint64_t)xml_record_id;
    ev->channel = text_of(child(system, "Channel"));
    ev->computer = text_of(child(system, "Computer"));
    ev->user_id = text_of(attribute(child(system, "Security"), "UserID"));
    ev->event_node = event;
    return true;
}

json_t *evtx_event_data(const evtx_event *event)
{
    return event_data_json(event->event_node);
}
