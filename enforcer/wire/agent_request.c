/* SPDX-License-Identifier: Apache-2.0 */
/* Decoding agent request payloads: the strict wire check, then protobuf-c under a budget. */
#include "agent_request.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "wire_check.h"
#include "wire_view.h"

/*
 * The decode budget: an allocator that forwards to the caller's (or malloc) and
 * fails once the running total of what was asked for would pass the budget.
 * Sizes are rounded up to 16 bytes, the granule of both malloc and the gate's
 * arena, so tiny allocations cannot slip past the accounting. Frees are not
 * credited back: protobuf-c only frees on its way out of a failed unpack.
 */
struct budget_allocator {
        ProtobufCAllocator base;
        ProtobufCAllocator *parent;
        size_t used;
        size_t budget;
        bool over_budget;
        bool parent_failed;
};

static void *budget_alloc(void *data, size_t size)
{
        struct budget_allocator *b = data;
        size_t rounded = (size + 15u) & ~(size_t)15u;
        void *p;

        if (rounded < size || rounded > b->budget - b->used) {
                b->over_budget = true;
                return NULL;
        }
        p = b->parent ? b->parent->alloc(b->parent->allocator_data, size) : malloc(size);
        if (!p) {
                b->parent_failed = true;
                return NULL;
        }
        b->used += rounded;
        return p;
}

static void budget_free(void *data, void *ptr)
{
        struct budget_allocator *b = data;

        if (b->parent)
                b->parent->free(b->parent->allocator_data, ptr);
        else
                free(ptr);
}

static int request_decode(const struct agent_method *m, const uint8_t *data, size_t len,
                          ProtobufCAllocator *allocator, bool view, ProtobufCMessage **ret)
{
        struct budget_allocator b = {
                .base = { .alloc = budget_alloc, .free = budget_free },
                .parent = allocator,
                .budget = AGENT_DECODE_MAX_BYTES,
        };
        ProtobufCMessage *msg;
        int r;

        if (!m || !m->request || (!data && len > 0) || !ret)
                return -EINVAL;
        b.base.allocator_data = &b;

        /* The policy decides on protobuf-c's view, the agent acts on the bytes:
         * refuse whatever the two could read differently (wire_check.h). */
        r = wire_check(m->request, data, len, WIRE_CHECK_MAX_DEPTH);
        if (r == -EPROTO)
                return r;
        if (r < 0)
                return -EBADMSG;

        msg = view ? wire_view_unpack(m->request, &b.base, len, data)
                   : protobuf_c_message_unpack(m->request, &b.base, len, data);
        if (!msg) {
                if (b.over_budget)
                        return -E2BIG;
                if (b.parent_failed)
                        return -ENOMEM;
                return -EBADMSG;
        }

        *ret = msg;
        return 0;
}

int agent_request_decode(const struct agent_method *m, const uint8_t *data, size_t len,
                         ProtobufCAllocator *allocator, ProtobufCMessage **ret)
{
        return request_decode(m, data, len, allocator, false, ret);
}

int agent_request_decode_view(const struct agent_method *m, const uint8_t *data, size_t len,
                              ProtobufCAllocator *arena, ProtobufCMessage **ret)
{
        if (!arena)
                return -EINVAL;
        return request_decode(m, data, len, arena, true, ret);
}

void agent_request_free(ProtobufCMessage *msg, ProtobufCAllocator *allocator)
{
        if (msg)
                protobuf_c_message_free_unpacked(msg, allocator);
}
