/* SPDX-License-Identifier: Apache-2.0 */
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

/* Nesting bound for descriptors this module does not know to be acyclic. */
#define PBJSON_MAX_DEPTH 64

/* json_decrefp() comes with jansson.h. */

static void message_free(ProtobufCMessage *m)
{
        protobuf_c_message_free_unpacked(m, NULL);
}
DEFINE_PTR_CLEANUP(ProtobufCMessage, message_free)

/* ------------------------------------------------------------------ helpers */

/* Size of one element of a repeated field of type t, as protobuf-c lays it out. */
static size_t element_size(ProtobufCType t)
{
        switch (t) {
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
                return sizeof(uint64_t);
        case PROTOBUF_C_TYPE_DOUBLE:
                return sizeof(double);
        case PROTOBUF_C_TYPE_FLOAT:
                return sizeof(float);
        case PROTOBUF_C_TYPE_BOOL:
                return sizeof(protobuf_c_boolean);
        case PROTOBUF_C_TYPE_ENUM:
                return sizeof(int);
        case PROTOBUF_C_TYPE_STRING:
                return sizeof(char *);
        case PROTOBUF_C_TYPE_BYTES:
                return sizeof(ProtobufCBinaryData);
        case PROTOBUF_C_TYPE_MESSAGE:
                return sizeof(ProtobufCMessage *);
        default:
                return sizeof(uint32_t);
        }
}

/*
 * protobuf-c has no map flag: a map<K, V> field is a repeated field of a nested
 * message "<Field>Entry" (field name in CamelCase) with key = 1 and value = 2,
 * exactly as protoc synthesises it. A hand-written message of that shape is
 * wire-identical to a map, so treating it as one loses nothing.
 */
static bool is_map_field(const ProtobufCMessageDescriptor *parent, const ProtobufCFieldDescriptor *f)
{
        const ProtobufCMessageDescriptor *e = f->descriptor;
        char want[256];
        size_t n = 0;
        bool upper = true;

        if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
                return false;
        if (e->n_fields != 2 || strcmp(e->fields[0].name, "key") != 0 || e->fields[0].id != 1 ||
            strcmp(e->fields[1].name, "value") != 0 || e->fields[1].id != 2)
                return false;

        for (const char *s = f->name; *s; s++) {
                if (*s == '_') {
                        upper = true;
                        continue;
                }
                if (n + 1 >= sizeof(want))
                        return false;
                want[n++] = upper && *s >= 'a' && *s <= 'z' ? (char)(*s - 'a' + 'A') : *s;
                upper = false;
        }
        if (n + sizeof("Entry") > sizeof(want))
                return false;
        memcpy(want + n, "Entry", sizeof("Entry"));

        return strcmp(e->short_name, want) == 0 &&
               strncmp(e->name, parent->name, strlen(parent->name)) == 0 &&
               e->name[strlen(parent->name)] == '.';
}

static bool is_unsigned_int(ProtobufCType t)
{
        return t == PROTOBUF_C_TYPE_UINT32 || t == PROTOBUF_C_TYPE_FIXED32 ||
               t == PROTOBUF_C_TYPE_UINT64 || t == PROTOBUF_C_TYPE_FIXED64;
}

static bool is_64bit(ProtobufCType t)
{
        return element_size(t) == 8 && t != PROTOBUF_C_TYPE_DOUBLE;
}

/* ------------------------------------------------------------------- base64 */

static const char b64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static json_t *b64_encode(const uint8_t *p, size_t n)
{
        _cleanup_free_ char *out = NULL;
        size_t o = 0;

        if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
                return NULL;
        out = malloc((n + 2) / 3 * 4 + 1);
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)p[i] << 16;

                if (i + 1 < n)
                        v |= (uint32_t)p[i + 1] << 8;
                if (i + 2 < n)
                        v |= p[i + 2];
                out[o++] = b64_alphabet[v >> 18 & 63];
                out[o++] = b64_alphabet[v >> 12 & 63];
                out[o++] = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
                out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
        }
        return json_stringn(out, o);
}

static int b64_value(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+' || c == '-')
                return 62;
        if (c == '/' || c == '_')
                return 63;
        return -1;
}

/* Decode standard or URL-safe base64, padded or not. Returns 0, -EINVAL, -ENOMEM. */
static int b64_decode(const char *s, size_t n, ProtobufCBinaryData *ret)
{
        _cleanup_free_ uint8_t *out = NULL;
        size_t o = 0, pad = 0;
        uint32_t acc = 0;
        unsigned bits = 0;

        /* Padding only at the end, only to complete a 4-character group. */
        while (pad < 2 && n > 0 && s[n - 1] == '=') {
                n--;
                pad++;
        }
        if (pad > 0 && (n + pad) % 4 != 0)
                return -EINVAL;
        if (n % 4 == 1)
                return -EINVAL;

        out = malloc(n / 4 * 3 + 3);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                int v = b64_value(s[i]);

                if (v < 0)
                        return -EINVAL;
                acc = acc << 6 | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (uint8_t)(acc >> bits);
                }
        }
        /* Leftover bits must be zero, so that each byte string has one spelling. */
        if (acc & ((1u << bits) - 1))
                return -EINVAL;

        ret->len = o;
        ret->data = o > 0 ? TAKE_PTR(out) : NULL;
        return 0;
}

/* ---------------------------------------------------------- JSON -> message */

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

        if (is_unsigned_int(t)) {
                uint64_t max = is_64bit(t) ? UINT64_MAX : UINT32_MAX;

                if ((neg && mag > 0) || mag > max)
                        return fail(c, -EINVAL, "integer out of range");
                if (is_64bit(t))
                        *(uint64_t *)dst = mag;
                else
                        *(uint32_t *)dst = (uint32_t)mag;
                return 0;
        }

        {
                uint64_t max = is_64bit(t) ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX;
                int64_t v;

                if (mag > max + (neg ? 1 : 0))
                        return fail(c, -EINVAL, "integer out of range");
                v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
                if (is_64bit(t))
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
                r = b64_decode(json_string_value(j), json_string_length(j), dst);
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
        size_t n = json_array_size(j), es = element_size(f->type);
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
                return is_map_field(d, f) ? parse_map(c, f, v, base) : parse_repeated(c, f, v, base);

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

/* ---------------------------------------------------------- message -> JSON */

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

                return b64_encode(b->data, b->len);
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
                size_t es = element_size(f->type);

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
        size_t es = element_size(f->type);

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
                        v = is_map_field(d, f) ? map_json(f, (ProtobufCMessage *const *)arr, n, depth)
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
