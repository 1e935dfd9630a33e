/* SPDX-License-Identifier: Apache-2.0 */
/* pbjson's own helpers, shared by pbjson_parse.c and pbjson_print.c (not for other modules). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* Nesting bound for descriptors this module does not know to be acyclic. */
#define PBJSON_MAX_DEPTH 64

/* Size of one element of a repeated field of type t, as protobuf-c lays it out. */
size_t pbjson_element_size(ProtobufCType t);

/* Whether f is a map<K, V> (a repeated <Field>Entry{key = 1, value = 2} nested in parent). */
bool pbjson_is_map_field(const ProtobufCMessageDescriptor *parent, const ProtobufCFieldDescriptor *f);

bool pbjson_is_unsigned_int(ProtobufCType t);
bool pbjson_is_64bit(ProtobufCType t);

/* Standard, padded base64 of p[0..n) as a JSON string; NULL on ENOMEM. */
json_t *pbjson_b64_encode(const uint8_t *p, size_t n);

/* Decode standard or URL-safe base64, padded or not. Returns 0, -EINVAL, -ENOMEM. */
int pbjson_b64_decode(const char *s, size_t n, ProtobufCBinaryData *ret);
