/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a whole input file with a hard bound, for the CLI and the daemon's start. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Read path whole ("-" reads standard input), refusing more than max bytes.
 * Returns 0 with *ret (heap, free()) and *ret_len, or -errno: -EFBIG when the
 * input is larger than max, -EISDIR for a directory, or the error of open/read.
 * *ret and *ret_len are untouched on failure.
 */
int read_file_bounded(const char *path, size_t max, uint8_t **ret, size_t *ret_len);

/* The same for path relative to dirfd (AT_FDCWD: the working directory); no "-". */
int read_file_bounded_at(int dirfd, const char *path, size_t max, uint8_t **ret,
                         size_t *ret_len);
