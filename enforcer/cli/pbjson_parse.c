/* SPDX-License-Identifier: Apache-2.0 */
/* pbjson, JSON -> message: pbjson_to_message() with the path of the first error. */
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

/* json_decrefp() comes with jansson.h. */

static void message_free(ProtobufCMessage *m)
{
        protobuf_c_message_free_unpacked(m, NULL);
}
DEFINE_PTR_CLEANUP(ProtobufCMessage, message_free)


struct ctx {
        char path[512];
        size_t len;
        char *err;
        size_t errlen;
        unsigned depth;
};

/* Append to the path; a path too long for the buffer is cut, never overflowed. */
static size_t path_push(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(struct ctx *c, const char *fmt, ...)
{
        size_t saved = c->len;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vsnprintf(c->path + c->len, sizeof(c->path) - c->len, fmt, ap);
        va_end(ap);
        if (k > 0)
                c->len += (size_t)k < sizeof(c->path) - c->len ? (size_t)k : sizeof(c->path) - 1 - c->len;
        return saved;
}

static void path_pop(struct ctx *c, size_t saved)
{
        c->len = saved;
        c->path[saved] = '\0';
}

static void path_push_field(struct ctx *c, const char *name)
{
        path_push(c, c->len > 0 ? ".%s" : "%s", name);
}

static int fail(struct ctx *c, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, int r, const char *fmt, ...)
{
        char msg[256];
        va_list ap;

        if (c->errlen == 0)
                return r;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(c->err, c->errlen, "%s: %s", c->len > 0 ? c->path : "(top level)", msg);
        return r;
}

static int nomem(struct ctx *c)
{
        return fail(c, -ENOMEM, "out of memory");
}

static const char *json_kind(const json_t *j)
{
        switch (json_typeof(j)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a real number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        default:
                return "null";
        }
}

/* An integer of type t from a JSON integer or a decimal string. */
static int parse_int(struct ctx *c, ProtobufCType t, const json_t *j, void *dst)
{
        bool neg = false;
        uint64_t mag;

        if (json_is_integer(j)) {
                json_int_t v = json_integer_value(j);

                neg = v < 0;
                mag = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        } else if (json_is_string(j)) {
                const char *s = json_string_value(j);
                size_t n = json_string_length(j);
                char *end;

                if (n > 0 && s[0] == '-') {
                        neg = true;
                        s++;
                        n--;
                }
                /* Digits only: strtoull alone would accept spaces, '+' and "-". */
                if (n == 0 || n > 20 || strspn(s, "0123456789") != n)
                        return fail(c, -EINVAL, "expected an integer, got \"%s\"",
                                    json_string_value(j));
                errno = 0;
                mag = strtoull(s, &end, 10);
                if (errno == ERANGE)
                        return fail(c, -EINVAL, "integer out of range");
        } else {
                return fail(c, -EINVAL, "expected an integer, got %s", json_kind(j));
        }

        if (pbjson_is_unsigned_int(t)) {
                uint64_t max = pbjson_is_64bit(t) ? UINT64_MAX : UINT32_MAX;

                if ((neg && mag > 0) || mag > max)
                        return fail(c, -EINVAL, "integer out of range");
                if (pbjson_is_64bit(t))
                        *(uint64_t *)dst = mag;
                else
                        *(uint32_t *)dst = (uint32_t)mag;
                return 0;
        }

        {
                uint64_t max = pbjson_is_64bit(t) ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX;
                int64_t v;

                if (mag > max + (neg ? 1 : 0))
                        return fail(c, -EINVAL, "integer out of range");
                v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
                if (pbjson_is_64bit(t))
                        *(int64_t *)dst = v;
                else
                        *(int32_t *)dst = (int32_t)v;
        }
        return 0;
}

static int parse_float(struct ctx *c, ProtobufCType t, const json_t *j, void *dst)
{
        double v;

        if (json_is_number(j))
                v = json_number_value(j);
        else if (json_is_string(j) && strcmp(json_string_value(j), "NaN") == 0)
                v = NAN;
        else if (json_is_string(j) && strcmp(json_string_value(j), "Infinity") == 0)
                v = INFINITY;
        else if (json_is_string(j) && strcmp(json_string_value(j), "-Infinity") == 0)
                v = -INFINITY;
        else
                return fail(c, -EINVAL, "expected a number, got %s", json_kind(j));

        if (t == PROTOBUF_C_TYPE_FLOAT) {
                if (isfinite(v) && fabs(v) > 3.4028234663852886e38)
                        return fail(c, -EINVAL, "number out of range for float");
                *(float *)dst = (float)v;
        } else {
                *(double *)dst = v;
        }
        return 0;
}

static int parse_enum(struct ctx *c, const ProtobufCEnumDescriptor *e, const json_t *j, int *dst)
{
        if (json_is_string(j)) {
                const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(
                        e, json_string_value(j));

                if (!v || strlen(json_string_value(j)) != json_string_length(j))
                        return fail(c, -EINVAL, "\"%s\" is not a value of %s",
                                    json_string_value(j), e->name);
                *dst = v->value;
                return 0;
        }
        if (json_is_integer(j)) {
                int32_t v;
                int r = parse_int(c, PROTOBUF_C_TYPE_INT32, j, &v);

                if (r < 0)
                        return r;
                *dst = v;
                return 0;
        }
        return fail(c, -EINVAL, "expected an enum name or number, got %s", json_kind(j));
}

static int to_message(struct ctx *c, const ProtobufCMessageDescriptor *d, const json_t *j,
                      ProtobufCMessage **ret);

/* One value of field f (one element, if repeated) into dst. */
static int parse_value(struct ctx *c, const ProtobufCFieldDescriptor *f, const json_t *j, void *dst)
{
        switch (f->type) {
        case PROTOBUF_C_TYPE_BOOL:
                if (!json_is_boolean(j))
                        return fail(c, -EINVAL, "expected true or false, got %s", json_kind(j));
                *(protobuf_c_boolean *)dst = json_is_true(j);
                return 0;
        case PROTOBUF_C_TYPE_FLOAT:
        case PROTOBUF_C_TYPE_DOUBLE:
                return parse_float(c, f->type, j, dst);
        case PROTOBUF_C_TYPE_ENUM:
                return parse_enum(c, f->descriptor, j, dst);
        case PROTOBUF_C_TYPE_STRING: {
                char *s;

                if (!json_is_string(j))
                        return fail(c, -EINVAL, "expected string, got %s", json_kind(j));
                if (strlen(json_string_value(j)) != json_string_length(j))
                        return fail(c, -EINVAL, "string contains a NUL character");
                s = strdup(json_string_value(j));
                if (!s)
                        return nomem(c);
                *(char **)dst = s;
                return 0;
        }
        case PROTOBUF_C_TYPE_BYTES: {
                int r;

                if (!json_is_string(j))
                        return fail(c, -EINVAL, "expected a base64 string, got %s", json_kind(j));
                r = pbjson_b64_decode(json_string_value(j), json_string_length(j), dst);
                if (r == -ENOMEM)
                        return nomem(c);
                if (r < 0)
                        return fail(c, r, "invalid base64");
                return 0;
        }
        case PROTOBUF_C_TYPE_MESSAGE:
                return to_message(c, f->descriptor, j, dst);
        default:
                return parse_int(c, f->type, j, dst);
        }
}

static int parse_repeated(struct ctx *c, const ProtobufCFieldDescriptor *f, const json_t *j,
                          char *base)
{
        size_t n = json_array_size(j), es = pbjson_element_size(f->type);
        char *arr;

        if (!json_is_array(j))
                return fail(c, -EINVAL, "expected an array, got %s", json_kind(j));
        if (n == 0)
                return 0;
        arr = calloc(n, es);
        if (!arr)
                return nomem(c);
        /* Counted in full now: the array is zeroed, and freeing NULL elements is a
         * no-op, so a failure half way through leaves a message that frees cleanly. */
        *(void **)(base + f->offset) = arr;
        *(size_t *)(base + f->quantifier_offset) = n;

        for (size_t i = 0; i < n; i++) {
                const json_t *v = json_array_get(j, i);
                size_t saved = path_push(c, "[%zu]", i);
                int r;

                if (json_is_null(v))
                        r = fail(c, -EINVAL, "null is not allowed in an array");
                else
                        r = parse_value(c, f, v, arr + i * es);
                if (r < 0)
                        return r;
                path_pop(c, saved);
        }
        return 0;
}

/* A map key from its JSON object key. */
static int parse_map_key(struct ctx *c, const ProtobufCFieldDescriptor *kf, const char *key,
                         size_t key_len, void *dst)
{
        json_t *tmp;
        int r;

        if (kf->type == PROTOBUF_C_TYPE_BOOL) {
                if (strcmp(key, "true") != 0 && strcmp(key, "false") != 0)
                        return fail(c, -EINVAL, "map key must be true or false");
                *(protobuf_c_boolean *)dst = strcmp(key, "true") == 0;
                return 0;
        }
        /* Strings and the integer types parse as a JSON string would. */
        tmp = json_stringn(key, key_len);
        if (!tmp)
                return nomem(c);
        r = parse_value(c, kf, tmp, dst);
        json_decref(tmp);
        return r;
}

static int parse_map(struct ctx *c, const ProtobufCFieldDescriptor *f, const json_t *j, char *base)
{
        const ProtobufCMessageDescriptor *ed = f->descriptor;
        size_t n = json_object_size(j), i = 0;
        ProtobufCMessage **arr;

        if (!json_is_object(j))
                return fail(c, -EINVAL, "expected an object (a map), got %s", json_kind(j));
        if (n == 0)
                return 0;
        arr = calloc(n, sizeof(*arr));
        if (!arr)
                return nomem(c);
        *(ProtobufCMessage ***)(base + f->offset) = arr;
        *(size_t *)(base + f->quantifier_offset) = n;

        for (void *it = json_object_iter((json_t *)j); it; it = json_object_iter_next((json_t *)j, it)) {
                const char *key = json_object_iter_key(it);
                size_t key_len = json_object_iter_key_len(it);
                const json_t *v = json_object_iter_value(it);
                size_t saved = path_push(c, "[\"%s\"]", key);
                char *eb;
                int r;

                if (i >= n)
                        break;
                eb = calloc(1, ed->sizeof_message);
                if (!eb)
                        return nomem(c);
                arr[i] = (ProtobufCMessage *)eb;
                protobuf_c_message_init(ed, arr[i]);
                i++;

                r = parse_map_key(c, &ed->fields[0], key, key_len, eb + ed->fields[0].offset);
                if (r < 0)
                        return r;
                if (json_is_null(v))
                        return fail(c, -EINVAL, "null is not allowed as a map value");
                r = parse_value(c, &ed->fields[1], v, eb + ed->fields[1].offset);
                if (r < 0)
                        return r;
                path_pop(c, saved);
        }
        return 0;
}

static int parse_field(struct ctx *c, const ProtobufCMessageDescriptor *d,
                       const ProtobufCFieldDescriptor *f, const json_t *v, char *base)
{
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
                return pbjson_is_map_field(d, f) ? parse_map(c, f, v, base) : parse_repeated(c, f, v, base);

        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                uint32_t *which = (uint32_t *)(base + f->quantifier_offset);

                if (*which != 0)
                        return fail(c, -EINVAL, "another member of the same oneof is already set");
                /* The case goes first: it is what makes free_unpacked look at the slot. */
                *which = f->id;
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
                   f->type != PROTOBUF_C_TYPE_STRING) {
                *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
        }
        return parse_value(c, f, v, base + f->offset);
}

