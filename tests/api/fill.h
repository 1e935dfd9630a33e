/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helper: build a message of any type with every field set to a distinct,
 * deterministic value (two elements per repeated field, every nested message
 * present), so that a round trip through encode/decode exercises all of them.
 */
#pragma once

#include <protobuf-c/protobuf-c.h>

/* A fully populated message; free it with protobuf_c_message_free_unpacked(m, NULL). */
ProtobufCMessage *fill_message(const ProtobufCMessageDescriptor *d);

/* Pack m into a malloc'd buffer; *ret_len is its size. */
uint8_t *fill_pack(const ProtobufCMessage *m, size_t *ret_len);
