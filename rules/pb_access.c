/* SPDX-License-Identifier: Apache-2.0 */
/* Reading decoded protobuf-c messages by field descriptors. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pb_access.h"

static const void *field_ptr(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
        return (const char *)m + f->offset;
}

const ProtobufCFieldDescriptor *pb_field(const ProtobufCMessageDescriptor *d, const char *name)
{
        return d ? protobuf_c_message_descriptor_get_field_by_name(d, name) : NULL;
}

#define PB_MEMO_SLOTS 1024u

struct pb_memo {
        const ProtobufCMessageDescriptor *d;
        const char *name;
        const ProtobufCFieldDescriptor *f;
};

const ProtobufCFieldDescriptor *pb_field_static(const ProtobufCMessageDescriptor *d,
                                                const char *name)
{
        static struct pb_memo memo[PB_MEMO_SLOTS];
        uintptr_t h = ((uintptr_t)d >> 4) * 31u + ((uintptr_t)name >> 2) * 17u;
        struct pb_memo *e = &memo[(h ^ (h >> 11)) % PB_MEMO_SLOTS];

        if (!d)
                return NULL;
        if (e->d == d && e->name == name)
                return e->f;
        /* A miss (first use, or a collision) costs one binary search. */
        *e = (struct pb_memo){ .d = d, .name = name, .f = pb_field(d, name) };
        return e->f;
}

int pb_path_resolve(const ProtobufCMessageDescriptor *d, const char *dotted, struct pb_path *ret,
                    size_t *ret_bad_step)
{
        struct pb_path p = { .n = 0 };
        const char *s = dotted;

        for (;;) {
                char name[128];
                const char *dot = strchr(s, '.');
                size_t len = dot ? (size_t)(dot - s) : strlen(s);
                const ProtobufCFieldDescriptor *f;

                if (p.n >= PB_PATH_MAX)
                        return -E2BIG;
                if (len == 0 || len >= sizeof(name) || !d) {
                        *ret_bad_step = p.n;
                        return -ENOENT;
                }
                memcpy(name, s, len);
                name[len] = '\0';
                f = pb_field(d, name);
                if (!f) {
                        *ret_bad_step = p.n;
                        return -ENOENT;
                }
                p.f[p.n++] = f;
                if (!dot)
                        break;
                if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
                        *ret_bad_step = p.n;
                        return -ENOENT;
                }
                d = f->descriptor;
                s = dot + 1;
        }
        *ret = p;
        return 0;
}

size_t pb_count(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
        if (!m)
                return 0;
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
                return *(const size_t *)((const char *)m + f->quantifier_offset);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                return *(ProtobufCMessage *const *)field_ptr(m, f) ? 1 : 0;
        return 1;
}

/* Address of element i: repeated fields hold a pointer to an array. */
static const void *elem_ptr(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i,
                            size_t size)
{
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
                return *(const char *const *)field_ptr(m, f) + i * size;
        return field_ptr(m, f);
}

const ProtobufCMessage *pb_msg(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                               size_t i)
{
        if (!m || f->type != PROTOBUF_C_TYPE_MESSAGE || i >= pb_count(m, f))
                return NULL;
        return *(ProtobufCMessage *const *)elem_ptr(m, f, i, sizeof(ProtobufCMessage *));
}

const char *pb_str(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i)
{
        const char *s;

        if (!m || f->type != PROTOBUF_C_TYPE_STRING || i >= pb_count(m, f))
                return "";
        s = *(const char *const *)elem_ptr(m, f, i, sizeof(char *));
        return s ? s : "";
}

static size_t scalar_size(const ProtobufCFieldDescriptor *f)
{
        switch (f->type) {
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
        case PROTOBUF_C_TYPE_DOUBLE:
                return 8;
        case PROTOBUF_C_TYPE_BOOL:
                return sizeof(protobuf_c_boolean);
        default:
                return 4;
        }
}

uint64_t pb_uint(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i)
{
        const void *p;

        if (!m || i >= pb_count(m, f))
                return 0;
        p = elem_ptr(m, f, i, scalar_size(f));
        switch (f->type) {
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
                return *(const uint64_t *)p;
        case PROTOBUF_C_TYPE_BOOL:
                return *(const protobuf_c_boolean *)p ? 1 : 0;
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_ENUM:
                return (uint64_t)(int64_t) * (const int32_t *)p;
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
                return *(const uint32_t *)p;
        default:
                return 0;
        }
}

int64_t pb_int(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i)
{
        return (int64_t)pb_uint(m, f, i);
}

ProtobufCBinaryData pb_bytes(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                             size_t i)
{
        if (!m || f->type != PROTOBUF_C_TYPE_BYTES || i >= pb_count(m, f))
                return (ProtobufCBinaryData){ 0 };
        return *(const ProtobufCBinaryData *)elem_ptr(m, f, i, sizeof(ProtobufCBinaryData));
}

bool pb_field_is_text(const ProtobufCFieldDescriptor *f)
{
        switch (f->type) {
        case PROTOBUF_C_TYPE_MESSAGE:
        case PROTOBUF_C_TYPE_BYTES:
        case PROTOBUF_C_TYPE_FLOAT:
        case PROTOBUF_C_TYPE_DOUBLE:
                return false;
        default:
                return true;
        }
}

static bool is_signed(const ProtobufCFieldDescriptor *f)
{
        switch (f->type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
                return true;
        default:
                return false;
        }
}

const char *pb_scalar_text(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i,
                           char *buf, size_t len, size_t *ret_len)
{
        const char *s = buf;
        int k = 0;

        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING:
                s = pb_str(m, f, i);
                *ret_len = strlen(s);
                return s;
        case PROTOBUF_C_TYPE_BOOL:
                s = pb_uint(m, f, i) ? "true" : "false";
                *ret_len = strlen(s);
                return s;
        case PROTOBUF_C_TYPE_ENUM: {
                const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
                        f->descriptor, (int)pb_int(m, f, i));
                if (v) {
                        *ret_len = strlen(v->name);
                        return v->name;
                }
                k = snprintf(buf, len, "%" PRId64, pb_int(m, f, i));
                break;
        }
        default:
                if (is_signed(f))
                        k = snprintf(buf, len, "%" PRId64, pb_int(m, f, i));
                else
                        k = snprintf(buf, len, "%" PRIu64, pb_uint(m, f, i));
                break;
        }
        *ret_len = k < 0 ? 0 : (size_t)k < len ? (size_t)k : len - 1;
        return s;
}

const char *pb_map_get(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                       const char *key)
{
        size_t n = pb_count(m, f);

        /* Backwards: a key sent twice means its last value, to every protobuf
         * decoder (the agent's included), so that is the one decided on. */
        for (size_t i = n; i-- > 0;) {
                const ProtobufCMessage *e = pb_msg(m, f, i);
                const ProtobufCFieldDescriptor *kf, *vf;

                if (!e)
                        continue;
                kf = pb_field_static(e->descriptor, "key");
                vf = pb_field_static(e->descriptor, "value");
                if (kf && vf && strcmp(pb_str(e, kf, 0), key) == 0)
                        return pb_str(e, vf, 0);
        }
        return NULL;
}
