/* SPDX-License-Identifier: Apache-2.0 */
/* pbjson, message -> JSON: pbjson_from_message(). */
#include "pbjson.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "pbjson_util.h"


static json_t *from_message(const ProtobufCMessage *m, unsigned depth);

static json_t *integer_json(ProtobufCType t, const void *p)
{
        switch (t) {
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64: {
                uint64_t v = *(const uint64_t *)p;
                char buf[24];

                if (v <= (uint64_t)INT64_MAX)
                        return json_integer((json_int_t)v);
                snprintf(buf, sizeof(buf), "%" PRIu64, v);
                return json_string(buf);
        }
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
                return json_integer((json_int_t)*(const int64_t *)p);
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
                return json_integer((json_int_t)*(const uint32_t *)p);
        default:
                return json_integer((json_int_t)*(const int32_t *)p);
        }
}

static json_t *float_json(double v)
{
        if (isnan(v))
                return json_string("NaN");
        if (isinf(v))
                return json_string(v > 0 ? "Infinity" : "-Infinity");
        return json_real(v);
}

static json_t *value_json(const ProtobufCFieldDescriptor *f, const void *p, unsigned depth)
{
        switch (f->type) {
        case PROTOBUF_C_TYPE_BOOL:
                return json_boolean(*(const protobuf_c_boolean *)p);
        case PROTOBUF_C_TYPE_FLOAT:
                return float_json(*(const float *)p);
        case PROTOBUF_C_TYPE_DOUBLE:
                return float_json(*(const double *)p);
        case PROTOBUF_C_TYPE_ENUM: {
                int v = *(const int *)p;
                const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);

                return ev ? json_string(ev->name) : json_integer(v);
        }
        case PROTOBUF_C_TYPE_STRING: {
                const char *s = *(const char *const *)p;
                json_t *r = json_string(s ? s : "");

                if (!r && s && errno != ENOMEM)
                        errno = EILSEQ;
                return r;
        }
        case PROTOBUF_C_TYPE_BYTES: {
                const ProtobufCBinaryData *b = p;

                return pbjson_b64_encode(b->data, b->len);
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
                const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;

                return sub ? from_message(sub, depth + 1) : json_null();
        }
        default:
                return integer_json(f->type, p);
        }
}

/* Whether a singular field without explicit presence holds its default. */
static bool is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING: {
                const char *s = *(const char *const *)p;

                return !s || !*s;
        }
        case PROTOBUF_C_TYPE_BYTES:
                return ((const ProtobufCBinaryData *)p)->len == 0;
        case PROTOBUF_C_TYPE_MESSAGE:
                return *(const ProtobufCMessage *const *)p == NULL;
        case PROTOBUF_C_TYPE_FLOAT:
                return *(const float *)p == 0 && !signbit(*(const float *)p);
        case PROTOBUF_C_TYPE_DOUBLE:
                return *(const double *)p == 0 && !signbit(*(const double *)p);
        case PROTOBUF_C_TYPE_BOOL:
                return !*(const protobuf_c_boolean *)p;
        default: {
                size_t es = pbjson_element_size(f->type);

                return es == 8 ? *(const uint64_t *)p == 0 : *(const uint32_t *)p == 0;
        }
        }
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
        if (!v)
                return -1;
        return json_object_set_new(obj, key, v);
}

/* A map key as a JSON object key. */
static json_t *map_key_json(const ProtobufCFieldDescriptor *kf, const void *p)
{
        if (kf->type == PROTOBUF_C_TYPE_STRING)
                return value_json(kf, p, 0);
        if (kf->type == PROTOBUF_C_TYPE_BOOL)
                return json_string(*(const protobuf_c_boolean *)p ? "true" : "false");
        {
                _cleanup_(json_decrefp) json_t *n = integer_json(kf->type, p);
                char buf[24];

                if (!n)
                        return NULL;
                if (json_is_string(n))
                        return json_incref(n);
                snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(n));
                return json_string(buf);
        }
}

static json_t *map_json(const ProtobufCFieldDescriptor *f, ProtobufCMessage *const *entries, size_t n,
                        unsigned depth)
{
        const ProtobufCMessageDescriptor *ed = f->descriptor;
        _cleanup_(json_decrefp) json_t *obj = json_object();

        if (!obj)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                const char *eb = (const char *)entries[i];
                _cleanup_(json_decrefp) json_t *k = NULL;

                if (!eb)
                        continue;
                k = map_key_json(&ed->fields[0], eb + ed->fields[0].offset);
                if (!k)
                        return NULL;
                /* Repeated keys: the last one wins, as when the agent decodes the map. */
                if (json_object_setn_new(obj, json_string_value(k), json_string_length(k),
                                         value_json(&ed->fields[1], eb + ed->fields[1].offset,
                                                    depth)) < 0)
                        return NULL;
        }
        return TAKE_PTR(obj);
}

static json_t *repeated_json(const ProtobufCFieldDescriptor *f, const char *arr, size_t n,
                             unsigned depth)
{
        _cleanup_(json_decrefp) json_t *a = json_array();
        size_t es = pbjson_element_size(f->type);

        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (json_array_append_new(a, value_json(f, arr + i * es, depth)) < 0)
                        return NULL;
        return TAKE_PTR(a);
}

static json_t *from_message(const ProtobufCMessage *m, unsigned depth)
{
        const ProtobufCMessageDescriptor *d = m->descriptor;
        const char *base = (const char *)m;
        _cleanup_(json_decrefp) json_t *obj = NULL;

        if (depth >= PBJSON_MAX_DEPTH) {
                errno = ELOOP;
                return NULL;
        }
        obj = json_object();
        if (!obj)
                return NULL;

        for (unsigned i = 0; i < d->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &d->fields[i];
                const void *p = base + f->offset;
                json_t *v;

                if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                        size_t n = *(const size_t *)(base + f->quantifier_offset);
                        const char *arr = *(const char *const *)p;

                        if (n == 0)
                                continue;
                        v = pbjson_is_map_field(d, f) ? map_json(f, (ProtobufCMessage *const *)arr, n, depth)
                                               : repeated_json(f, arr, n, depth);
                } else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                        if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
                                continue;
                        v = value_json(f, p, depth);
                } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
                           f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING) {
                        if (!*(const protobuf_c_boolean *)(base + f->quantifier_offset))
                                continue;
                        v = value_json(f, p, depth);
                } else {
                        if (is_default(f, p))
                                continue;
                        v = value_json(f, p, depth);
                }
                if (set_new(obj, f->name, v) < 0) {
                        if (errno != EILSEQ && errno != ELOOP)
                                errno = ENOMEM;
                        return NULL;
                }
        }
        return TAKE_PTR(obj);
}

json_t *pbjson_from_message(const ProtobufCMessage *m)
{
        if (!m) {
                errno = EINVAL;
                return NULL;
        }
        errno = 0;
        return from_message(m, 0);
}
