/* SPDX-License-Identifier: Apache-2.0 */
/* Lowercase hexadecimal of byte strings: digests in audit records, TEE fields, the CLI. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Write buf[0..n) as lowercase hex to ret, NUL-terminated. ret_len must be at
 * least 2n + 1; when it is less, only the whole bytes that fit are written.
 * Returns the number of hex digits written. No allocation.
 */
size_t hex_encode(const void *buf, size_t n, char *ret, size_t ret_len);

/* Whether s[0..n) is all lowercase hex digits. */
bool hex_is_lower(const char *s, size_t n);
