/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's diagnostic log (stderr, for journald). Not the audit log: that is
 * its own module and channel. Library code does not log; the daemon logs once,
 * where it has the context.
 */
#pragma once

enum log_level {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_NOTICE,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
        _LOG_LEVEL_MAX,
        _LOG_LEVEL_INVALID = -22,
};

void log_set_level(enum log_level level);
enum log_level log_level_from_string(const char *s);

/* Returns -error (an errno, positive or negative) so callers can `return log_error(r, ...)`. */
int log_full(enum log_level level, int error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define log_error(e, ...) log_full(LOG_LEVEL_ERROR, (e), __VA_ARGS__)
#define log_warning(e, ...) log_full(LOG_LEVEL_WARNING, (e), __VA_ARGS__)
#define log_notice(...) log_full(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
#define log_info(...) log_full(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_full(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
