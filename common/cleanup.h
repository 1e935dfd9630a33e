/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ownership helpers. A variable declared with one of the _cleanup_*_ markers owns
 * what it points to and releases it when it goes out of scope; TAKE_PTR() hands
 * ownership out (to a caller or a longer-lived structure) and leaves NULL behind.
 * Every destructor used here accepts NULL / -1.
 */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Move ownership out of a cleanup variable: returns the pointer, leaves NULL. */
#define TAKE_PTR(p)                                  \
        ({                                           \
                __typeof__(p) *_pp_ = &(p);          \
                __typeof__(p) _ptr_ = *_pp_;         \
                *_pp_ = NULL;                        \
                _ptr_;                               \
        })

/* Same for file descriptors: returns the fd, leaves -1. */
#define TAKE_FD(fd)                                  \
        ({                                           \
                int *_pfd_ = &(fd);                  \
                int _fd_ = *_pfd_;                   \
                *_pfd_ = -1;                         \
                _fd_;                                \
        })

static inline void freep(void *p)
{
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

/* close() that keeps errno, for cleanup paths that must not mask the real error. */
static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                (void)close(fd);
                errno = saved;
        }
        return -1;
}

static inline void closep(int *fd)
{
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/*
 * Define a typed pointer cleanup: DEFINE_PTR_CLEANUP(json_t, json_decref) gives
 * json_decrefp(json_t **), to be used as _cleanup_(json_decrefp).
 */
#define DEFINE_PTR_CLEANUP(type, func)                 \
        static inline void func##p(type **p)           \
        {                                              \
                if (*p)                                \
                        func(*p);                      \
        }

#define ELEMENTSOF(a)                                                              \
        (__builtin_choose_expr(                                                    \
                !__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])), \
                sizeof(a) / sizeof((a)[0]), (void)0))
