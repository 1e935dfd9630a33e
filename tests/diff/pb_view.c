/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pb_view: ccgate's view of request payloads, for the differential test
 * (diff.py). One JSON object per input line, one per output line:
 *
 *   {"op": "decode", "method": "ExecProcess", "data": BASE64}
 *       the payload through agent_request_decode() (the strict wire check,
 *       then protobuf-c, as the gate decides on it), printed by pbjson:
 *       {"ok": true, "message": {...}} or {"ok": false, "error": "..."}
 *   {"op": "decode-raw", ...}
 *       protobuf-c alone, without the wire check: what ccgate would have
 *       decided on before it (for the hostile encodings)
 *   {"op": "encode", "method": ..., "message": {...}}
 *       pbjson, then protobuf-c's encoder: {"ok": true, "data": BASE64}
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nettle/base64.h>

#include "agent_api.h"
#include "agent_request.h"
#include "cleanup.h"
#include "pbjson.h"

static char *b64_encode(const uint8_t *p, size_t n)
{
        char *out = malloc(BASE64_ENCODE_RAW_LENGTH(n) + 1);

        if (!out)
                return NULL;
        base64_encode_raw(out, n, p);
        out[BASE64_ENCODE_RAW_LENGTH(n)] = '\0';
        return out;
}

static uint8_t *b64_decode(const char *s, size_t *ret_len)
{
        struct base64_decode_ctx ctx;
        size_t n = strlen(s), k = BASE64_DECODE_LENGTH(n);
        uint8_t *out = malloc(k + 1);

        if (!out)
                return NULL;
        base64_decode_init(&ctx);
        if (!base64_decode_update(&ctx, &k, out, n, s) || !base64_decode_final(&ctx)) {
                free(out);
                return NULL;
        }
        *ret_len = k;
        return out;
}

static const struct agent_method *method_named(const char *name)
{
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);

                if (m && strcmp(m->method, name) == 0)
                        return m;
        }
        return NULL;
}

__attribute__((format(printf, 1, 2))) static json_t *error_of(const char *fmt, ...)
{
        char buf[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

static json_t *decode(const struct agent_method *m, const char *data, bool raw)
{
        _cleanup_free_ uint8_t *bytes = NULL;
        ProtobufCMessage *msg = NULL;
        json_t *j;
        size_t n;
        int r;

        bytes = b64_decode(data, &n);
        if (!bytes)
                return error_of("data: %s", "not base64");
        if (raw) {
                msg = protobuf_c_message_unpack(m->request, NULL, n, bytes);
                r = msg ? 0 : -EBADMSG;
        } else {
                r = agent_request_decode(m, bytes, n, NULL, &msg);
        }
        if (r < 0)
                return error_of("refused: %s", strerror(-r));
        j = pbjson_from_message(msg);
        if (raw)
                protobuf_c_message_free_unpacked(msg, NULL);
        else
                agent_request_free(msg, NULL);
        if (!j)
                return error_of("pbjson: %s", strerror(errno));
        return json_pack("{s:b, s:o}", "ok", 1, "message", j);
}

static json_t *encode(const struct agent_method *m, const json_t *message)
{
        _cleanup_free_ uint8_t *bytes = NULL;
        _cleanup_free_ char *text = NULL;
        ProtobufCMessage *msg = NULL;
        char err[256];
        size_t n;

        if (pbjson_to_message(m->request, message, &msg, err, sizeof(err)) < 0)
                return error_of("pbjson: %s", err);
        n = protobuf_c_message_get_packed_size(msg);
        bytes = malloc(n ? n : 1);
        if (!bytes) {
                protobuf_c_message_free_unpacked(msg, NULL);
                return error_of("%s", "out of memory");
        }
        (void)protobuf_c_message_pack(msg, bytes);
        protobuf_c_message_free_unpacked(msg, NULL);
        text = b64_encode(bytes, n);
        return text ? json_pack("{s:b, s:s}", "ok", 1, "data", text) : error_of("%s", "out of memory");
}

static json_t *one(const char *line)
{
        json_t *in = json_loads(line, 0, NULL), *out;
        const char *op = json_string_value(json_object_get(in, "op"));
        const char *name = json_string_value(json_object_get(in, "method"));
        const char *data = json_string_value(json_object_get(in, "data"));
        const struct agent_method *m = name ? method_named(name) : NULL;

        if (!in || !op)
                out = error_of("%s", "not a request line");
        else if (!m)
                out = error_of("no method %s", name ? name : "(none)");
        else if (strcmp(op, "encode") == 0)
                out = encode(m, json_object_get(in, "message"));
        else if ((strcmp(op, "decode") == 0 || strcmp(op, "decode-raw") == 0) && data)
                out = decode(m, data, strcmp(op, "decode-raw") == 0);
        else
                out = error_of("bad op %s", op);
        json_decref(in);
        return out;
}

int main(void)
{
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;

        while (getline(&line, &cap, stdin) > 0) {
                json_t *out = one(line);

                if (!out || json_dumpf(out, stdout, JSON_COMPACT) < 0)
                        return 1;
                json_decref(out);
                putchar('\n');
                fflush(stdout);
        }
        return 0;
}
