/* SPDX-License-Identifier: Apache-2.0 */
/* The ttRPC envelope: request decoding, response status, response frames. */
#include "ttrpc_msg.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include "ttrpc.h"
#include "wire_check.h"
#include "wire_view.h"

static int request_decode(const uint8_t *payload, size_t len, ProtobufCAllocator *a, bool view,
                          Ttrpc__Request **ret)
{
        Ttrpc__Request *req;
        int r;

        /* The envelope's strings name the method: they must read the same to
         * protobuf-c (C strings) as to the agent (bytes), so strictly first. */
        r = wire_check(&ttrpc__request__descriptor, payload, len, WIRE_CHECK_MAX_DEPTH);
        if (r == -EPROTO)
                return r;
        if (r < 0)
                return -EBADMSG;

        req = view ? (Ttrpc__Request *)wire_view_unpack(&ttrpc__request__descriptor, a, len, payload)
                   : ttrpc__request__unpack(a, len, payload);
        if (!req)
                return -EBADMSG;

        if (req->base.n_unknown_fields > 0 || req->n_metadata > TTRPC_MAX_METADATA)
                goto proto;
        for (size_t i = 0; i < req->n_metadata; i++)
                if (req->metadata[i]->base.n_unknown_fields > 0)
                        goto proto;

        *ret = req;
        return 0;
proto:
        ttrpc__request__free_unpacked(req, a);
        return -EPROTO;
}

int ttrpc_request_decode(const uint8_t *payload, size_t len, ProtobufCAllocator *a,
                         Ttrpc__Request **ret)
{
        return request_decode(payload, len, a, false, ret);
}

int ttrpc_request_decode_view(const uint8_t *payload, size_t len, ProtobufCAllocator *arena,
                              Ttrpc__Request **ret)
{
        if (!arena)
                return -EINVAL;
        return request_decode(payload, len, arena, true, ret);
}

/* Skip the value of a field of wire type wt at *p. */
static int skip_value(const uint8_t **p, const uint8_t *end, unsigned wt)
{
        uint64_t n;
        int r;

        switch (wt) {
        case 0:
                return wire_varint(p, end, &n);
        case 1:
                n = 8;
                break;
        case 2:
                r = wire_varint(p, end, &n);
                if (r < 0)
                        return r;
                break;
        case 5:
                n = 4;
                break;
        default:
                return -EBADMSG; /* groups, or no wire type at all */
        }
        if ((uint64_t)(end - *p) < n)
                return -EBADMSG;
        *p += n;
        return 0;
}

/* Status{1 code int32, ...}: the code, the last one read winning. */
static int status_code(const uint8_t *p, const uint8_t *end, int32_t *code)
{
        while (p < end) {
                uint64_t tag, v;
                int r = wire_varint(&p, end, &tag);

                if (r < 0)
                        return r;
                if (tag >> 3 == 1) {
                        if ((tag & 7) != 0)
                                return -EBADMSG;
                        r = wire_varint(&p, end, &v);
                        if (r < 0)
                                return r;
                        *code = (int32_t)(uint32_t)v; /* int32: the low 32 bits */
                        continue;
                }
                r = skip_value(&p, end, (unsigned)(tag & 7));
                if (r < 0)
                        return r;
        }
        return 0;
}

int ttrpc_response_code(const uint8_t *payload, size_t len, int32_t *ret_code)
{
        const uint8_t *p = payload, *end = payload + len;
        int32_t code = 0;

        if (!payload && len > 0)
                return -EBADMSG;
        /* Response{1 status, 2 payload}: read in place, so that a large answer's
         * payload is skipped by its length and nothing is copied. A status that
         * occurs twice merges, as protobuf's embedded messages do. */
        while (p < end) {
                uint64_t tag, n;
                int r = wire_varint(&p, end, &tag);

                if (r < 0)
                        return r;
                if (tag >> 3 != 1) {
                        r = skip_value(&p, end, (unsigned)(tag & 7));
                        if (r < 0)
                                return r;
                        continue;
                }
                if ((tag & 7) != 2)
                        return -EBADMSG;
                r = wire_varint(&p, end, &n);
                if (r < 0)
                        return r;
                if ((uint64_t)(end - p) < n)
                        return -EBADMSG;
                r = status_code(p, p + n, &code);
                if (r < 0)
                        return r;
                p += n;
        }
        *ret_code = code;
        return 0;
}

ssize_t ttrpc_response_frame(uint32_t stream_id, int32_t code, const char *message,
                             const uint8_t *payload, size_t payload_len, uint8_t *buf, size_t cap)
{
        Ttrpc__Status status = TTRPC__STATUS__INIT;
        Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
        char msg[TTRPC_MAX_STATUS_MESSAGE + 1];
        struct ttrpc_header h;
        size_t n;

        if (message) {
                size_t m = strnlen(message, TTRPC_MAX_STATUS_MESSAGE);

                memcpy(msg, message, m);
                msg[m] = '\0';
                status.message = msg;
        }
        status.code = code;
        resp.status = &status;
        resp.payload.data = (uint8_t *)payload;
        resp.payload.len = payload_len;

        n = ttrpc__response__get_packed_size(&resp);
        if (n > TTRPC_MAX_PAYLOAD || cap < TTRPC_HEADER_SIZE || cap - TTRPC_HEADER_SIZE < n)
                return -ENOBUFS;

        h = (struct ttrpc_header){
                .length = (uint32_t)n,
                .stream_id = stream_id,
                .type = TTRPC_TYPE_RESPONSE,
        };
        ttrpc_header_encode(&h, buf);
        (void)ttrpc__response__pack(&resp, buf + TTRPC_HEADER_SIZE);
        return (ssize_t)(TTRPC_HEADER_SIZE + n);
}
