/* SPDX-License-Identifier: Apache-2.0 */
/* The strict check of protobuf wire bytes against a descriptor (wire_check.h). */
#include "wire_check.h"

#include <errno.h>
#include <string.h>

/* Field numbers are 29 bits (protobuf's encoding guide). */
#define FIELD_NUMBER_MAX 0x1fffffffu
/* A varint holds 64 bits in at most 10 bytes; the 10th carries bit 63 only. */
#define VARINT_MAX_BYTES 10u
/* Tags and length prefixes: protobuf-c reads at most 5 bytes of either (a
 * 32-bit value) and refuses longer ones, padded or not; so does the check, or
 * it would pass what ccgate then cannot decode. */
#define PREFIX_MAX_BYTES 5u

/* Fields per message the once-only bitmap covers (wire_check.h). */
#define SEEN_WORDS ((WIRE_CHECK_MAX_FIELDS + 63u) / 64u)

struct wire_ctx {
        unsigned max_depth;
        bool unknown; /* an unknown field was skipped somewhere */
};

/* Read one varint at *p, advancing it. Refuses more than 10 bytes and any
 * bit past 63, which Go and Rust refuse too and protobuf-c drops silently. */
static int read_varint_slow(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
        uint64_t v = 0;

        for (unsigned i = 0; i < VARINT_MAX_BYTES; i++) {
                uint8_t b;

                if (*p == end)
                        return -EBADMSG;
                b = *(*p)++;
                if (i == VARINT_MAX_BYTES - 1 && b > 1)
                        return -EBADMSG;
                v |= (uint64_t)(b & 0x7f) << (7 * i);
                if (!(b & 0x80)) {
                        *ret = v;
                        return 0;
                }
        }
        return -EBADMSG;
}

/* Tags, lengths and most values are one byte: that case inline. */
static inline int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
        if (*p < end && **p < 0x80) {
                *ret = *(*p)++;
                return 0;
        }
        return read_varint_slow(p, end, ret);
}

int wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
        return read_varint(p, end, ret);
}

static int skip(const uint8_t **p, const uint8_t *end, uint64_t n)
{
        if ((uint64_t)(end - *p) < n)
                return -EBADMSG;
        *p += n;
        return 0;
}

/* A length prefix and the bytes it covers: *ret_end is where they end. */
/* A tag or a length: a varint of at most PREFIX_MAX_BYTES. */
static int read_prefix(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
        const uint8_t *start = *p;
        int r = read_varint(p, end, ret);

        if (r < 0)
                return r;
        return (size_t)(*p - start) > PREFIX_MAX_BYTES ? -EBADMSG : 0;
}

static int read_length(const uint8_t **p, const uint8_t *end, const uint8_t **ret_end)
{
        uint64_t n;
        int r;

        r = read_prefix(p, end, &n);
        if (r < 0)
                return r;
        if ((uint64_t)(end - *p) < n)
                return -EBADMSG;
        *ret_end = *p + n;
        return 0;
}

/* The wire type of each field type, by ProtobufCType (a table: the type
 * differs from field to field, so a switch here mispredicts). */
