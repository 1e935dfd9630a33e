/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wire_check: a table of hand-encoded byte strings with their exact results
 * (tests/api/wire_test.proto gives one field per wire type and rule), the
 * depth bound, the agent schemas and protobuf-c's own encodings accepted, and
 * the decode entry points (envelope and agent requests) refusing what the
 * wire-regress integration tests send.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "agent_api.h"
#include "agent_request.h"
#include "cleanup.h"
#include "fill.h"
#include "ttrpc_msg.h"
#include "wire_check.h"
#include "wire_test.pb-c.h"

#define S (&wiretest__scalars__descriptor)
#define R (&wiretest__repeated__descriptor)
#define C (&wiretest__choice__descriptor)
#define B(lit) (const uint8_t *)(lit), sizeof(lit) - 1

struct wire_case {
        const char *what;
        const ProtobufCMessageDescriptor *d;
        const uint8_t *bytes;
        size_t len;
        int expect;
};

/*
 * Tags (field << 3 | wire type), Scalars: 08 i32, 10 u64, 18 s32, 20 b, 28 e,
 * 35 fx32, 39 sfx64, 45 f, 49 d, 52 s, 5a by, 62 sub, 6a m, 72 rep.
 * Repeated: 08/0a ri64, 10/12 rb, 1d/1a rfx32, 21/22 rd, 2a rs, 32 rby,
 * 3a rsub, 40/42 re, 48/4a rs64.
 * Choice: oneof pick {08 a, 12 b, 1a c}, 20 other, oneof second {28 x}.
 */
