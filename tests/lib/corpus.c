/* SPDX-License-Identifier: Apache-2.0 */
/* The traffic corpus for tests: step methods, packing, mutations (see corpus.h). */
#include "corpus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"

const struct agent_method *corpus_step_method(const json_t *step)
{
        const char *name = json_string_value(json_object_get(step, "request"));
        const char *method = json_string_value(json_object_get(step, "method"));
        enum agent_method_id ids[4];
        size_t n = name ? agent_methods_by_request_name(name, ids, 4) : 0;

        for (size_t i = 0; i < n && i < 4; i++) {
                const struct agent_method *m = agent_method_get(ids[i]);
                if (!method || strcmp(m->method, method) == 0)
                        return m;
        }
        return NULL;
}

int corpus_pack(const struct agent_method *m, const json_t *msg, uint8_t **ret, size_t *ret_len,
                char *why, size_t why_len)
{
        ProtobufCMessage *pb = NULL;
        uint8_t *buf;
        size_t len;

        if (pbjson_to_message(m->request, msg, &pb, why, why_len) < 0)
                return -EINVAL;
        len = protobuf_c_message_get_packed_size(pb);
        buf = malloc(len ? len : 1);
        if (!buf) {
                protobuf_c_message_free_unpacked(pb, NULL);
                return -ENOMEM;
        }
        protobuf_c_message_pack(pb, buf);
        protobuf_c_message_free_unpacked(pb, NULL);
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* One step of a mutation path: a field name or map key, or an array index. */
struct path_step {
        char name[128];
        long index; /* -1: name is a field or key */
};

#define MAX_PATH_STEPS 16

/* OCI.Process.Args[0], OCI.Annotations["io.kubernetes.cri.container-name"]. */
static int parse_path(const char *p, struct path_step *steps, size_t *n)
{
        *n = 0;
        while (*p) {
                struct path_step *s = &steps[*n];

                if (*n == MAX_PATH_STEPS)
                        return -E2BIG;
                if (*p == '.')
                        p++;
                if (p[0] == '[' && p[1] == '"') {
                        const char *end = strstr(p + 2, "\"]");

                        if (!end || (size_t)(end - p - 2) >= sizeof(s->name))
                                return -EINVAL;
                        snprintf(s->name, sizeof(s->name), "%.*s", (int)(end - p - 2), p + 2);
                        s->index = -1;
                        p = end + 2;
                } else if (*p == '[') {
                        char *end;

                        s->index = strtol(p + 1, &end, 10);
                        if (*end != ']' || s->index < 0)
                                return -EINVAL;
                        p = end + 1;
                } else {
                        size_t len = strcspn(p, ".[");

                        if (!len || len >= sizeof(s->name))
                                return -EINVAL;
                        snprintf(s->name, sizeof(s->name), "%.*s", (int)len, p);
                        s->index = -1;
                        p += len;
                }
                (*n)++;
        }
        return *n ? 0 : -EINVAL;
}

int corpus_mutate(json_t *msg, const char *path, const char *op, const json_t *value)
{
        struct path_step steps[MAX_PATH_STEPS];
        const struct path_step *last;
        json_t *node = msg, *next;
        size_t n;
        int r;

        if (!path || !op || (r = parse_path(path, steps, &n)) < 0)
                return -EINVAL;
        for (size_t i = 0; i + 1 < n; i++) {
                if (steps[i].index >= 0) {
                        next = json_array_get(node, (size_t)steps[i].index);
                } else {
                        next = json_object_get(node, steps[i].name);
                        if (!next && json_is_object(node)) {
                                next = json_object();
                                if (json_object_set_new(node, steps[i].name, next) < 0)
                                        return -ENOMEM;
                        }
                }
                if (!next)
                        return -ENOENT;
                node = next;
        }
        last = &steps[n - 1];
        if (strcmp(op, "remove") == 0)
                return (last->index >= 0 ? json_array_remove(node, (size_t)last->index)
                                         : json_object_del(node, last->name)) < 0 ? -ENOENT : 0;
        if (!value)
                return -EINVAL;
        if (strcmp(op, "add") == 0 && last->index < 0) {
                json_t *a = json_object_get(node, last->name);

                if (json_is_array(a))
                        return json_array_append(a, (json_t *)value) < 0 ? -ENOMEM : 0;
                if (a)
                        return -EEXIST;
                return json_object_set(node, last->name, (json_t *)value) < 0 ? -EINVAL : 0;
        }
        if (strcmp(op, "set") != 0)
                return -EINVAL;
        if (last->index >= 0)
                return ((size_t)last->index < json_array_size(node)
                                ? json_array_set(node, (size_t)last->index, (json_t *)value)
                                : json_array_append(node, (json_t *)value)) < 0 ? -EINVAL : 0;
        return json_object_set(node, last->name, (json_t *)value) < 0 ? -EINVAL : 0;
}