static const uint8_t wire_types[] = {
        [PROTOBUF_C_TYPE_INT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
        [PROTOBUF_C_TYPE_SINT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
        [PROTOBUF_C_TYPE_SFIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
        [PROTOBUF_C_TYPE_INT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
        [PROTOBUF_C_TYPE_SINT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
        [PROTOBUF_C_TYPE_SFIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
        [PROTOBUF_C_TYPE_UINT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
        [PROTOBUF_C_TYPE_FIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
        [PROTOBUF_C_TYPE_UINT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
        [PROTOBUF_C_TYPE_FIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
        [PROTOBUF_C_TYPE_FLOAT] = PROTOBUF_C_WIRE_TYPE_32BIT,
        [PROTOBUF_C_TYPE_DOUBLE] = PROTOBUF_C_WIRE_TYPE_64BIT,
        [PROTOBUF_C_TYPE_BOOL] = PROTOBUF_C_WIRE_TYPE_VARINT,
        [PROTOBUF_C_TYPE_ENUM] = PROTOBUF_C_WIRE_TYPE_VARINT,
        [PROTOBUF_C_TYPE_STRING] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
        [PROTOBUF_C_TYPE_BYTES] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
        [PROTOBUF_C_TYPE_MESSAGE] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
};

/* A wire type no field has, for a type this table does not know. */
#define WIRE_TYPE_NONE 8u

static unsigned wire_type_of(ProtobufCType t)
{
        return (unsigned)t < sizeof(wire_types) ? wire_types[t] : WIRE_TYPE_NONE;
}

/* Field number n of d: the numbers of most messages run 1, 2, 3..., so look
 * where that would put it before protobuf-c's binary search. */
static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessageDescriptor *d, uint64_t n)
{
        if (n - 1 < d->n_fields && d->fields[n - 1].id == n)
                return &d->fields[n - 1];
        return protobuf_c_message_descriptor_get_field(d, (unsigned)n);
}

bool wire_check_utf8(const uint8_t *s, size_t len)
{
        size_t i = 0;

        while (i < len) {
                uint8_t b = s[i], lo = 0x80, hi = 0xbf;
                size_t n;

                /* ASCII without NUL, eight bytes at a time: the common case. */
                if (len - i >= 8) {
                        uint64_t v;

                        memcpy(&v, s + i, sizeof(v));
                        if (!(v & 0x8080808080808080u) &&
                            !((v - 0x0101010101010101u) & ~v & 0x8080808080808080u)) {
                                i += 8;
                                continue;
                        }
                }
                if (b < 0x80) {
                        if (b == 0)
                                return false;
                        i++;
                        continue;
                }
                /* RFC 3629 section 4: the lead byte fixes the length and the
                 * range of the second byte, which rules out overlong forms
                 * (C0, C1, E0 80-9F, F0 80-8F), surrogates (ED A0-BF) and
                 * code points past U+10FFFF (F4 90-BF, F5-FF). */
                if (b >= 0xc2 && b <= 0xdf)
                        n = 2;
                else if (b >= 0xe0 && b <= 0xef)
                        n = 3;
                else if (b >= 0xf0 && b <= 0xf4)
                        n = 4;
                else
                        return false; /* a stray continuation byte, C0, C1 or F5-FF */
                if (b == 0xe0)
                        lo = 0xa0;
                else if (b == 0xed)
                        hi = 0x9f;
                else if (b == 0xf0)
                        lo = 0x90;
                else if (b == 0xf4)
                        hi = 0x8f;
                if (len - i < n || s[i + 1] < lo || s[i + 1] > hi)
                        return false;
                for (size_t k = 2; k < n; k++)
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                i += n;
        }
        return true;
}

/* The packed form of a repeated scalar: the body of one length-delimited field. */
static int check_packed(const ProtobufCFieldDescriptor *f, const uint8_t *p, const uint8_t *end)
{
        size_t n = (size_t)(end - p);
        uint64_t v;
        int r;

        switch (wire_type_of(f->type)) {
        case PROTOBUF_C_WIRE_TYPE_32BIT:
                return n % 4 == 0 ? 0 : -EBADMSG;
        case PROTOBUF_C_WIRE_TYPE_64BIT:
                return n % 8 == 0 ? 0 : -EBADMSG;
        case PROTOBUF_C_WIRE_TYPE_VARINT:
                /* protobuf-c takes each byte of a packed bool as one element. */
                if (f->type == PROTOBUF_C_TYPE_BOOL) {
                        for (; p < end; p++)
                                if (*p > 1)
                                        return -EBADMSG;
                        return 0;
                }
                while (p < end) {
                        r = read_varint(&p, end, &v);
                        if (r < 0)
                                return r;
                }
                return 0;
        default: /* strings, bytes and messages have no packed form */
                return -EBADMSG;
        }
}

static int check_message(struct wire_ctx *c, const ProtobufCMessageDescriptor *d,
                         const uint8_t *p, const uint8_t *end, unsigned depth);

/* One value of field f with wire type wt at *p; *p is advanced past it. */
static int check_value(struct wire_ctx *c, const ProtobufCFieldDescriptor *f, unsigned wt,
                       const uint8_t **p, const uint8_t *end, unsigned depth)
{
        unsigned want = wire_type_of(f->type);
        const uint8_t *body, *body_end;
        uint64_t v;
        int r;

        if (wt != want) {
                if (wt != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED ||
                    f->label != PROTOBUF_C_LABEL_REPEATED)
                        return -EBADMSG;
                r = read_length(p, end, &body_end);
                if (r < 0)
                        return r;
                body = *p;
                *p = body_end;
                return check_packed(f, body, body_end);
        }

        switch (want) {
        case PROTOBUF_C_WIRE_TYPE_VARINT:
                r = read_varint(p, end, &v);
                if (r < 0)
                        return r;
                /* Other values are "true" to protobuf-c and to Rust alike, but
                 * no encoder writes them and packed bools refuse them. */
                return f->type == PROTOBUF_C_TYPE_BOOL && v > 1 ? -EBADMSG : 0;
        case PROTOBUF_C_WIRE_TYPE_32BIT:
                return skip(p, end, 4);
        case PROTOBUF_C_WIRE_TYPE_64BIT:
                return skip(p, end, 8);
        default:
                r = read_length(p, end, &body_end);
                if (r < 0)
                        return r;
                body = *p;
                *p = body_end;
                if (f->type == PROTOBUF_C_TYPE_STRING)
                        return wire_check_utf8(body, (size_t)(body_end - body)) ? 0 : -EBADMSG;
                if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                        return check_message(c, f->descriptor, body, body_end, depth + 1);
                return 0; /* bytes: anything */
        }
}

/* A field d does not know: its framing must still be sound to skip it. */
static int skip_unknown(unsigned wt, const uint8_t **p, const uint8_t *end)
{
        const uint8_t *body_end;
        uint64_t v;
        int r;

        switch (wt) {
        case PROTOBUF_C_WIRE_TYPE_VARINT:
                return read_varint(p, end, &v);
        case PROTOBUF_C_WIRE_TYPE_64BIT:
                return skip(p, end, 8);
        case PROTOBUF_C_WIRE_TYPE_32BIT:
                return skip(p, end, 4);
        case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
                r = read_length(p, end, &body_end);
                if (r < 0)
                        return r;
                *p = body_end;
                return 0;
        default: /* groups (3, 4) are not proto3; 6 and 7 do not exist */
                return -EBADMSG;
        }
}

/*
 * Field f of d occurs (again): a non-repeated field, or a second member of
 * one oneof, is refused, since decoders disagree on which copy counts
 * (protobuf merges embedded messages, protobuf-c keeps the last one's
 * scalars, or 0). seen has one bit per index into d->fields.
 */
static int note_once(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f,
                     uint64_t *seen)
{
        size_t i = (size_t)(f - d->fields);

        if (f->label == PROTOBUF_C_LABEL_REPEATED)
                return 0;
        if (seen[i / 64] & (UINT64_C(1) << (i % 64)))
                return -EBADMSG;
        /* Members of one oneof share the case's offset. At most one scan per
         * oneof and message: a second member ends the check here. */
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                for (size_t k = 0; k < d->n_fields; k++) {
                        const ProtobufCFieldDescriptor *o = &d->fields[k];

                        if ((o->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                            o->quantifier_offset == f->quantifier_offset &&
                            (seen[k / 64] & (UINT64_C(1) << (k % 64))))
                                return -EBADMSG;
                }
        seen[i / 64] |= UINT64_C(1) << (i % 64);
        return 0;
}

static int check_message(struct wire_ctx *c, const ProtobufCMessageDescriptor *d,
                         const uint8_t *p, const uint8_t *end, unsigned depth)
{
        /* On the stack, per level: max_depth bounds how many there are. */
        uint64_t seen[SEEN_WORDS] = { 0 };

        if (depth > c->max_depth)
                return -ELOOP;
        /* A schema wider than the bitmap: fail closed (the tests keep the
         * project's schemas inside it). */
        if (d->n_fields > WIRE_CHECK_MAX_FIELDS)
                return -EINVAL;

        /* Every pass consumes at least the tag byte: at most end - p passes. */
        while (p < end) {
                const ProtobufCFieldDescriptor *f;
                uint64_t tag;
                unsigned wt;
                int r;

                r = read_prefix(&p, end, &tag);
                if (r < 0)
                        return r;
                wt = (unsigned)(tag & 7);
                if (tag >> 3 == 0 || tag >> 3 > FIELD_NUMBER_MAX)
                        return -EBADMSG;

                f = field_of(d, tag >> 3);
                if (f) {
                        r = note_once(d, f, seen);
                        if (r < 0)
                                return r;
                        r = check_value(c, f, wt, &p, end, depth);
                } else {
                        c->unknown = true;
                        r = skip_unknown(wt, &p, end);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
               unsigned max_depth)
{
        struct wire_ctx c = { .max_depth = max_depth };
        int r;

        if (!d || (!buf && len > 0))
                return -EINVAL;
        if (len == 0)
                return 0;

        r = check_message(&c, d, buf, buf + len, 0);
        if (r < 0)
                return r;
        return c.unknown ? -EPROTO : 0;
}
