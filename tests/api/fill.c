/* SPDX-License-Identifier: Apache-2.0 */
#include "fill.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned fill_counter;

static void *xcalloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size);

        assert(p);
        return p;
}

static size_t scalar_size(ProtobufCType t)
{
        switch (t) {
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
        case PROTOBUF_C_TYPE_DOUBLE:
                return 8;
        case PROTOBUF_C_TYPE_STRING:
        case PROTOBUF_C_TYPE_MESSAGE:
                return sizeof(void *);
        case PROTOBUF_C_TYPE_BYTES:
                return sizeof(ProtobufCBinaryData);
        case PROTOBUF_C_TYPE_BOOL:
                return sizeof(protobuf_c_boolean);
        default:
                return 4;
        }
}

/* Write one value of field f at p; every call yields a different value. */
static void fill_value(const ProtobufCFieldDescriptor *f, void *p)
{
        unsigned k = ++fill_counter;
        char buf[64];

        switch (f->type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
                *(int32_t *)p = -(int32_t)k;
                break;
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
                *(uint32_t *)p = k;
                break;
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
                *(int64_t *)p = -(int64_t)k * 1000000007;
                break;
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
                *(uint64_t *)p = (uint64_t)k << 33 | k;
                break;
        case PROTOBUF_C_TYPE_FLOAT:
                *(float *)p = (float)k + 0.5f;
                break;
        case PROTOBUF_C_TYPE_DOUBLE:
                *(double *)p = (double)k + 0.25;
                break;
        case PROTOBUF_C_TYPE_BOOL:
                *(protobuf_c_boolean *)p = 1;
                break;
        case PROTOBUF_C_TYPE_ENUM: {
                const ProtobufCEnumDescriptor *e = f->descriptor;

                *(int *)p = e->values[e->n_values - 1].value;
                break;
        }
        case PROTOBUF_C_TYPE_STRING:
                snprintf(buf, sizeof(buf), "%s-%u", f->name, k);
                *(char **)p = strdup(buf);
                assert(*(char **)p);
                break;
        case PROTOBUF_C_TYPE_BYTES: {
                ProtobufCBinaryData *b = p;

                b->len = 3 + k % 5;
                b->data = xcalloc(b->len, 1);
                for (size_t i = 0; i < b->len; i++)
                        b->data[i] = (uint8_t)(k * 31 + i * 7); /* includes 0x00 and 0xff */
                break;
        }
        case PROTOBUF_C_TYPE_MESSAGE:
                *(ProtobufCMessage **)p = fill_message(f->descriptor);
                break;
        }
}

ProtobufCMessage *fill_message(const ProtobufCMessageDescriptor *d)
{
        ProtobufCMessage *m = xcalloc(1, d->sizeof_message);
        char *base = (char *)m;

        protobuf_c_message_init(d, m);
        for (unsigned i = 0; i < d->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &d->fields[i];

                if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                        size_t es = scalar_size(f->type);
                        char *arr = xcalloc(2, es);

                        fill_value(f, arr);
                        fill_value(f, arr + es);
                        *(size_t *)(base + f->quantifier_offset) = 2;
                        *(void **)(base + f->offset) = arr;
                        continue;
                }
                if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                        /* One member per oneof: the first one met. */
                        if (*(uint32_t *)(base + f->quantifier_offset) != 0)
                                continue;
                        *(uint32_t *)(base + f->quantifier_offset) = f->id;
                } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
                           f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING) {
                        *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
                }
                fill_value(f, base + f->offset);
        }
        return m;
}

uint8_t *fill_pack(const ProtobufCMessage *m, size_t *ret_len)
{
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *buf = xcalloc(n, 1);
        size_t w = protobuf_c_message_pack(m, buf);

        assert(w == n);
        *ret_len = n;
        return buf;
}
