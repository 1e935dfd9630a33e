/* SPDX-License-Identifier: Apache-2.0 */
/* What the audit log's reading side shares (audit_read.c, audit_verify.c; not for other modules). */
#pragma once

#include "audit.h"

/* Fill *p: file (borrowed), 1-based line (0: not about a line) and a message. */
void problem_set(struct audit_problem *p, const char *file, unsigned long line, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