static int to_message(struct ctx *c, const ProtobufCMessageDescriptor *d, const json_t *j,
                      ProtobufCMessage **ret)
{
        _cleanup_(message_freep) ProtobufCMessage *m = NULL;

        if (!json_is_object(j))
                return fail(c, -EINVAL, "expected an object (%s), got %s", d->short_name,
                            json_kind(j));
        if (c->depth >= PBJSON_MAX_DEPTH)
                return fail(c, -EINVAL, "nested too deeply");

        m = calloc(1, d->sizeof_message);
        if (!m)
                return nomem(c);
        protobuf_c_message_init(d, m);

        c->depth++;
        for (void *it = json_object_iter((json_t *)j); it; it = json_object_iter_next((json_t *)j, it)) {
                const char *key = json_object_iter_key(it);
                const json_t *v = json_object_iter_value(it);
                const ProtobufCFieldDescriptor *f = NULL;
                size_t saved = c->len;
                int r;

                path_push_field(c, key);
                if (strlen(key) == json_object_iter_key_len(it))
                        f = protobuf_c_message_descriptor_get_field_by_name(d, key);
                if (!f)
                        return fail(c, -EINVAL, "unknown field of %s", d->name);
                if (!json_is_null(v)) {
                        r = parse_field(c, d, f, v, (char *)m);
                        if (r < 0)
                                return r;
                }
                path_pop(c, saved);
        }
        c->depth--;

        *ret = TAKE_PTR(m);
        return 0;
}

int pbjson_to_message(const ProtobufCMessageDescriptor *d, const json_t *j, ProtobufCMessage **ret,
                      char *err, size_t errlen)
{
        struct ctx c = { .err = err, .errlen = errlen };
        ProtobufCMessage *m = NULL;
        int r;

        if (!d || !j || !ret)
                return -EINVAL;
        if (errlen > 0)
                err[0] = '\0';
        r = to_message(&c, d, j, &m);
        if (r < 0)
                return r;
        *ret = m;
        return 0;
}
