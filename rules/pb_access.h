/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading decoded protobuf-c messages through their descriptors. Rules name
 * fields as the .proto does ("OCI", "Process", "Args"); resolving the names
 * once at load and reading by offset at decision time keeps rules/ independent
 * of the generated C identifiers, and lets field rules reach any request.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Deepest field path a rule may name ("OCI.Linux.Resources.Memory.Limit" is 5). */
#define PB_PATH_MAX 8u

/* A resolved dotted field path: each step a field of the previous step's message. */
struct pb_path {
        const ProtobufCFieldDescriptor *f[PB_PATH_MAX];
        size_t n;
};

/* Field name of message d, or NULL. */
const ProtobufCFieldDescriptor *pb_field(const ProtobufCMessageDescriptor *d, const char *name);

/*
 * The same for names with static storage (string literals), memoised by the
 * pointers so that the request path pays no string comparisons. The memo maps
 * immutable descriptors to immutable fields; it is process-wide, for the
 * single-threaded proxy and tools.
 */
const ProtobufCFieldDescriptor *pb_field_static(const ProtobufCMessageDescriptor *d,
                                                const char *name);

/*
 * Resolve "a.b.c" against d. Every step but the last must be a message field.
 * Returns 0, -ENOENT (with *ret_bad_step set to the step index) when a name
 * is unknown or a non-message is traversed, -E2BIG when too deep.
 */
int pb_path_resolve(const ProtobufCMessageDescriptor *d, const char *dotted, struct pb_path *ret,
                    size_t *ret_bad_step);

/* Elements of field f in m: repeated count, or 1/0 for a set/unset singular message,
 * 1 for any singular scalar. */
size_t pb_count(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);

/* Sub-message i of f (NULL when unset). */
const ProtobufCMessage *pb_msg(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                               size_t i);

/* String i of f ("" when unset); f must be a string field. */
const char *pb_str(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i);

/* Integer i of f widened (bool and enum included). */
uint64_t pb_uint(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i);
int64_t pb_int(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i);

/* Bytes i of f. */
ProtobufCBinaryData pb_bytes(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                             size_t i);

/*
 * Scalar i of f as text for matching: strings as they are, integers in
 * decimal, bools as true/false, enums by name. buf holds the formatted value
 * when one is needed. Returns the text (never NULL) and its length in *ret_len.
 */
const char *pb_scalar_text(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i,
                           char *buf, size_t len, size_t *ret_len);

/* Whether f is a string/number/bool/enum (a scalar a matcher can compare). */
bool pb_field_is_text(const ProtobufCFieldDescriptor *f);

/* Map field (repeated XxxEntry{key, value}) lookup: the value of key (its last
 * entry when the key repeats, as protobuf's map semantics say), or NULL. */
const char *pb_map_get(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                       const char *key);

/*
 * By name, for names with static storage (pb_field_static): the field of m's
 * message called name, and its elements. m may be NULL; a field the message
 * does not have reads as unset (0 elements, NULL, "", 0), so callers whose
 * names the compiler checked against the schema need no checks of their own.
 * Inline: the decision code calls them field by field.
 */
static inline const ProtobufCFieldDescriptor *pb_field_of(const ProtobufCMessage *m,
                                                           const char *name)
{
        return m ? pb_field_static(m->descriptor, name) : NULL;
}

static inline size_t pb_count_of(const ProtobufCMessage *m, const char *name)
{
        const ProtobufCFieldDescriptor *f = pb_field_of(m, name);

        return f ? pb_count(m, f) : 0;
}

static inline const ProtobufCMessage *pb_msg_of(const ProtobufCMessage *m, const char *name,
                                                size_t i)
{
        const ProtobufCFieldDescriptor *f = pb_field_of(m, name);

        return f ? pb_msg(m, f, i) : NULL;
}

static inline const char *pb_str_of(const ProtobufCMessage *m, const char *name, size_t i)
{
        const ProtobufCFieldDescriptor *f = pb_field_of(m, name);

        return f ? pb_str(m, f, i) : "";
}

static inline uint64_t pb_uint_of(const ProtobufCMessage *m, const char *name, size_t i)
{
        const ProtobufCFieldDescriptor *f = pb_field_of(m, name);

        return f ? pb_uint(m, f, i) : 0;
}

static inline int64_t pb_int_of(const ProtobufCMessage *m, const char *name, size_t i)
{
        const ProtobufCFieldDescriptor *f = pb_field_of(m, name);

        return f ? pb_int(m, f, i) : 0;
}
