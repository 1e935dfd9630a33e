/* SPDX-License-Identifier: Apache-2.0 */
/* Field rules of a request, decide side: every value a path reaches must match. */
#include <stdbool.h>
#include <stddef.h>

#include "decide.h"

/* Every value path[step..] reaches from m matches (unset messages read as defaults). */
static bool walk(const struct policy *p, const struct field_rule *fr, const ProtobufCMessage *m,
                 size_t step)
{
        const ProtobufCFieldDescriptor *f = fr->path.f[step];
        bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
        size_t n = repeated ? pb_count(m, f) : 1;

        for (size_t i = 0; i < n; i++) {
                if (step + 1 < fr->path.n) {
                        if (!walk(p, fr, pb_msg(m, f, i), step + 1))
                                return false;
                } else {
                        char buf[32];
                        size_t len = 0;
                        const char *s = pb_scalar_text(m, f, i, buf, sizeof(buf), &len);
                        if (!match_string(&p->match, &fr->value, s, len))
                                return false;
                }
        }
        return true;
}

const struct field_rule *fields_check(const struct policy *p, const struct request_rule *rr,
                                      const ProtobufCMessage *req)
{
        for (size_t i = 0; i < rr->n_fields; i++)
                if (!walk(p, &rr->fields[i], req, 0))
                        return &rr->fields[i];
        return NULL;
}
