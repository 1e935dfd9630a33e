/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoding in place (wire_view.c) against protobuf-c's own decode. The gate
 * decides on wire_view_unpack()'s reading of a request whose large bytes
 * fields point into the frame; it must be the very message protobuf-c reads.
 *
 * Input: byte 0 picks the agent method (modulo the number of methods), or,
 * when it is 255, the ttRPC request envelope; the rest is the message. Seeds
 * (corpus/fuzz-wire-view): requests with bytes fields over WIRE_VIEW_MIN, a
 * field twice, an envelope around a large payload, each cut short.
 *
 * Oracles, on every input that passes wire_check: wire_view_unpack() fails
 * exactly when protobuf_c_message_unpack() fails; where both decode, the two
 * messages pack to the same bytes, and every bytes field the view left in
 * place points into the input.
 */
#include <errno.h>
#include <string.h>

#include "agent_api.h"
#include "arena.h"
#include "fuzz.h"
#include "ttrpc.pb-c.h"
#include "wire_check.h"
#include "wire_view.h"

#define FUZZ_ARENA_CAP (64u * 1024u * 1024u)

static struct arena arena;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        return 0;
}

static void check_in_place(const ProtobufCMessageDescriptor *d, const ProtobufCMessage *m,
                           const uint8_t *data, size_t size)
{
        for (unsigned i = 0; i < d->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &d->fields[i];
                const ProtobufCBinaryData *bd;

                if (f->type != PROTOBUF_C_TYPE_BYTES || f->label == PROTOBUF_C_LABEL_REPEATED)
                        continue;
                bd = (const ProtobufCBinaryData *)((const char *)m + f->offset);
                if (bd->len >= WIRE_VIEW_MIN && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
                        FUZZ_CHECK(bd->data >= data && bd->data + bd->len <= data + size);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const ProtobufCMessageDescriptor *d;
        ProtobufCMessage *plain, *view;
        uint8_t *a, *b;
        size_t na, nb;

        if (size < 1)
                return 0;
        if (!arena.base && arena_init(&arena, FUZZ_ARENA_CAP, 0) < 0)
                abort();
        if (data[0] == 255) {
                d = &ttrpc__request__descriptor;
        } else {
                const struct agent_method *m =
                        agent_method_get((enum agent_method_id)(data[0] % _AGENT_METHOD_MAX));

                FUZZ_CHECK(m && m->request);
                d = m->request;
        }
        data++;
        size--;
        if (wire_check(d, data, size, WIRE_CHECK_MAX_DEPTH) != 0)
                return 0;

        arena_reset(&arena);
        plain = protobuf_c_message_unpack(d, NULL, size, data);
        view = wire_view_unpack(d, &arena.allocator, size, data);
        FUZZ_CHECK(!plain == !view);
        if (plain) {
                check_in_place(d, view, data, size);
                na = protobuf_c_message_get_packed_size(plain);
                nb = protobuf_c_message_get_packed_size(view);
                FUZZ_CHECK(na == nb);
                a = malloc(na ? na : 1);
                b = malloc(nb ? nb : 1);
                FUZZ_CHECK(a && b);
                FUZZ_CHECK(protobuf_c_message_pack(plain, a) == na);
                FUZZ_CHECK(protobuf_c_message_pack(view, b) == nb);
                FUZZ_CHECK(memcmp(a, b, na) == 0);
                free(a);
                free(b);
                protobuf_c_message_free_unpacked(plain, NULL);
        }
        return 0;
}
