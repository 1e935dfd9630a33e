/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What start-up leaves resident that serving never touches: the code and
 * read-only data that loading a policy, parsing options and installing the
 * sandbox faulted in (PCRE2's JIT compiler, libyaml, libseccomp, the CLI, and
 * the kernel's fault-around of each: 64 KiB at a time), and the free pages of
 * the heap the policy's YAML tree left. Giving them back before the serving
 * loop leaves only its working set resident; a page serving needs comes back
 * from the page cache on first use.
 */
#pragma once

#include <stddef.h>

/*
 * Drop this process's resident pages of every private, read-only (r-x or
 * r--), file-backed mapping that holds no page of its own (smaps "Anonymous:
 * 0 kB": nothing was written, so the file's bytes are exactly what was
 * there), then return the heap's free pages (malloc_trim). Writable and
 * anonymous memory is never touched. *ret_kib (may be NULL): the KiB those
 * mappings had resident. Returns 0 or -errno (reading /proc/self/smaps).
 */
int residency_trim(size_t *ret_kib);
