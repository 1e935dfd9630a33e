/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoding without copying large bytes: protobuf-c copies every bytes field
 * into its allocator, so a 1 MiB WriteStdin would be copied twice (the ttRPC
 * envelope's payload, then the request's data) before the gate has looked at
 * a byte of it. Here a message's large top-level bytes fields point into the
 * buffer they were read from instead; the rest is decoded by protobuf-c from a
 * copy of the buffer without them. The values are the same bytes at the same
 * place the agent will read them from, so nothing can read them differently.
 * Pure: no logging; loops are bounded by the input length.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Bytes fields shorter than this are copied as protobuf-c does. */
#define WIRE_VIEW_MIN 4096u
/* At most this many fields are aliased per message (the agent API has one). */
#define WIRE_VIEW_MAX_FIELDS 4u

/*
 * protobuf_c_message_unpack(d, a, len, buf), except that every top-level,
 * singular, non-oneof bytes field of at least WIRE_VIEW_MIN bytes points into
 * buf. Only for bytes that passed wire_check() and only with an allocator
 * whose free() ignores pointers it did not hand out (the decode arena): buf
 * must outlive the message, and the message must never be freed with
 * malloc's free(). A field that occurs twice, a malformed buffer or more than
 * WIRE_VIEW_MAX_FIELDS large fields fall back to the plain unpack, so the
 * result is always protobuf-c's own reading. NULL when that fails.
 */
ProtobufCMessage *wire_view_unpack(const ProtobufCMessageDescriptor *d, ProtobufCAllocator *a,
                                   size_t len, const uint8_t *buf);
