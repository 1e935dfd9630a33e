/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CopyFileRequest: the host writes files into the guest (kata copies
 * resolv.conf, hostname, service account tokens this way when there is no
 * shared filesystem). The destination is normalised and confined by the
 * tenant's `copy_file:` rules; traversal, escaping symlinks, special files,
 * set-id bits and writes into a container's root filesystem are refused.
 */
#pragma once

#include <stddef.h>

#include "policy_compiled.h"

/* Longest destination path considered (longer ones are denied). */
#define COPY_PATH_MAX 4096u

/* Normalise an absolute path: collapse "//", drop ".", refuse "..". Returns the
 * length written to out (NUL-terminated), or -EINVAL. */
int copy_path_normalise(const char *path, size_t len, char *out, size_t out_len);

/* Decide a CopyFileRequest; d holds the table's allow on entry. */
void copy_file_decide(const struct policy *p, const ProtobufCMessage *req, struct decision *d);
