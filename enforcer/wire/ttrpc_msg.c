/* SPDX-License-Identifier: Apache-2.0 */
/* The ttRPC envelope: request decoding, response status, response frames. */
#include "ttrpc_msg.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "ttrpc.h"
#include "wire_check.h"

int ttrpc_request_decode(const uint8_t *payload, size_t len, ProtobufCAllocator *a,
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

        req = ttrpc__request__unpack(a, len, payload);
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

int ttrpc_response_code(const uint8_t *payload, size_t len, ProtobufCAllocator *a,
                        int32_t *ret_code)
{
        Ttrpc__Response *resp;
        int32_t code;

        resp = ttrpc__response__unpack(a, len, payload);
        if (!resp)
                return -EBADMSG;
        code = resp->status ? resp->status->code : 0;
        ttrpc__response__free_unpacked(resp, a);
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
