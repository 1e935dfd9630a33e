/* SPDX-License-Identifier: Apache-2.0 */
/* Policy load errors: where (file:line:column) and why. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy_error.h"

static int error_vset(struct policy_error *err, int error, const char *file, unsigned line,
                      unsigned column, const char *fmt, va_list ap)
        __attribute__((format(printf, 6, 0)));

static int error_vset(struct policy_error *err, int error, const char *file, unsigned line,
                      unsigned column, const char *fmt, va_list ap)
{
        if (!err || err->message[0])
                return error;
        snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
        err->line = line;
        err->column = line ? column : 0;
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        if (!err->message[0])
                snprintf(err->message, sizeof(err->message), "%s", strerror(-error));
        return error;
}

int policy_error_set(struct policy_error *err, const char *file, unsigned line, unsigned column,
                     const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_vset(err, -EINVAL, file, line, column, fmt, ap);
        va_end(ap);
        return r;
}

int policy_error_errno(struct policy_error *err, int error, const char *file, unsigned line,
                       unsigned column, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = error_vset(err, error, file, line, column, fmt, ap);
        va_end(ap);
        return r;
}

void policy_error_format(const struct policy_error *err, char *buf, size_t len)
{
        if (err->line)
                snprintf(buf, len, "%s:%u:%u: %s", err->file, err->line, err->column,
                         err->message);
        else
                snprintf(buf, len, "%s: %s", err->file, err->message);
}
