/* SPDX-License-Identifier: Apache-2.0 */
/* What the gate's two files share (not for other modules): tickets and the frames it renders. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "gate.h"

/* Name used in refusals when the request name is not known (the method was not). */
#define GATE_UNKNOWN_NAME "Request"

#define TICKET_LIVE 0x1u
#define TICKET_DRAIN 0x2u
#define NO_EFFECT UINT16_MAX

struct gate_ticket {
        uint64_t conn_id;
        uint64_t decision_seq; /* its decision record */
        uint32_t stream_id;
        uint16_t method;       /* enum agent_method_id: forwarded requests have one */
        uint16_t effect;       /* slot in gate.effects, or NO_EFFECT */
        uint8_t flags;
};

/* "<Name> is blocked by policy: <rule>: <reason>" (7), or "... could not be served: ..." */
void gate_render_message(char *buf, size_t len, int32_t code, const char *request_name,
                    const char *rule_id, const char *reason);

/* A whole response frame with code and message (NULL: none) for stream_id. */
void gate_render_frame(struct gate_frame *f, uint32_t stream_id, int32_t code, const char *message);

/* A free ticket, LIVE and holding nothing, or NULL when the limit is reached. */
struct gate_ticket *gate_ticket_take(struct gate *g);

/*
 * After a runtime measurement event (r: what measure_event() or
 * measure_tick() returned): on failure, tell the daemon, and when the
 * register is now incomplete and the policy requires measurement, deny
 * everything from here on.
 */
void gate_measured(struct gate *g, int r);
