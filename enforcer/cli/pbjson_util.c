/* SPDX-License-Identifier: Apache-2.0 */
/* What both directions of pbjson share: protobuf-c's layout of repeated fields, maps, base64. */
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

/* ------------------------------------------------------------------ helpers */

/* Size of one element of a repeated field of type t, as protobuf-c lays it out. */
size_t pbjson_element_size(ProtobufCType t)
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
bool pbjson_is_map_field(const ProtobufCMessageDescriptor *parent, const ProtobufCFieldDescriptor *f)
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

bool pbjson_is_unsigned_int(ProtobufCType t)
{
        return t == PROTOBUF_C_TYPE_UINT32 || t == PROTOBUF_C_TYPE_FIXED32 ||
               t == PROTOBUF_C_TYPE_UINT64 || t == PROTOBUF_C_TYPE_FIXED64;
}

bool pbjson_is_64bit(ProtobufCType t)
{
        return pbjson_element_size(t) == 8 && t != PROTOBUF_C_TYPE_DOUBLE;
}

/* ------------------------------------------------------------------- base64 */

static const char b64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

json_t *pbjson_b64_encode(const uint8_t *p, size_t n)
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
int pbjson_b64_decode(const char *s, size_t n, ProtobufCBinaryData *ret)
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
