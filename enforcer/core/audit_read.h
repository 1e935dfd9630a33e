/* SPDX-License-Identifier: Apache-2.0 */
/* What audit_read.c and audit_verify.c share (not for other modules). */
#pragma once

#include "audit.h"

/* Fill *p: file (borrowed), 1-based line (0: not about a line) and a message. */
void audit_problem_set(struct audit_problem *p, const char *file, unsigned long line, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
