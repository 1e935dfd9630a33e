/* SPDX-License-Identifier: Apache-2.0 */
/* Linux.Resources, decide side: every cgroup setting the host sends must be one the policy lists. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "decide.h"

/* Whether scalar i of f holds its proto3 default (the agent then leaves the setting
 * alone: kata's trans.rs turns 0 and "" into None). */
static bool scalar_is_default(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                              size_t i)
{
        if (f->type == PROTOBUF_C_TYPE_STRING)
                return pb_str(m, f, i)[0] == '\0';
        return pb_uint(m, f, i) == 0;
}

/* The rule for the field path stack[0..depth), or NULL. */
static const struct resource_rule *rule_for(const struct container_rule *cr,
                                            const ProtobufCFieldDescriptor *const *stack,
                                            size_t depth)
{
        for (size_t j = 0; j < cr->n_resources; j++) {
                const struct resource_rule *rr = &cr->resources[j];
                if (rr->path.n == depth &&
                    memcmp(rr->path.f, stack, depth * sizeof(*stack)) == 0)
                        return rr;
        }
        return NULL;
}

/* Walk m (at depth, reached through stack); false at the first setting not allowed. */
static bool walk(const struct policy *p, const struct container_rule *cr, const ProtobufCMessage *m,
                 const ProtobufCFieldDescriptor **stack, size_t depth)
{
        const ProtobufCMessageDescriptor *d = m->descriptor;

        if (depth >= PB_PATH_MAX)
                return false;
        for (unsigned k = 0; k < d->n_fields; k++) {
                const ProtobufCFieldDescriptor *f = &d->fields[k];
                size_t n = pb_count(m, f);

                /* The device cgroup is `devices:`'s (devices_check). */
                if (depth == 0 && strcmp(f->name, "Devices") == 0)
                        continue;
                stack[depth] = f;
                for (size_t i = 0; i < n; i++) {
                        const struct resource_rule *rr;
                        char buf[32];
                        size_t len;
                        const char *text;

                        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                                const ProtobufCMessage *sub = pb_msg(m, f, i);
                                if (sub && !walk(p, cr, sub, stack, depth + 1))
                                        return false;
                                continue;
                        }
                        if (!pb_field_is_text(f))
                                return false; /* no such field in LinuxResources today */
                        if (f->label != PROTOBUF_C_LABEL_REPEATED && scalar_is_default(m, f, i))
                                continue;
                        rr = rule_for(cr, stack, depth + 1);
                        if (!rr)
                                return false;
                        text = pb_scalar_text(m, f, i, buf, sizeof(buf), &len);
                        if (!match_string(&p->match, &rr->value, text, len))
                                return false;
                }
        }
        return true;
}

bool resources_ok(const struct policy *p, const struct container_rule *cr,
                  const ProtobufCMessage *resources)
{
        const ProtobufCFieldDescriptor *stack[PB_PATH_MAX];

        return !resources || walk(p, cr, resources, stack, 0);
}
