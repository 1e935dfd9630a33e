/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the bpf suite: skips, checks, cgroups and child processes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define BPF_TEST_SKIP 77

/* Print "SKIPPED: <why>" and exit 77. */
__attribute__((noreturn, format(printf, 1, 2))) void bpf_test_skip(const char *fmt, ...);
/* Print "FAIL: <what>", run the cleanups, exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) void bpf_test_fail(const char *fmt, ...);
/* Count a passed check and print "ok <n> - <what>". */
__attribute__((format(printf, 1, 2))) void bpf_test_ok(const char *fmt, ...);
int bpf_test_checks(void);
/* Register a cleanup to run at exit, also after a FAIL (at most 8). */
void bpf_test_atexit(void (*fn)(void));

/* Common preconditions: root, built with BPF, a cgroup2 mount (to root_out). */
void bpf_test_require_basics(char *root_out, size_t len);

/* A test cgroup tree "<root>/ccgate-test-<pid>/{<children>}". */
void bpf_test_cgroup_make(const char *path);
void bpf_test_cgroup_rmdir(const char *path);

/* Run fn(arg) in a forked child that first enters cgroup "<scope>/<name>" (through
 * guard_cgroup_enter()); returns the child's exit status (0..255), or -1 if it died
 * from a signal. */
int bpf_test_in_cgroup(const char *scope, const char *name, int (*fn)(void *arg), void *arg);

/* A listening unix stream socket at `path` ("@x": abstract); returns the fd. */
int bpf_test_listen_unix(const char *path);
/* connect() a fresh unix stream socket to `path` ("@x": abstract); 0 or errno. */
int bpf_test_connect_unix(const char *path);
