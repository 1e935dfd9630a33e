/* SPDX-License-Identifier: Apache-2.0 */
/* The daemon's diagnostic log on stderr, with levels. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum log_level max_level = LOG_LEVEL_INFO;

static const char *const level_names[_LOG_LEVEL_MAX] = {
        [LOG_LEVEL_ERROR] = "error",   [LOG_LEVEL_WARNING] = "warning",
        [LOG_LEVEL_NOTICE] = "notice", [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
        max_level = level;
}

enum log_level log_level_from_string(const char *s)
{
        for (int i = 0; i < _LOG_LEVEL_MAX; i++)
                if (strcmp(s, level_names[i]) == 0)
                        return (enum log_level)i;
        return _LOG_LEVEL_INVALID;
}

int log_full(enum log_level level, int error, const char *fmt, ...)
{
        int e = abs(error);

        if (level <= max_level) {
                char line[1024];
                va_list ap;

                va_start(ap, fmt);
                vsnprintf(line, sizeof(line), fmt, ap);
                va_end(ap);
                if (e)
                        fprintf(stderr, "ccgate[%s]: %s: %s\n", level_names[level], line,
                                strerror(e));
                else
                        fprintf(stderr, "ccgate[%s]: %s\n", level_names[level], line);
        }
        return -e;
}
