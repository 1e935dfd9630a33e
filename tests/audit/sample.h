/* SPDX-License-Identifier: Apache-2.0 */
/* Audit events for the tests: real agent requests, some carrying secrets, and hostile names. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "audit.h"

/* The secret every sample request carries in a different place; it must never reach a log. */
#define SAMPLE_SECRET "hunter2"

#define SAMPLE_DIGEST "09bfcc6a14b83e2192b8673677725c84883ee9cd0c70e45c9ec09daa8f2b2847"

/* Number of distinct sample events. */
size_t sample_count(void);

/*
 * Append sample event i (modulo sample_count()) to log, with conn/stream from i.
 * Returns what audit_append() returns.
 */
int sample_append(struct audit_log *log, size_t i);

/*
 * The outcome of sample event i when it was forwarded (0 when it was not, and
 * nothing is appended): each kind in turn (answered OK, answered with an
 * error, not forwarded, abandoned for each reason), following up the decision
 * record just written. Returns what audit_outcome() returns.
 */
int sample_outcome(struct audit_log *log, size_t i);

/* The options the samples use, for path. */
struct audit_options sample_options(const char *path, uint64_t rotate_bytes);
