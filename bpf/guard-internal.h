/* SPDX-License-Identifier: Apache-2.0 */
/* guard: shared between guard.c and guard_lsm.c; not for the daemon. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "agent_guard.skel.h"
#include "cleanup.h"
#include "guard.h"
#include "lsm_guard.skel.h"

DEFINE_PTR_CLEANUP(struct agent_guard, agent_guard__destroy)
DEFINE_PTR_CLEANUP(struct lsm_guard, lsm_guard__destroy)
DEFINE_PTR_CLEANUP(struct btf, btf__free)

#define _cleanup_agent_guard_ _cleanup_(agent_guard__destroyp)
#define _cleanup_lsm_guard_ _cleanup_(lsm_guard__destroyp)
#define _cleanup_btf_ _cleanup_(btf__freep)

/* While a guard_libbpf_quiet is active, libbpf's messages are kept (the last
 * warning, for error reasons) instead of printed: the library does not log. */
struct guard_libbpf_quiet {
        libbpf_print_fn_t saved;
};
void guard_libbpf_quiet_begin(struct guard_libbpf_quiet *q);
void guard_libbpf_quiet_end(struct guard_libbpf_quiet *q);
#define _cleanup_libbpf_quiet_ _cleanup_(guard_libbpf_quiet_end)
/* The last warning libbpf printed while quiet ("" if none), newline stripped. */
const char *guard_libbpf_last_warning(void);

/* "<pin_dir>/<name>" into buf; -ENAMETOOLONG. */
int guard_pin_path(const char *pin_dir, const char *name, char *buf, size_t len);
/* Make sure pin_dir exists on a bpffs, mounting bpffs on /sys/fs/bpf if needed. */
int guard_pin_dir_prepare(const char *pin_dir);
/* Read the .rodata of the program behind a link fd into buf (exactly len bytes);
 * ret_prog_name (16 bytes) gets the program name. -ENOENT if there is none. */
int guard_link_prog_rodata(int link_fd, void *buf, size_t len, char ret_prog_name[16]);
/* Whether the running kernel's BTF has enum value `name` (e.g. a bpf_attach_type). */
bool guard_kernel_has_enum_value(const char *name);

/* guard_lsm.c */
/* why: probe the kernel for the reason when no LSM hook is active. */
int guard_lsm_status(const char *pin_dir, struct guard_status *st, bool why);
int guard_lsm_remove(const char *pin_dir);
