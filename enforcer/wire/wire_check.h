/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A strict check of protobuf wire bytes against a protobuf-c descriptor, run
 * before protobuf-c decodes them. ccgate decides on protobuf-c's view while
 * the agent (Rust) acts on the bytes; wherever the two could read the same
 * bytes differently, this check refuses them: strings that are not UTF-8 or
 * carry a NUL (protobuf-c hands out C strings), a wire type other than the
 * field's own (protobuf-c reads a bool from any), varints over 10 bytes or
 * past 64 bits, tags and lengths over 5 bytes (protobuf-c's limit), lengths
 * past their buffer, and a non-repeated field (or a
 * second member of one oneof) that occurs more than once in a message at any
 * depth: protobuf merges two copies of an embedded message and keeps the
 * first copy's scalars unless the second sets them, protobuf-c 1.4 keeps the
 * second copy's, so ExecProcessRequest{process{Terminal: true},
 * process{Cwd}} is terminal to the agent and not to the policy. Refusing
 * duplicates leaves exactly one reading of what is forwarded, with nothing
 * to re-encode. It validates; it does not decode.
 * Pure: no allocation, no logging; loops are bounded by the input length and
 * recursion by max_depth.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Nesting bound for host input: well above the deepest message of the
 * project's schemas (the unit tests check that), small enough for the stack. */
#define WIRE_CHECK_MAX_DEPTH 32u

/* The widest message (fields of one descriptor) the check takes: one bit each
 * on the stack per nesting level, to see a field twice without allocating.
 * The project's widest has 13; the unit tests check every schema fits. */
#define WIRE_CHECK_MAX_FIELDS 128u

/*
 * Check that buf is a valid, unambiguous encoding of a d message. Every tag
 * names a field of d (recursively for message fields, map entries included)
 * with that field's wire type, or the length-delimited packed form for a
 * repeated scalar; a bool is 0 or 1; a string is UTF-8 without NUL; bytes are
 * anything; no field that is not repeated occurs twice in one message, nor
 * two members of one oneof (map entries' key and value included: an entry is
 * a message). Messages may nest max_depth levels below d.
 *
 * Returns 0; -EBADMSG when the bytes are malformed or break one of those
 * rules; -ELOOP when messages nest deeper than max_depth; -EPROTO when they
 * are otherwise well formed but carry a field number d does not know (so a
 * malformed input is reported as such even when it also has unknown fields);
 * -EINVAL for a NULL d, a NULL buf with len > 0, or a message type with more
 * than WIRE_CHECK_MAX_FIELDS fields.
 */
int wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
               unsigned max_depth);

/* Whether s[0..len) is UTF-8 as RFC 3629 defines it (no overlong forms, no
 * surrogates, nothing past U+10FFFF) and has no NUL. */
bool wire_check_utf8(const uint8_t *s, size_t len);

/* Read one varint at *p (advancing it) as the check does: at most 10 bytes,
 * nothing past bit 63. Returns 0 or -EBADMSG. */
int wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *ret);
