/* SPDX-License-Identifier: Apache-2.0 */
/* Decoding with large top-level bytes fields left in place (wire_view.h). */
#include "wire_view.h"

#include <stdbool.h>
#include <string.h>

#include "wire_check.h"

struct span {
        const ProtobufCFieldDescriptor *field;
        size_t start; /* the tag's first byte */
        size_t value; /* the value's first byte */
        size_t end;   /* one past the value */
};

/* One varint at buf[*pos], as the strict check reads it (wire_varint). */
static bool varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *ret)
{
        const uint8_t *p = buf + *pos;

        if (wire_varint(&p, buf + len, ret) < 0)
                return false;
        *pos = (size_t)(p - buf);
        return true;
}

static bool aliasable(const ProtobufCFieldDescriptor *f)
{
        return f && f->type == PROTOBUF_C_TYPE_BYTES && f->label != PROTOBUF_C_LABEL_REPEATED &&
               !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF);
}

/* The large bytes fields of buf's top level, in order; -1 to fall back. */
static int find_spans(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
                      struct span spans[WIRE_VIEW_MAX_FIELDS])
{
        size_t pos = 0;
        int n = 0;

        while (pos < len) {
                const ProtobufCFieldDescriptor *f;
                size_t start = pos;
                uint64_t tag, l;

                if (!varint(buf, len, &pos, &tag) || tag >> 3 == 0 || tag >> 3 > UINT32_MAX)
                        return -1;
                switch (tag & 7) {
                case 0:
                        if (!varint(buf, len, &pos, &l))
                                return -1;
                        continue;
                case 1:
                        if (len - pos < 8)
                                return -1;
                        pos += 8;
                        continue;
                case 5:
                        if (len - pos < 4)
                                return -1;
                        pos += 4;
                        continue;
                case 2:
                        break;
                default: /* groups: protobuf-c's own reading decides */
                        return -1;
                }
                if (!varint(buf, len, &pos, &l) || l > len - pos)
                        return -1;
                f = protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
                for (int i = 0; i < n; i++)
                        if (spans[i].field == f)
                                return -1; /* twice: leave last-one-wins to protobuf-c */
                if (aliasable(f) && l >= WIRE_VIEW_MIN) {
                        if (n == (int)WIRE_VIEW_MAX_FIELDS)
                                return -1;
                        spans[n++] = (struct span){ f, start, pos, pos + (size_t)l };
                }
                pos += (size_t)l;
        }
        return n;
}

ProtobufCMessage *wire_view_unpack(const ProtobufCMessageDescriptor *d, ProtobufCAllocator *a,
                                   size_t len, const uint8_t *buf)
{
        struct span spans[WIRE_VIEW_MAX_FIELDS];
        ProtobufCMessage *msg;
        size_t rest = len, at = 0, from = 0;
        uint8_t *scratch;
        int n;

        if (!d || !a || (!buf && len > 0))
                return NULL;
        n = find_spans(d, buf, len, spans);
        if (n <= 0)
                return protobuf_c_message_unpack(d, a, len, buf);

        for (int i = 0; i < n; i++)
                rest -= spans[i].end - spans[i].start;
        scratch = a->alloc(a->allocator_data, rest ? rest : 1);
        if (!scratch)
                return NULL;
        for (int i = 0; i < n; i++) {
                memcpy(scratch + at, buf + from, spans[i].start - from);
                at += spans[i].start - from;
                from = spans[i].end;
        }
        memcpy(scratch + at, buf + from, len - from);

        msg = protobuf_c_message_unpack(d, a, rest, scratch);
        if (!msg)
                return NULL;
        for (int i = 0; i < n; i++) {
                const ProtobufCFieldDescriptor *f = spans[i].field;
                ProtobufCBinaryData *bd = (ProtobufCBinaryData *)((char *)msg + f->offset);

                /* Read-only in fact: nothing on the request path writes a decoded value. */
                bd->data = (uint8_t *)(uintptr_t)(buf + spans[i].value);
                bd->len = spans[i].end - spans[i].value;
                if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
                        *(protobuf_c_boolean *)((char *)msg + f->quantifier_offset) = 1;
        }
        return msg;
}