static const struct wire_case cases[] = {
        /* ------------------------------------------------------------ valid */
        { "empty message", S, B(""), 0 },
        { "int32", S, B("\x08\x96\x01"), 0 },
        { "int32 negative, 10 bytes", S, B("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), 0 },
        { "uint64 max", S, B("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), 0 },
        { "varint padded within 10 bytes", S, B("\x10\x81\x80\x80\x00"), 0 },
        { "sint32", S, B("\x18\x03"), 0 },
        { "bool false", S, B("\x20\x00"), 0 },
        { "bool true", S, B("\x20\x01"), 0 },
        { "bool true, padded", S, B("\x20\x81\x00"), 0 },
        { "enum known", S, B("\x28\x01"), 0 },
        { "enum out of range (open enum)", S, B("\x28\x7f"), 0 },
        { "enum negative", S, B("\x28\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), 0 },
        { "fixed32", S, B("\x35\x01\x02\x03\x04"), 0 },
        { "sfixed64", S, B("\x39\x01\x02\x03\x04\x05\x06\x07\x08"), 0 },
        { "float", S, B("\x45\x00\x00\x80\x3f"), 0 },
        { "double", S, B("\x49\x00\x00\x00\x00\x00\x00\xf0\x3f"), 0 },
        { "string empty", S, B("\x52\x00"), 0 },
        { "string ASCII", S, B("\x52\x05hello"), 0 },
        { "string ASCII, long", S, B("\x52\x1a" "abcdefghijklmnopqrstuvwxyz"), 0 },
        { "string 2-byte", S, B("\x52\x02\xc3\xa9"), 0 },
        { "string 3-byte", S, B("\x52\x03\xe2\x82\xac"), 0 },
        { "string 4-byte", S, B("\x52\x04\xf0\x9f\x98\x80"), 0 },
        { "string U+0080, U+07FF", S, B("\x52\x04\xc2\x80\xdf\xbf"), 0 },
        { "string U+0800, U+D7FF", S, B("\x52\x06\xe0\xa0\x80\xed\x9f\xbf"), 0 },
        { "string U+E000, U+FFFF", S, B("\x52\x06\xee\x80\x80\xef\xbf\xbf"), 0 },
        { "string U+10000, U+10FFFF", S, B("\x52\x08\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"), 0 },
        { "string mixed, long", S, B("\x52\x14" "abcdefgh\xc3\xa9" "ijklmnop\xe2\x82"), -EBADMSG },
        { "string mixed, long, whole", S, B("\x52\x15" "abcdefgh\xc3\xa9" "ijklmnop\xe2\x82\xac"), 0 },
        { "bytes with NUL and 0xff", S, B("\x5a\x04\x00\xff\xfe\x00"), 0 },
        { "nested message", S, B("\x62\x02\x08\x01"), 0 },
        { "nested message empty", S, B("\x62\x00"), 0 },
        { "map entry", S, B("\x6a\x08\x0a\x01k\x12\x03val"), 0 },
        { "map entry, empty", S, B("\x6a\x00"), 0 },
        { "oneof member", C, B("\x12\x01" "b"), 0 },
        { "oneof member, other field, other oneof", C, B("\x08\x01\x20\x02\x28\x01"), 0 },
        { "oneof message member", C, B("\x1a\x02\x08\x01"), 0 },
        { "the same field in sibling messages", S,
          B("\x62\x02\x08\x01\x72\x04\x3a\x02\x08\x01"), 0 },
        { "the same field in two repeated elements", R, B("\x3a\x02\x08\x01\x3a\x02\x08\x01"), 0 },
        { "the same field at two depths", S, B("\x08\x01\x62\x02\x08\x01"), 0 },
        { "two map entries, same key (a map's last wins everywhere)", S,
          B("\x6a\x03\x0a\x01k\x6a\x03\x0a\x01k"), 0 },
        { "repeated int64 unpacked", R, B("\x08\x01\x08\x02"), 0 },
        { "repeated int64 packed", R, B("\x0a\x03\x01\x96\x01"), 0 },
        { "repeated int64 packed, empty", R, B("\x0a\x00"), 0 },
        { "repeated int64 packed and unpacked", R, B("\x0a\x01\x05\x08\x06\x0a\x01\x07"), 0 },
        { "repeated bool unpacked", R, B("\x10\x01\x10\x00"), 0 },
        { "repeated bool packed", R, B("\x12\x03\x00\x01\x01"), 0 },
        { "repeated fixed32 unpacked", R, B("\x1d\x01\x02\x03\x04"), 0 },
        { "repeated fixed32 packed", R, B("\x1a\x08\x01\x02\x03\x04\x05\x06\x07\x08"), 0 },
        { "repeated double packed", R, B("\x22\x08\x00\x00\x00\x00\x00\x00\xf0\x3f"), 0 },
        { "repeated double unpacked", R, B("\x21\x00\x00\x00\x00\x00\x00\xf0\x3f"), 0 },
        { "repeated enum packed", R, B("\x42\x02\x00\x05"), 0 },
        { "repeated enum unpacked", R, B("\x40\x05"), 0 },
        { "repeated sint64 packed", R, B("\x4a\x02\x01\x02"), 0 },
        { "repeated string", R, B("\x2a\x01" "a" "\x2a\x00"), 0 },
        { "repeated bytes with NUL", R, B("\x32\x01\x00"), 0 },
        { "repeated message", R, B("\x3a\x02\x20\x01\x3a\x00"), 0 },

        /* ------------------------------- a non-repeated field more than once */
        { "duplicate int32", S, B("\x08\x01\x08\x02"), -EBADMSG },
        { "duplicate int32, same value", S, B("\x08\x01\x08\x01"), -EBADMSG },
        { "duplicate int32, apart", S, B("\x08\x01\x52\x00\x08\x01"), -EBADMSG },
        { "duplicate uint64", S, B("\x10\x01\x10\x02"), -EBADMSG },
        { "duplicate bool", S, B("\x20\x01\x20\x00"), -EBADMSG },
        { "duplicate enum", S, B("\x28\x01\x28\x00"), -EBADMSG },
        { "duplicate fixed32", S, B("\x35\x01\x02\x03\x04\x35\x01\x02\x03\x04"), -EBADMSG },
        { "duplicate double", S,
          B("\x49\x00\x00\x00\x00\x00\x00\xf0\x3f\x49\x00\x00\x00\x00\x00\x00\xf0\x3f"),
          -EBADMSG },
        { "duplicate string", S, B("\x52\x01" "a" "\x52\x01" "b"), -EBADMSG },
        { "duplicate string, empty", S, B("\x52\x00\x52\x00"), -EBADMSG },
        { "duplicate bytes", S, B("\x5a\x01\x00\x5a\x00"), -EBADMSG },
        { "duplicate message (merged by protobuf)", S, B("\x62\x02\x08\x01\x62\x02\x10\x01"),
          -EBADMSG },
        { "duplicate message, both empty", S, B("\x62\x00\x62\x00"), -EBADMSG },
        { "bool, then a second sub setting another field", S,
          B("\x62\x02\x20\x01\x62\x02\x52\x00"), -EBADMSG },
        { "duplicate scalar nested", S, B("\x62\x04\x20\x01\x20\x00"), -EBADMSG },
        { "duplicate scalar two levels down", S, B("\x62\x06\x62\x04\x08\x01\x08\x02"), -EBADMSG },
        { "duplicate in a repeated element", R, B("\x3a\x04\x20\x01\x20\x00"), -EBADMSG },
        { "duplicate message in a repeated element", R, B("\x3a\x04\x62\x00\x62\x00"), -EBADMSG },
        { "map entry, key twice", S, B("\x6a\x06\x0a\x01k\x0a\x01j"), -EBADMSG },
        { "map entry, value twice", S, B("\x6a\x06\x12\x01v\x12\x01w"), -EBADMSG },
        { "oneof, one member twice", C, B("\x08\x01\x08\x02"), -EBADMSG },
        { "oneof, two members", C, B("\x08\x01\x12\x00"), -EBADMSG },
        { "oneof, two members, the other order", C, B("\x12\x00\x08\x01"), -EBADMSG },
        { "oneof, scalar then message member", C, B("\x08\x01\x20\x05\x1a\x00"), -EBADMSG },
        { "oneof message member twice", C, B("\x1a\x02\x08\x01\x1a\x02\x10\x01"), -EBADMSG },
        { "single-member oneof twice", C, B("\x28\x01\x28\x01"), -EBADMSG },
        { "duplicate, then malformed", S, B("\x08\x01\x08\x01\x52\x01\xff"), -EBADMSG },
        { "duplicate after an unknown field", S, B("\x78\x01\x08\x01\x08\x01"), -EBADMSG },

        /* ----------------------------------------------- wire type mismatch */
        { "bool as length-delimited", S, B("\x22\x01\x01"), -EBADMSG },
        { "bool as fixed32", S, B("\x25\x01\x00\x00\x00"), -EBADMSG },
        { "bool as fixed64", S, B("\x21\x01\x00\x00\x00\x00\x00\x00\x00"), -EBADMSG },
        { "int32 as length-delimited", S, B("\x0a\x01\x01"), -EBADMSG },
        { "int32 as fixed64", S, B("\x09\x01\x00\x00\x00\x00\x00\x00\x00"), -EBADMSG },
        { "enum as length-delimited", S, B("\x2a\x01\x01"), -EBADMSG },
        { "fixed32 as varint", S, B("\x30\x01"), -EBADMSG },
        { "sfixed64 as fixed32", S, B("\x3d\x01\x00\x00\x00"), -EBADMSG },
        { "float as fixed64", S, B("\x41\x00\x00\x00\x00\x00\x00\xf0\x3f"), -EBADMSG },
        { "double as fixed32", S, B("\x4d\x00\x00\x80\x3f"), -EBADMSG },
        { "string as varint", S, B("\x50\x01"), -EBADMSG },
        { "string as fixed32", S, B("\x55\x61\x62\x63\x64"), -EBADMSG },
        { "bytes as fixed64", S, B("\x59\x01\x02\x03\x04\x05\x06\x07\x08"), -EBADMSG },
        { "message as varint", S, B("\x60\x01"), -EBADMSG },
        { "message as fixed32", S, B("\x65\x01\x02\x03\x04"), -EBADMSG },
        { "map as varint", S, B("\x68\x01"), -EBADMSG },
        { "repeated string as varint", R, B("\x28\x01"), -EBADMSG },
        { "repeated message as varint", R, B("\x38\x01"), -EBADMSG },
        { "repeated fixed32 as varint", R, B("\x18\x01"), -EBADMSG },
        { "start group (3)", S, B("\x0b\x0c"), -EBADMSG },
        { "end group (4)", S, B("\x0c"), -EBADMSG },
        { "wire type 6", S, B("\x0e\x00"), -EBADMSG },
        { "wire type 7", S, B("\x0f\x00"), -EBADMSG },

        /* ----------------------------------------------------------- values */
        { "bool 2", S, B("\x20\x02"), -EBADMSG },
        { "bool 2^63", S, B("\x20\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"), -EBADMSG },
        { "packed bool 2", R, B("\x12\x02\x01\x02"), -EBADMSG },
        { "packed bool padded", R, B("\x12\x02\x81\x00"), -EBADMSG },
        { "packed fixed32, 3 bytes", R, B("\x1a\x03\x01\x02\x03"), -EBADMSG },
        { "packed double, 7 bytes", R, B("\x22\x07\x00\x00\x00\x00\x00\xf0\x3f"), -EBADMSG },
        { "packed varint truncated", R, B("\x0a\x02\x01\x80"), -EBADMSG },
        { "packed varint 11 bytes", R,
          B("\x0a\x0b\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), -EBADMSG },

        /* ---------------------------------------------------------- varints */
        { "varint 11 bytes", S, B("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), -EBADMSG },
        { "varint 11 bytes of padding", S,
          B("\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"), -EBADMSG },
        { "varint past 64 bits", S, B("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"), -EBADMSG },
        { "varint truncated", S, B("\x08\xff\xff"), -EBADMSG },
        { "tag 11 bytes", S, B("\x88\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00\x01"), -EBADMSG },
        { "tag truncated", S, B("\x88"), -EBADMSG },
        { "tag padded to 5 bytes", S, B("\x88\x80\x80\x80\x00\x01"), 0 },
        { "tag padded to 6 bytes (protobuf-c refuses it)", S, B("\x88\x80\x80\x80\x80\x00\x01"),
          -EBADMSG },
        { "length padded to 5 bytes", S, B("\x52\x80\x80\x80\x80\x00"), 0 },
        { "length padded to 6 bytes (protobuf-c refuses it)", S,
          B("\x52\x80\x80\x80\x80\x80\x00"), -EBADMSG },
        { "length padded to 10 bytes", S, B("\x52\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"),
          -EBADMSG },
        { "packed length padded to 6 bytes", S, B("\x72\x07\x0a\x80\x80\x80\x80\x80\x00"),
          -EBADMSG },
        { "unknown field's length padded to 6 bytes", S, B("\x7a\x80\x80\x80\x80\x80\x00"),
          -EBADMSG },
        { "tag without value", S, B("\x08"), -EBADMSG },
        { "field number 0", S, B("\x00\x00"), -EBADMSG },
        { "field number 2^29", S, B("\x80\x80\x80\x80\x10\x00"), -EBADMSG },

        /* ---------------------------------------------------------- lengths */
        { "length past end", S, B("\x52\x05" "ab"), -EBADMSG },
        { "length missing", S, B("\x52"), -EBADMSG },
        { "length past its parent", S, B("\x62\x02\x52\x05" "abcde"), -EBADMSG },
        { "length 2^32 (0 in 32 bits)", S, B("\x52\x80\x80\x80\x80\x10"), -EBADMSG },
        { "length 2^32-2 (wraps a 32-bit sum)", S, B("\x52\xfe\xff\xff\xff\x0f" "abc"), -EBADMSG },
        { "length 2^63", S, B("\x52\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01" "a"), -EBADMSG },
        { "length 2^64-1", S, B("\x5a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01" "a"), -EBADMSG },
        { "fixed32 truncated", S, B("\x35\x01\x02"), -EBADMSG },
        { "fixed64 truncated", S, B("\x39\x01"), -EBADMSG },
        { "nested message truncated", S, B("\x62\x03\x08\x01"), -EBADMSG },
        { "nested garbage", S, B("\x62\x02\xff\xff"), -EBADMSG },

        /* ---------------------------------------------------------- strings */
        { "NUL in string", S, B("\x52\x03" "a\0b"), -EBADMSG },
        { "NUL ending a string", S, B("\x52\x02" "a\0"), -EBADMSG },
        { "NUL alone", S, B("\x52\x01\x00"), -EBADMSG },
        { "NUL in a long string", S, B("\x52\x11" "abcdefgh\0ijklmnop"), -EBADMSG },
        { "NUL in a nested string", S, B("\x62\x05\x52\x03" "e1\0"), -EBADMSG },
        { "NUL in a map key", S, B("\x6a\x05\x0a\x03k\0x"), -EBADMSG },
        { "NUL in a map value", S, B("\x6a\x05\x12\x03v\0x"), -EBADMSG },
        { "NUL in a repeated string", R, B("\x2a\x02" "a\0"), -EBADMSG },
        { "overlong NUL (C0 80)", S, B("\x52\x02\xc0\x80"), -EBADMSG },
        { "overlong 2-byte (C1 BF)", S, B("\x52\x02\xc1\xbf"), -EBADMSG },
        { "overlong 3-byte (E0 80 80)", S, B("\x52\x03\xe0\x80\x80"), -EBADMSG },
        { "overlong 3-byte (E0 9F BF)", S, B("\x52\x03\xe0\x9f\xbf"), -EBADMSG },
        { "overlong 4-byte (F0 80 80 80)", S, B("\x52\x04\xf0\x80\x80\x80"), -EBADMSG },
        { "overlong 4-byte (F0 8F BF BF)", S, B("\x52\x04\xf0\x8f\xbf\xbf"), -EBADMSG },
        { "surrogate U+D800", S, B("\x52\x03\xed\xa0\x80"), -EBADMSG },
        { "surrogate U+DFFF", S, B("\x52\x03\xed\xbf\xbf"), -EBADMSG },
        { "surrogate pair (CESU-8)", S, B("\x52\x06\xed\xa0\xbd\xed\xb8\x80"), -EBADMSG },
        { "U+110000 (F4 90)", S, B("\x52\x04\xf4\x90\x80\x80"), -EBADMSG },
        { "lead F5", S, B("\x52\x04\xf5\x80\x80\x80"), -EBADMSG },
        { "lead F8 (5-byte form)", S, B("\x52\x05\xf8\x88\x80\x80\x80"), -EBADMSG },
        { "byte FE", S, B("\x52\x02\xff\xfe"), -EBADMSG },
        { "byte FF", S, B("\x52\x01\xff"), -EBADMSG },
        { "truncated 2-byte at end", S, B("\x52\x02" "a\xc3"), -EBADMSG },
        { "truncated 3-byte at end", S, B("\x52\x02\xe2\x82"), -EBADMSG },
        { "truncated 4-byte at end", S, B("\x52\x03\xf0\x9f\x98"), -EBADMSG },
        { "truncated 3-byte, then ASCII", S, B("\x52\x03\xe2\x82" "a"), -EBADMSG },
        { "truncated 4-byte, then ASCII", S, B("\x52\x04\xf0\x9f\x98" "a"), -EBADMSG },
        { "stray continuation 80", S, B("\x52\x01\x80"), -EBADMSG },
        { "stray continuation BF after ASCII", S, B("\x52\x02" "a\xbf"), -EBADMSG },
        { "continuation after a whole sequence", S, B("\x52\x03\xc3\xa9\xa9"), -EBADMSG },
        { "invalid UTF-8 nested", S, B("\x62\x04\x52\x02\xff\xfe"), -EBADMSG },
        { "invalid UTF-8 in a repeated string", R, B("\x2a\x01" "a" "\x2a\x01\xc0"), -EBADMSG },

        /* ---------------------------------------------------------- unknown */
        { "unknown varint field", S, B("\x78\x01"), -EPROTO },
        { "unknown fixed32 field", S, B("\x7d\x01\x02\x03\x04"), -EPROTO },
        { "unknown fixed64 field", S, B("\x79\x01\x02\x03\x04\x05\x06\x07\x08"), -EPROTO },
        { "unknown length-delimited field (contents unchecked)", S, B("\x7a\x02\xff\x00"), -EPROTO },
        { "unknown field 99", S, B("\x52\x01" "c" "\x98\x06\x01"), -EPROTO },
        { "unknown field nested", S, B("\x62\x02\x78\x01"), -EPROTO },
        { "unknown field in a map entry", S, B("\x6a\x02\x18\x01"), -EPROTO },
        { "unknown field in a repeated message", R, B("\x3a\x02\x78\x01"), -EPROTO },
        { "unknown, then malformed", S, B("\x78\x01\x52\x01\xff"), -EBADMSG },
        { "unknown, then malformed nested", S, B("\x78\x01\x62\x01\x08"), -EBADMSG },
        { "unknown group", S, B("\x7b\x7c"), -EBADMSG },
        { "unknown, truncated", S, B("\x7a\x05\x01"), -EBADMSG },
        { "unknown, varint 11 bytes", S, B("\x78\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
          -EBADMSG },
};

static void test_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct wire_case *c = &cases[i];
                int r = wire_check(c->d, c->bytes, c->len, WIRE_CHECK_MAX_DEPTH);
                ProtobufCMessage *m;

                if (r != c->expect)
                        fail_msg("%s: got %d, want %d", c->what, r, c->expect);

                /* Never more lenient than protobuf-c: what passes, decodes. */
                m = protobuf_c_message_unpack(c->d, NULL, c->len, c->bytes);
                if (r == 0 && !m)
                        fail_msg("%s: accepted, but protobuf-c does not decode it", c->what);
                protobuf_c_message_free_unpacked(m, NULL);
        }
}

/* The bugs this module exists for: protobuf-c accepts these, and the policy
 * would see something other than what the agent acts on. */
static void test_protobuf_c_accepts_what_we_refuse(void **state)
{
        static const struct {
                const char *what;
                const uint8_t *bytes;
                size_t len;
        } lenient[] = {
                { "NUL in string", B("\x52\x03" "a\0b") },
                { "invalid UTF-8", B("\x52\x02\xff\xfe") },
                { "bool as length-delimited", B("\x22\x01\x01") },
                { "bool as fixed32", B("\x25\x01\x00\x00\x00") },
                { "varint past 64 bits", B("\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02") },
                { "duplicate message", B("\x62\x02\x20\x01\x62\x02\x08\x01") },
                { "duplicate scalar", B("\x20\x01\x20\x00") },
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(lenient); i++) {
                ProtobufCMessage *m =
                        protobuf_c_message_unpack(S, NULL, lenient[i].len, lenient[i].bytes);

                if (!m)
                        fail_msg("%s: protobuf-c refuses it now; update this list", lenient[i].what);
                protobuf_c_message_free_unpacked(m, NULL);
                assert_int_equal(wire_check(S, lenient[i].bytes, lenient[i].len,
                                            WIRE_CHECK_MAX_DEPTH),
                                 -EBADMSG);
        }
}

/*
 * The differential behind the duplicate-field rule, as protobuf-c 1.4 reads
 * it: Scalars{sub{b: true}, sub{i32: 1}} is sub.b true to protobuf (which
 * merges the copies; tests/diff shows it with python3-protobuf) and false to
 * protobuf-c, so ExecProcessRequest's process{Terminal: true} followed by
 * process{Cwd} would be decided as no terminal.
 */
static void test_protobuf_c_duplicate_reading(void **state)
{
        static const uint8_t twice[] = "\x62\x02\x20\x01\x62\x02\x08\x01";
        Wiretest__Scalars *m;

        (void)state;
        m = wiretest__scalars__unpack(NULL, sizeof(twice) - 1, twice);
        assert_non_null(m);
        assert_non_null(m->sub);
        if (m->sub->b)
                fail_msg("protobuf-c merges embedded messages now; update this test's comment");
        assert_int_equal(m->sub->i32, 1);
        wiretest__scalars__free_unpacked(m, NULL);
        assert_int_equal(wire_check(S, twice, sizeof(twice) - 1, WIRE_CHECK_MAX_DEPTH), -EBADMSG);
}

/* Scalars{sub: Scalars{sub: ... {i32: 1}}}, levels deep, written inside out. */
static uint8_t *nested(unsigned levels, size_t *ret_len)
{
        size_t cap = 2 + (size_t)levels * 11, start = cap;
        uint8_t *b = malloc(cap);

        assert_non_null(b);
        b[--start] = 0x01;
        b[--start] = 0x08;
        for (unsigned i = 0; i < levels; i++) {
                uint8_t prefix[10];
                size_t body = cap - start, n = 0;

                do {
                        prefix[n++] = (uint8_t)((body & 0x7f) | (body > 0x7f ? 0x80 : 0));
                        body >>= 7;
                } while (body);
                start -= n;
                memcpy(b + start, prefix, n);
                b[--start] = 0x62;
        }
        memmove(b, b + start, cap - start);
        *ret_len = cap - start;
        return b;
}

static void test_depth(void **state)
{
        _cleanup_free_ uint8_t *ok = NULL, *deep = NULL, *huge = NULL;
        size_t n;

        (void)state;
        ok = nested(WIRE_CHECK_MAX_DEPTH, &n);
        assert_int_equal(wire_check(S, ok, n, WIRE_CHECK_MAX_DEPTH), 0);
        assert_int_equal(wire_check(S, ok, n, WIRE_CHECK_MAX_DEPTH - 1), -ELOOP);
        assert_int_equal(wire_check(S, ok, n, 0), -ELOOP);

        deep = nested(WIRE_CHECK_MAX_DEPTH + 1, &n);
        assert_int_equal(wire_check(S, deep, n, WIRE_CHECK_MAX_DEPTH), -ELOOP);

        /* Far deeper than any stack would take if the bound did not hold. */
        huge = nested(200000, &n);
        assert_int_equal(wire_check(S, huge, n, WIRE_CHECK_MAX_DEPTH), -ELOOP);

        /* Depth 0 still checks the top level. */
        assert_int_equal(wire_check(S, B("\x08\x01"), 0), 0);
        assert_int_equal(wire_check(S, B("\x52\x01\xff"), 0), -EBADMSG);
}

static void test_args(void **state)
{
        (void)state;
        assert_int_equal(wire_check(NULL, B("\x08\x01"), 1), -EINVAL);
        assert_int_equal(wire_check(S, NULL, 1, 1), -EINVAL);
        assert_int_equal(wire_check(S, NULL, 0, 1), 0);
        /* Wider than the bitmap: fail closed. */
        assert_int_equal(wiretest__wide__descriptor.n_fields, WIRE_CHECK_MAX_FIELDS + 1);
        assert_int_equal(wire_check(&wiretest__wide__descriptor, B("\x08\x01"), 1), -EINVAL);
        assert_int_equal(wire_check(S, B("\x62\x00"), 1), 0);
        assert_true(wire_check_utf8(NULL, 0));
        assert_true(wire_check_utf8((const uint8_t *)"\xe2\x82\xac", 3));
        assert_false(wire_check_utf8((const uint8_t *)"\xe2\x82\xac", 2));
}

/* The deepest nesting a schema allows (its type graph is acyclic: test_api). */
static unsigned schema_depth(const ProtobufCMessageDescriptor *d)
{
        unsigned max = 0;

        if (d->n_fields > WIRE_CHECK_MAX_FIELDS)
                fail_msg("%s: %u fields, more than wire_check takes", d->name, d->n_fields);
        for (unsigned i = 0; i < d->n_fields; i++)
                if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE) {
                        unsigned k = 1 + schema_depth(d->fields[i].descriptor);

                        if (k > max)
                                max = k;
                }
        return max;
}

/* No false rejects: every request as protobuf-c encodes it, fully populated,
 * and the bound leaves room above the deepest request type. */
static void test_agent_schemas(void **state)
{
        unsigned deepest = 0;

        (void)state;
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);
                ProtobufCMessage *full = fill_message(m->request);
                _cleanup_free_ uint8_t *wire = NULL;
                unsigned depth = schema_depth(m->request);
                size_t n;

                wire = fill_pack(full, &n);
                if (wire_check(m->request, wire, n, WIRE_CHECK_MAX_DEPTH) != 0)
                        fail_msg("%s: a protobuf-c encoding is refused", m->request_name);
                if (depth > 0)
                        assert_int_equal(wire_check(m->request, wire, n, depth), 0);
                protobuf_c_message_free_unpacked(full, NULL);
                if (depth > deepest)
                        deepest = depth;
        }
        assert_true(deepest >= 4); /* CreateContainerRequest.OCI.Linux.Resources... */
        assert_true(deepest * 2 <= WIRE_CHECK_MAX_DEPTH);

        /* The envelope too. (Not the test schema: fill_message would follow
         * Scalars.sub for ever.) */
        {
                ProtobufCMessage *env = fill_message(&ttrpc__request__descriptor);
                _cleanup_free_ uint8_t *w = NULL;
                size_t n;

                w = fill_pack(env, &n);
                assert_int_equal(wire_check(&ttrpc__request__descriptor, w, n, 1), 0);
                protobuf_c_message_free_unpacked(env, NULL);
        }
}

/*
 * Every single-byte change of a fully populated CreateContainerRequest: what
 * wire_check accepts protobuf-c decodes, and what it calls unknown-field
 * protobuf-c decodes with unknown fields. (It refuses more than protobuf-c:
 * that is the point, so the converse is not asserted.)
 */
static void test_mutations_agree(void **state)
{
        static const uint8_t flips[] = { 0x01, 0x80, 0xff, 0x7f };
        const struct agent_method *m = agent_method_get(AGENT_CREATE_CONTAINER);
        ProtobufCMessage *full = fill_message(m->request);
        _cleanup_free_ uint8_t *wire = NULL;
        size_t n, n_ok = 0, n_refused = 0;

        (void)state;
        wire = fill_pack(full, &n);
        protobuf_c_message_free_unpacked(full, NULL);
        for (size_t i = 0; i < n; i++) {
                for (size_t k = 0; k < ELEMENTSOF(flips); k++) {
                        ProtobufCMessage *dec;
                        int r;

                        wire[i] ^= flips[k];
                        r = wire_check(m->request, wire, n, WIRE_CHECK_MAX_DEPTH);
                        dec = protobuf_c_message_unpack(m->request, NULL, n, wire);
                        if ((r == 0 || r == -EPROTO) && !dec)
                                fail_msg("byte %zu ^ 0x%02x: wire_check %d, protobuf-c refuses",
                                         i, flips[k], r);
                        if (r == 0)
                                n_ok++;
                        else
                                n_refused++;
                        protobuf_c_message_free_unpacked(dec, NULL);
                        wire[i] ^= flips[k];
                }
        }
        assert_true(n_ok > 0 && n_refused > 0);
}

/* The decode entry points fail closed on the known-bug inputs, with the
 * errors gate.c maps to malformed-request / undecodable-request / unknown-field. */
static void test_decoders(void **state)
{
        static const struct {
                const char *what;
                const uint8_t *bytes;
                size_t len;
                int expect;
        } envelopes[] = {
#define ENV_SVC "\x0a\x11grpc.AgentService"
                { "valid", B(ENV_SVC "\x12\x0fGetGuestDetails"), 0 },
                { "NUL in method", B(ENV_SVC "\x12\x10GetGuestDetails\0"), -EBADMSG },
                { "NUL in service", B("\x0a\x13grpc.AgentService\0x\x12\x0fGetGuestDetails"),
                  -EBADMSG },
                { "invalid UTF-8 in method", B(ENV_SVC "\x12\x02\xc0\xaf"), -EBADMSG },
                { "NUL in metadata value", B(ENV_SVC "\x2a\x06\x0a\x01k\x12\x01\x00"), -EBADMSG },
                { "payload bytes may hold anything", B(ENV_SVC "\x1a\x02\x00\xff"), 0 },
                { "timeout as length-delimited", B(ENV_SVC "\x22\x01\x01"), -EBADMSG },
                { "unknown field", B(ENV_SVC "\x30\x01"), -EPROTO },
                { "method twice", B(ENV_SVC "\x12\x04Ping\x12\x0fGetGuestDetails"), -EBADMSG },
                { "payload twice", B(ENV_SVC "\x12\x0fGetGuestDetails\x1a\x00\x1a\x00"), -EBADMSG },
                { "metadata repeated", B(ENV_SVC "\x2a\x03\x0a\x01k\x2a\x03\x0a\x01k"), 0 },
                { "metadata key twice in one entry", B(ENV_SVC "\x2a\x06\x0a\x01k\x0a\x01j"),
                  -EBADMSG },
#undef ENV_SVC
        };
        static const struct {
                const char *what;
                enum agent_method_id id;
                const uint8_t *bytes;
                size_t len;
                int expect;
        } payloads[] = {
                { "bool as length-delimited", AGENT_GET_GUEST_DETAILS, B("\x0a\x01\x01"), -EBADMSG },
                { "bool", AGENT_GET_GUEST_DETAILS, B("\x08\x01"), 0 },
                { "invalid UTF-8 exec_id", AGENT_READ_STDOUT, B("\x0a\x02" "c1" "\x12\x02\xff\xfe"),
                  -EBADMSG },
                { "NUL in exec_id", AGENT_READ_STDOUT, B("\x0a\x02" "c1" "\x12\x04" "e1\0x"),
                  -EBADMSG },
                { "NUL in container_id", AGENT_CREATE_CONTAINER, B("\x0a\x08" "abc\0evil"),
                  -EBADMSG },
                /* ExecProcessRequest{process: Process{Args: ["sh\0-c"]}} */
                { "NUL in an argv element", AGENT_EXEC_PROCESS, B("\x22\x07\x22\x05sh\0-c"),
                  -EBADMSG },
                { "argv element", AGENT_EXEC_PROCESS, B("\x22\x04\x22\x02sh"), 0 },
                { "unknown field", AGENT_READ_STDOUT, B("\x0a\x02" "c1" "\x78\x01"), -EPROTO },
                /* ExecProcessRequest{process{Terminal: true}, process{Cwd: "/"}} */
                { "process twice", AGENT_EXEC_PROCESS, B("\x22\x02\x08\x01\x22\x03\x32\x01/"),
                  -EBADMSG },
                { "container_id twice", AGENT_READ_STDOUT, B("\x0a\x02" "c1" "\x0a\x02" "c2"),
                  -EBADMSG },
                { "overlong varint", AGENT_READ_STDOUT,
                  B("\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), -EBADMSG },
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(envelopes); i++) {
                Ttrpc__Request *req = NULL;
                int r = ttrpc_request_decode(envelopes[i].bytes, envelopes[i].len, NULL, &req);

                if (r != envelopes[i].expect)
                        fail_msg("envelope %s: got %d", envelopes[i].what, r);
                if (r == 0)
                        ttrpc__request__free_unpacked(req, NULL);
                else
                        assert_null(req);
        }
        for (size_t i = 0; i < ELEMENTSOF(payloads); i++) {
                ProtobufCMessage *msg = NULL;
                int r = agent_request_decode(agent_method_get(payloads[i].id), payloads[i].bytes,
                                             payloads[i].len, NULL, &msg);

                if (r != payloads[i].expect)
                        fail_msg("payload %s: got %d", payloads[i].what, r);
                if (r == 0)
                        agent_request_free(msg, NULL);
                else
                        assert_null(msg);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_protobuf_c_accepts_what_we_refuse),
                cmocka_unit_test(test_protobuf_c_duplicate_reading),
                cmocka_unit_test(test_depth),
                cmocka_unit_test(test_args),
                cmocka_unit_test(test_agent_schemas),
                cmocka_unit_test(test_mutations_agree),
                cmocka_unit_test(test_decoders),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
