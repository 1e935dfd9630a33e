/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The strict wire check against an independent oracle (issue 18). ccgate
 * decides on protobuf-c's reading of the bytes it forwards; the agent reads
 * them with another decoder. Both read a message the same way only when no
 * non-repeated field occurs twice (protobuf merges the copies, protobuf-c
 * keeps the last one's scalars): that, and what protobuf-c makes of what
 * passes, is checked here on mutations of requests ccgate allows.
 *
 * Input: byte 0 picks the agent method (modulo the number of methods), the
 * rest is its request payload. Seeds (corpus/fuzz-wire-check, written by
 * gen_wire_seeds.c): every example request file and every step of the traffic
 * corpus, as protobuf-c encodes them.
 *
 * Oracles, on every input:
 *   - an independent walk of the bytes (written here, not wire_check.c's code:
 *     field counts per message, allocated) that finds a non-repeated field
 *     twice, or two members of one oneof, in any message: wire_check refuses;
 *     where the walk finds the framing broken, wire_check refuses too;
 *   - whatever wire_check accepts, protobuf-c decodes, with no unknown field;
 *     protobuf_c_message_pack() of that decodes again to the same message
 *     (compared as pbjson's JSON), passes wire_check, and packs to the very
 *     same bytes; and agent_request_decode() agrees with wire_check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent_api.h"
#include "agent_request.h"
#include "fuzz.h"
#include "pbjson.h"
#include "wire_check.h"

/* The walk's own bound: deeper input is "broken framing" to it, as to wire_check. */
#define WALK_MAX_DEPTH WIRE_CHECK_MAX_DEPTH

enum walk_result {
        WALK_CLEAN,     /* well framed, no field twice */
        WALK_TWICE,     /* a non-repeated field (or a oneof) twice somewhere */
        WALK_BROKEN,    /* truncated, a bad wire type or varint, too deep */
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        return 0;
}

struct cursor {
        const uint8_t *p, *end;
};

static bool take_varint(struct cursor *c, uint64_t *v)
{
        *v = 0;
        for (unsigned i = 0; i < 10; i++) {
                if (c->p >= c->end)
                        return false;
                *v |= (uint64_t)(*c->p & 0x7f) << (7 * i);
                if (!(*c->p++ & 0x80))
                        return i < 9 || c->p[-1] <= 1;
        }
        return false;
}

static bool take(struct cursor *c, uint64_t n)
{
        if ((uint64_t)(c->end - c->p) < n)
                return false;
        c->p += n;
        return true;
}

static enum walk_result worse(enum walk_result a, enum walk_result b)
{
        return a > b ? a : b;
}

static enum walk_result walk(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t n,
                             unsigned depth)
{
        struct cursor c = { p, p + n };
        unsigned *count;
        enum walk_result res = WALK_CLEAN;

        if (depth > WALK_MAX_DEPTH)
                return WALK_BROKEN;
        count = calloc(d->n_fields + 1, sizeof(*count));
        if (!count)
                fuzz_die("calloc", ENOMEM);

        while (c.p < c.end && res != WALK_BROKEN) {
                const ProtobufCFieldDescriptor *f = NULL;
                const uint8_t *body;
                uint64_t tag, len, v;

                if (!take_varint(&c, &tag) || tag >> 3 == 0) {
                        res = WALK_BROKEN;
                        break;
                }
                if (tag >> 3 <= UINT32_MAX)
                        f = protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
                switch (tag & 7) {
                case 0:
                        if (!take_varint(&c, &v))
                                res = WALK_BROKEN;
                        break;
                case 1:
                        if (!take(&c, 8))
                                res = WALK_BROKEN;
                        break;
                case 5:
                        if (!take(&c, 4))
                                res = WALK_BROKEN;
                        break;
                case 2:
                        if (!take_varint(&c, &len) || (uint64_t)(c.end - c.p) < len) {
                                res = WALK_BROKEN;
                                break;
                        }
                        body = c.p;
                        c.p += len;
                        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE)
                                res = worse(res, walk(f->descriptor, body, (size_t)len, depth + 1));
                        break;
                default:
                        res = WALK_BROKEN;
                        break;
                }
                if (!f || f->label == PROTOBUF_C_LABEL_REPEATED)
                        continue;
                if (++count[f - d->fields] > 1)
                        res = worse(res, WALK_TWICE);
                /* Two members of one oneof: they share the case member's offset. */
                if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                        for (unsigned k = 0; k < d->n_fields; k++)
                                if (&d->fields[k] != f && count[k] > 0 &&
                                    (d->fields[k].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                                    d->fields[k].quantifier_offset == f->quantifier_offset)
                                        res = worse(res, WALK_TWICE);
        }
        free(count);
        return res;
}

/* Whether any message in m has unknown fields. */
static bool has_unknown(const ProtobufCMessage *m)
{
        const ProtobufCMessageDescriptor *d = m->descriptor;

        if (m->n_unknown_fields > 0)
                return true;
        for (unsigned i = 0; i < d->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &d->fields[i];
                const char *base = (const char *)m;

                if (f->type != PROTOBUF_C_TYPE_MESSAGE)
                        continue;
                if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                        size_t n = *(const size_t *)(base + f->quantifier_offset);
                        ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *)(base + f->offset);

                        for (size_t k = 0; k < n; k++)
                                if (has_unknown(v[k]))
                                        return true;
                } else {
                        const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)(base + f->offset);

                        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
                                continue;
                        if (sub && has_unknown(sub))
                                return true;
                }
        }
        return false;
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *ret_len)
{
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *b = malloc(n ? n : 1);

        if (!b)
                fuzz_die("malloc", ENOMEM);
        FUZZ_CHECK(protobuf_c_message_pack(m, b) == n);
        *ret_len = n;
        return b;
}

