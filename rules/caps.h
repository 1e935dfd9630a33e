/* SPDX-License-Identifier: Apache-2.0 */
/* Linux capability names as OCI specs spell them ("CAP_SYS_ADMIN"), as bits. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The bit of a capability name, or -EINVAL for a name the kernel does not define. */
int cap_from_name(const char *name, size_t len);

/* The name of capability bit, or NULL. */
const char *cap_to_name(unsigned bit);

/* containerd's default set for unprivileged containers (what `capabilities`
 * allows when a policy container does not say). */
uint64_t cap_default_set(void);
