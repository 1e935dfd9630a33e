/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON <-> protobuf-c messages, driven by descriptors, for any message type.
 * Keys are the field names as written in the .proto (CreateContainerRequest
 * has "OCI", Spec has "Process", Process has "Args"). Used by
 * `ccgate policy explain REQUEST.json` and by tests that build requests.
 *
 * The mapping, per field type:
 *   string                    JSON string (no NUL inside)
 *   bytes                     base64 string (standard or URL-safe alphabet,
 *                             padding optional on input; standard, padded on output)
 *   int32/64, uint32/64, ...  JSON integer, or a decimal string (needed for
 *                             uint64 values above INT64_MAX, which are output so)
 *   float, double             JSON number, or "NaN", "Infinity", "-Infinity"
 *   bool                      true / false
 *   enum                      value name, or its number (proto3 enums are open)
 *   message                   JSON object
 *   repeated                  JSON array
 *   map<K, V>                 JSON object keyed by K in decimal/true/false/string
 * JSON null for any field means "not set". A key the message does not define is
 * an error, as is setting two members of one oneof.
 */
#pragma once

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/*
 * Build a message of type d from the JSON object j. Returns 0 with *ret set
 * (malloc-allocated: free it with protobuf_c_message_free_unpacked(msg, NULL)),
 * -EINVAL when j does not fit the schema, or -ENOMEM. On failure err (when
 * errlen > 0) holds one line naming the JSON path of the problem, e.g.
 * "OCI.Process.Args[2]: expected string", and *ret is untouched.
 */
int pbjson_to_message(const ProtobufCMessageDescriptor *d, const json_t *j, ProtobufCMessage **ret,
                      char *err, size_t errlen);

/*
 * The JSON form of m, omitting fields at their proto3 default (zero, empty,
 * unset) and oneof members that are not chosen, so that converting back gives
 * an equal message. Returns a new reference, or NULL with errno set: ENOMEM,
 * or EILSEQ when a string field is not valid UTF-8 (the wire does not check).
 */
json_t *pbjson_from_message(const ProtobufCMessage *m);