static void check_accepted(const struct agent_method *m, const uint8_t *data, size_t size)
{
        ProtobufCMessage *first, *second, *gated = NULL;
        int r;
        uint8_t *again, *third;
        size_t n_again, n_third;
        json_t *a, *b;

        first = protobuf_c_message_unpack(m->request, NULL, size, data);
        FUZZ_CHECK(first);
        FUZZ_CHECK(!has_unknown(first));

        /* protobuf-c's canonical form of it reads back as the same message. */
        again = pack(first, &n_again);
        FUZZ_CHECK(wire_check(m->request, again, n_again, WIRE_CHECK_MAX_DEPTH) == 0);
        FUZZ_CHECK(walk(m->request, again, n_again, 0) == WALK_CLEAN);
        second = protobuf_c_message_unpack(m->request, NULL, n_again, again);
        FUZZ_CHECK(second);
        a = pbjson_from_message(first);
        b = pbjson_from_message(second);
        FUZZ_CHECK(a && b && json_equal(a, b));
        third = pack(second, &n_third);
        FUZZ_CHECK(n_third == n_again && memcmp(third, again, n_again) == 0);

        /* The gate's decoder takes what the check takes. */
        r = agent_request_decode(m, data, size, NULL, &gated);
        FUZZ_CHECK(r == 0 || r == -E2BIG);

        json_decref(a);
        json_decref(b);
        free(again);
        free(third);
        agent_request_free(gated, NULL);
        protobuf_c_message_free_unpacked(first, NULL);
        protobuf_c_message_free_unpacked(second, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const struct agent_method *m;
        enum walk_result w;
        int r;

        if (size < 1)
                return 0;
        m = agent_method_get((enum agent_method_id)(data[0] % _AGENT_METHOD_MAX));
        FUZZ_CHECK(m && m->request);
        data++;
        size--;

        r = wire_check(m->request, data, size, WIRE_CHECK_MAX_DEPTH);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTO || r == -ELOOP);
        w = walk(m->request, data, size, 0);
        if (w != WALK_CLEAN)
                FUZZ_CHECK(r != 0);
        if (r == 0)
                check_accepted(m, data, size);
        return 0;
}
