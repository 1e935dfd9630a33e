/* SPDX-License-Identifier: Apache-2.0 */
/* Filling struct policy_error: where a policy failed to load, and why. */
#pragma once

#include "policy.h"

/*
 * Record an error at file:line:column (line 0: not about a position). Only the
 * first error is kept: the earliest cause is the one a tenant must fix.
 * Returns -EINVAL so callers can `return policy_error_set(...)`.
 */
int policy_error_set(struct policy_error *err, const char *file, unsigned line, unsigned column,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Same with an explicit errno to return (e.g. -ENOMEM). */
int policy_error_errno(struct policy_error *err, int error, const char *file, unsigned line,
                       unsigned column, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Format "file:line:column: message" (or "file: message") into buf. */
void policy_error_format(const struct policy_error *err, char *buf, size_t len);
