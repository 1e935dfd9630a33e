/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoding an agent request payload into its method's request message, failing
 * closed: the bytes are checked strictly first (wire_check.h), and what they
 * may expand to is bounded. Pure: no sockets, no logging.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "agent_api.h"

/* Hard limits on what a request payload may expand to once decoded. */
#define AGENT_DECODE_MAX_BYTES (32u * 1024u * 1024u) /* heap used by one decoded request */

/*
 * Decode a request payload into the method's request message, failing closed.
 * The bytes are checked strictly first (wire_check.h), so what is decided on is
 * what the agent will read: -EBADMSG when they are not a valid, unambiguous
 * encoding (a NUL or invalid UTF-8 in a string, a wire type that is not the
 * field's, a bool other than 0/1, nesting past WIRE_CHECK_MAX_DEPTH), -EPROTO
 * when the message or any nested message carries fields the schema does not
 * know, -E2BIG when the
 * decoded form would exceed AGENT_DECODE_MAX_BYTES, -ENOMEM when allocator
 * itself fails first (for an arena sized to the bound, that too means the
 * request is too large), -EINVAL for a NULL m, ret, or data with len > 0.
 * On success *ret owns the message; free it with agent_request_free().
 * allocator may be NULL (malloc).
 */
int agent_request_decode(const struct agent_method *m, const uint8_t *data, size_t len,
                         ProtobufCAllocator *allocator, ProtobufCMessage **ret);

/*
 * The same, but the request's large top-level bytes fields (WriteStdin's and
 * CopyFile's data) are not copied: they point into data, which must outlive
 * *ret (wire_view.h). arena must be the decode arena (its free ignores
 * foreign pointers); -EINVAL without one.
 */
int agent_request_decode_view(const struct agent_method *m, const uint8_t *data, size_t len,
                              ProtobufCAllocator *arena, ProtobufCMessage **ret);

/* Free a message from agent_request_decode() with the same allocator; NULL is fine. */
void agent_request_free(ProtobufCMessage *msg, ProtobufCAllocator *allocator);
